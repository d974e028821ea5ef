//! The SkillsTown profile: a real platform that departs from LTI 1.3. It logs in by
//! POST without `lti_message_hint`, signs id_tokens with only a handful of claims (its
//! `aud` is the customer's company name), and takes progress as scores POSTed to the
//! line item URL itself, which already ends in `/scores`.

use serde_json::{json, Value};

use crate::ags::post_score_at;
use crate::claims::{now, AGS_CLAIM, SCOPE_SCORE, USER_ID};
use crate::http::Reply;
use crate::registry::{SKILLSTOWN_AUDIENCE, SKILLSTOWN_DEPLOYMENT};
use crate::services::{service_error, Call};

/// The course whose progress the launch reports.
pub(crate) const COURSE: &str = "acme-101";

/// `{issuer}/courses/acme-101/scores`: the `lineitem` of the AGS claim.
pub(crate) fn line_item_url(issuer: &str) -> String {
    format!("{issuer}/courses/{COURSE}/scores")
}

/// Every claim SkillsTown sends, and no more: no message type, version, deployment,
/// resource link, roles or target.
pub(crate) fn claims(issuer: &str, nonce: &str) -> Value {
    let iat = now();
    json!({
        "iss": issuer,
        "aud": SKILLSTOWN_AUDIENCE,
        "sub": USER_ID,
        "nonce": nonce,
        "iat": iat,
        "exp": iat + 300,
        AGS_CLAIM: {
            "scope": [SCOPE_SCORE],
            "lineitem": line_item_url(issuer),
        },
        "https://purl.imsglobal.org/spec/lti/claim/custom": {
            "course_id": COURSE,
            "company": SKILLSTOWN_AUDIENCE,
        },
    })
}

/// The form SkillsTown POSTs to the tool's `/lti/login`.
pub(crate) fn login_form(issuer: &str, tool_base: &str, client_id: &str) -> Vec<(String, String)> {
    [
        ("iss", issuer.to_string()),
        ("login_hint", USER_ID.to_string()),
        ("target_link_uri", format!("{tool_base}/course/welcome")),
        ("lti_deployment_id", SKILLSTOWN_DEPLOYMENT.to_string()),
        ("client_id", client_id.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// `POST courses/{course}/scores`: a score for the course, recorded under that URL.
pub(crate) fn post_progress(call: &Call<'_>, course: &str) -> Reply {
    if course != COURSE {
        return service_error(404, "not_found", &format!("no course {course}"));
    }
    post_score_at(call, line_item_url(&call.issuer()))
}
