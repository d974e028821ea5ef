//! The claim set of a valid LTI 1.3 launch id_token.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The demo user every launch is for (also the `login_hint`).
pub(crate) const USER_ID: &str = "user-123";
/// Deep linking message type; every other message type gets a resource link.
pub(crate) const DEEP_LINKING: &str = "LtiDeepLinkingRequest";
/// AGS 2.0 section 6: an instructor reviews one learner's submission (`for_user`).
pub(crate) const SUBMISSION_REVIEW: &str = "LtiSubmissionReviewRequest";
/// The learner whose submission a submission review launch is about.
pub(crate) const REVIEWED_USER: (&str, &str) = ("user-201", "Charles Babbage");

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
/// LIS context role vocabulary, shared with the membership service.
pub(crate) const ROLES: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
/// The `data` every deep linking launch carries; the response must echo it.
pub(crate) const DEEP_LINK_DATA: &str = "opaque-data";

pub(crate) const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
pub(crate) const SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
pub(crate) const SCOPE_RESULT_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
pub(crate) const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
pub(crate) const SCOPE_MEMBERSHIP: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// Every scope the token endpoint grants.
pub(crate) const SCOPES: [&str; 5] = [
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_MEMBERSHIP,
];

/// What varies between launches.
pub(crate) struct Launch<'a> {
    pub platform: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub deployment_id: &'a str,
    pub message_type: &'a str,
    pub nonce: &'a str,
    pub target_link_uri: &'a str,
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A complete claim set: core, LTI, and the Advantage service claims.
pub(crate) fn launch_claims(launch: &Launch<'_>) -> Value {
    let mut claims = core_claims(launch);
    let members = claims.as_object_mut().expect("claims are an object");
    members.extend(lti_claims(launch));
    members.extend(service_claims(launch.issuer));
    match launch.message_type {
        DEEP_LINKING => members.extend(deep_linking_claims(launch.issuer)),
        SUBMISSION_REVIEW => {
            // AGS 2.0 section 6 requires `for_user` and the AGS claim's `lineitem` (sent
            // to every launch here); the resource link is the one the line item is for.
            members.insert(lti("resource_link"), resource_link());
            let (user_id, name) = REVIEWED_USER;
            members.insert(lti("for_user"), json!({"user_id": user_id, "name": name}));
        }
        _ => {
            members.insert(lti("resource_link"), resource_link());
        }
    }
    claims
}

pub(crate) fn lti(name: &str) -> String {
    format!("{LTI}{name}")
}

fn core_claims(launch: &Launch<'_>) -> Value {
    let iat = now();
    json!({
        "iss": launch.issuer,
        "aud": launch.client_id,
        "sub": USER_ID,
        "iat": iat,
        "exp": iat + 300,
        "nonce": launch.nonce,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.edu",
    })
}

fn lti_claims(launch: &Launch<'_>) -> Map<String, Value> {
    // Deep linking and submission review are instructor actions; resource links are
    // opened by learners.
    let role = match launch.message_type {
        DEEP_LINKING | SUBMISSION_REVIEW => "Instructor",
        _ => "Learner",
    };
    let pairs = [
        ("message_type", json!(launch.message_type)),
        ("version", json!("1.3.0")),
        ("deployment_id", json!(launch.deployment_id)),
        ("target_link_uri", json!(launch.target_link_uri)),
        ("roles", json!([format!("{ROLES}{role}")])),
        ("context", context()),
        ("tool_platform", tool_platform(launch.platform)),
        (
            "launch_presentation",
            json!({"document_target": "iframe", "return_url": format!("{}/return", launch.issuer)}),
        ),
        (
            "custom",
            json!({"course_code": "CS101", "favourite_colour": "teal"}),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (lti(k), v)).collect()
}

/// What the platform says of itself, as the product a profile imitates would.
fn tool_platform(platform: &str) -> Value {
    let (product_family_code, version) = match platform {
        "canvas" => ("canvas", "cloud"),
        "moodle" => ("moodle", "4.5.1 (Build: 20250113)"),
        "brightspace" => ("desire2learn", "20.25.1"),
        _ => ("lti-edge-dev-platform", env!("CARGO_PKG_VERSION")),
    };
    json!({
        "guid": format!("dev-platform-{platform}"),
        "name": format!("Dev Platform {}", platform.to_uppercase()),
        "product_family_code": product_family_code,
        "version": version,
    })
}

pub(crate) fn context() -> Value {
    json!({
        "id": "ctx-1",
        "label": "CS101",
        "title": "Introduction to Computing",
        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    })
}

fn resource_link() -> Value {
    json!({"id": "rl-1", "title": "Week 1: Welcome"})
}

/// The AGS endpoint claim's name.
pub(crate) const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

fn service_claims(issuer: &str) -> Map<String, Value> {
    let ags = json!({
        "scope": [
            SCOPE_LINEITEM,
            SCOPE_LINEITEM_READONLY,
            SCOPE_RESULT_READONLY,
            SCOPE_SCORE,
        ],
        "lineitems": format!("{issuer}/lineitems/ctx-1"),
        "lineitem": format!("{issuer}/lineitems/ctx-1/1"),
    });
    let nrps = json!({
        "context_memberships_url": format!("{issuer}/memberships/ctx-1"),
        "service_versions": ["2.0"],
    });
    let mut map = Map::new();
    map.insert(AGS_CLAIM.into(), ags);
    map.insert(
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice".into(),
        nrps,
    );
    map
}

fn deep_linking_claims(issuer: &str) -> Map<String, Value> {
    let settings = json!({
        "deep_link_return_url": format!("{issuer}/deep-link-return"),
        "accept_types": ["ltiResourceLink", "link"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": true,
        "data": DEEP_LINK_DATA,
    });
    let mut map = Map::new();
    map.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        settings,
    );
    map
}
