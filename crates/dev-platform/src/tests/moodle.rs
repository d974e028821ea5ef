//! The Moodle profile: submission review launches, NRPS `rlid` and `role` filters.

use serde_json::{json, Value};

use super::tool::{call_service, json_of, Tool};
use super::{claims_of_launch, login_params, platform};
use crate::claims::SCOPE_MEMBERSHIP;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const ROLES: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";

#[test]
fn moodle_starts_submission_review_launches() {
    let platform = platform();
    let query = "client_id=moodle-tool&deployment_id=moodle-dep-1\
                 &message_type=LtiSubmissionReviewRequest";
    let login = login_params(&platform, "moodle", query);
    let target = "http://127.0.0.1:8787/course/submission-review";
    assert_eq!(crate::http::param(&login, "target_link_uri"), Some(target));
    let claims = claims_of_launch(&platform, "moodle", &login);
    let lti = |name: &str| claims[format!("{LTI}{name}")].clone();
    assert_eq!(lti("message_type"), "LtiSubmissionReviewRequest");
    assert_eq!(
        lti("for_user"),
        json!({"user_id": "user-201", "name": "Charles Babbage"})
    );
    assert_eq!(lti("target_link_uri"), target);
    assert_eq!(lti("roles"), json!([format!("{ROLES}Instructor")]));
    let lineitem = format!("{}/lineitems/ctx-1/1", platform.issuer("moodle"));
    assert_eq!(claims[AGS]["lineitem"], lineitem);
    assert_eq!(claims["aud"], "moodle-tool");
    let plain = platform.launch_claims(
        "a",
        "tool-a1",
        "a1-dep-1",
        "LtiResourceLinkRequest",
        "n",
        target,
    );
    assert!(plain.get(format!("{LTI}for_user")).is_none());
}

fn member_ids(tool: &Tool, token: &str, query: &str) -> (u16, Vec<String>) {
    let url = tool.url("moodle", &format!("/memberships/ctx-1{query}"));
    let (status, body) = json_of(call_service("GET", &url, Some(token), None));
    let ids = body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|member| member["user_id"].as_str().unwrap().to_string())
        .collect();
    (status, ids)
}

#[test]
fn memberships_honour_the_rlid_and_role_filters() {
    let tool = Tool::start();
    let token = tool.access_token("moodle", SCOPE_MEMBERSHIP);
    let (_, everyone) = member_ids(&tool, &token, "?rlid=rl-1");
    assert_eq!(everyone.len(), 10, "first page of all 25");
    let (_, group) = member_ids(&tool, &token, "?rlid=rl-2");
    assert_eq!(group, ["user-100", "user-123", "user-201", "user-202"]);
    let (_, learners) = member_ids(&tool, &token, "?rlid=rl-2&role=Learner");
    assert_eq!(learners, ["user-123", "user-201", "user-202"]);
    let full_uri = format!(
        "?rlid=rl-2&role={}",
        url_encode(&format!("{ROLES}Instructor"))
    );
    assert_eq!(member_ids(&tool, &token, &full_uri).1, ["user-100"]);
    assert_eq!(member_ids(&tool, &token, "?rlid=rl-9").0, 404);
    let queries = tool.platform.membership_queries("moodle");
    assert_eq!(queries.len(), 5);
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(queries[2], [pair("rlid", "rl-2"), pair("role", "Learner")]);
    assert_eq!(queries[3][1], pair("role", &format!("{ROLES}Instructor")));
    let logged: Vec<Value> = tool
        .platform
        .service_requests("moodle")
        .iter()
        .map(|(_, path, _, _)| json!(path))
        .collect();
    assert_eq!(logged[1], "/moodle/memberships/ctx-1?rlid=rl-2");
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
