//! Scores (AGS 2.0 §3.4): validated, stamped and posted to the line item's
//! score endpoint.

use serde_json::{json, Map, Value};
use url::Url;

use super::{
    choose_lineitem, enumeration, lineitem_child, number, optional_string, ACTIVITY_PROGRESS,
    GRADING_PROGRESS, SCORE,
};
use crate::error::Result;
use crate::ports::{HttpRequest, HttpResponse, Method, Runtime};
use crate::registration::{PlatformRegistration, ScoresUrl};
use crate::services::grant::{scope, Grant};
use crate::services::token::{self, check_status};
use crate::services::{invalid, Platform};

/// The score the platform receives, from the origin's payload (AGS 2.0 §3.4).
/// `userId` defaults to the launch's user; `timestamp` is now.
pub fn score_body(
    payload: &Map<String, Value>,
    default_user: Option<&str>,
    now: u64,
) -> Result<Value> {
    let activity = enumeration(payload, "activityProgress", &ACTIVITY_PROGRESS)?;
    let grading = enumeration(payload, "gradingProgress", &GRADING_PROGRESS)?;
    let given = number(payload, "scoreGiven")?;
    let maximum = number(payload, "scoreMaximum")?;
    if given.is_some_and(|g| g < 0.0) {
        return Err(invalid("scoreGiven", "must be at least 0"));
    }
    if given.is_some() && !maximum.is_some_and(|m| m > 0.0) {
        return Err(invalid(
            "scoreMaximum",
            "must be a number above 0 when scoreGiven is sent",
        ));
    }
    let user = optional_string(payload, "userId")?.or_else(|| default_user.map(str::to_owned));
    let mut score = json!({
        "userId": user.ok_or_else(|| invalid("userId", "required: the launch has no user"))?,
        "activityProgress": activity,
        "gradingProgress": grading,
        "timestamp": timestamp(now),
    });
    if let (Some(given), Some(maximum)) = (given, maximum) {
        score["scoreGiven"] = json!(given);
        score["scoreMaximum"] = json!(maximum);
    }
    if let Some(comment) = optional_string(payload, "comment")? {
        score["comment"] = json!(comment);
    }
    Ok(score)
}

/// ISO 8601 with milliseconds, as AGS expects.
pub fn timestamp(now: u64) -> String {
    use time::format_description::well_known::iso8601::{Config, Iso8601, TimePrecision};
    const FORMAT: u128 = Config::DEFAULT
        .set_time_precision(TimePrecision::Second {
            decimal_digits: std::num::NonZeroU8::new(3),
        })
        .encode();
    let time =
        time::OffsetDateTime::from_unix_timestamp(now as i64).expect("the clock is in range");
    time.format(&Iso8601::<FORMAT>)
        .expect("an ISO 8601 date formats")
}

/// Where scores for `lineitem` go: `<lineitem>/scores` (AGS 2.0 §3.4), or the
/// line item URL itself when the registration says the platform's line item
/// URLs already name the score endpoint (`scores_url: "lineitem"`).
pub fn scores_url(lineitem: &str, registration: &PlatformRegistration) -> Result<Url> {
    match registration.scores_url() {
        None => lineitem_child(lineitem, "scores"),
        Some(ScoresUrl::Lineitem) => {
            Url::parse(lineitem).map_err(|_| invalid("lineitem", "not a URL"))
        }
    }
}

/// The score POST (AGS 2.0 §3.4).
pub fn score_request(url: Url, score: &Value) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: url.into(),
        headers: vec![("content-type".into(), SCORE.into())],
        body: Some(score.to_string()),
    }
}

/// The platform took the score: any 2xx, whatever its body (platforms answer
/// 200, 201 or 204, some with a body, some without).
pub fn parse_score_response(response: &HttpResponse) -> Result<()> {
    check_status(response)
}

/// Posts a score; answers what was posted, and where.
pub async fn post_score<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    payload: &Map<String, Value>,
) -> Result<Value> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::SCORE])?;
    let requested = optional_string(payload, "lineitem")?;
    let lineitem = choose_lineitem(&ags, requested.as_deref())?;
    let score = score_body(payload, grant.user_id(), platform.ports.now)?;
    let request = score_request(scores_url(&lineitem, platform.registration)?, &score);
    parse_score_response(&token::call(platform, &[scope::SCORE], &request).await?)?;
    Ok(json!({ "lineitem": lineitem, "score": score }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn payload(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn builds_a_score_with_defaults() {
        let body = score_body(
            &payload(json!({"scoreGiven": 7, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"})),
            Some("u1"),
            1_800_000_000,
        )
        .unwrap();
        assert_eq!(body["userId"], "u1");
        assert_eq!(body["timestamp"], "2027-01-15T08:00:00.000Z");
        assert_eq!(body["scoreGiven"], 7.0);
    }

    #[test]
    fn rejects_bad_scores_naming_the_field() {
        let base = json!({"scoreGiven": 1, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
        for (field, value) in [
            ("scoreGiven", json!(-1)),
            ("scoreMaximum", json!(0)),
            ("scoreGiven", json!("ten")),
            ("activityProgress", json!("Done")),
            ("gradingProgress", json!(null)),
            ("userId", json!(5)),
        ] {
            let mut p = payload(base.clone());
            p.insert(field.into(), value);
            let err = score_body(&p, Some("u"), 0).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidPayload { field: f, .. } if f == field),
                "{field}: {err}"
            );
        }
    }
}
