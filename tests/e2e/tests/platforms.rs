//! Real platforms' ways, each imitated by a dev platform profile: Canvas's
//! course-level deployments and User-Agent rule, Brightspace's token audience,
//! SkillsTown's minimal id_tokens, Moodle's submission review and roster
//! filters, and one line item read, updated and deleted.

use dev_platform::{BRIGHTSPACE_TOKEN_AUDIENCE, SKILLSTOWN_AUDIENCE};
use lti_edge_e2e::{Browser, Stack};
use serde_json::{json, Value};

use crate::common::*;
use crate::services::{call, SCORE};
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "platforms::the_view_reads_each_platforms_launch",
        the_view_reads_each_platforms_launch,
    ),
    (
        "platforms::canvas_course_installs_launch_and_are_recorded",
        canvas_course_installs_launch_and_are_recorded,
    ),
    (
        "platforms::canvas_services_carry_a_user_agent",
        canvas_services_carry_a_user_agent,
    ),
    (
        "platforms::brightspace_gets_its_token_audience",
        brightspace_gets_its_token_audience,
    ),
    (
        "platforms::skillstown_launches_and_reports_progress",
        skillstown_launches_and_reports_progress,
    ),
    (
        "platforms::skillstown_tokens_need_the_registration_fields",
        skillstown_tokens_need_the_registration_fields,
    ),
    (
        "platforms::submission_review_is_forwarded",
        submission_review_is_forwarded,
    ),
    (
        "platforms::submission_review_needs_its_claims",
        submission_review_needs_its_claims,
    ),
    (
        "platforms::roster_filters_reach_the_platform",
        roster_filters_reach_the_platform,
    ),
    (
        "platforms::one_line_item_is_read_updated_and_deleted",
        one_line_item_is_read_updated_and_deleted,
    ),
];

const SUBMISSION_REVIEW: &str = "LtiSubmissionReviewRequest";

const MOODLE: As = As {
    platform: "moodle",
    client_id: "moodle-tool",
    deployment_id: "moodle-dep-1",
    message_type: SUBMISSION_REVIEW,
};

/// The normalized view beside `lti`, for a Canvas resource link launch and a
/// Moodle submission review, read from what the profiles send.
fn the_view_reads_each_platforms_launch(stack: &Stack) {
    let deployment = stack.platform.canvas_course_deployment();
    let cases = [
        (
            canvas(&deployment),
            "view-canvas",
            "Learner",
            "canvas",
            "cloud",
        ),
        (
            MOODLE,
            "view-moodle",
            "Instructor",
            "moodle",
            "4.5.1 (Build: 20250113)",
        ),
    ];
    for (who, name, role, family, version) in cases {
        let assertion = assertion_as(stack, &who, name, |_| {});
        let claims = segment_json(assertion.split('.').nth(1).unwrap());
        let lti = &claims["lti"];
        let claim = |name: &str| &lti[format!("https://purl.imsglobal.org/spec/lti/claim/{name}")];
        assert_eq!(claims["user"]["id"], lti["sub"], "{name}");
        assert_eq!(claims["user"]["name"], lti["name"], "{name}");
        assert_eq!(claims["user"]["roles"], json!([role]), "{name}");
        assert_eq!(claims["user"]["role_uris"], *claim("roles"), "{name}");
        assert_eq!(claims["context"]["id"], claim("context")["id"], "{name}");
        assert_eq!(claims["context"]["label"], "CS101", "{name}");
        assert_eq!(claims["message_type"], who.message_type, "{name}");
        assert_eq!(claims["custom"], *claim("custom"), "{name}");
        assert_eq!(claims["launch_presentation"]["document_target"], "iframe");
        let platform = &claims["platform"];
        assert_eq!(platform["issuer"], stack.platform.issuer(who.platform));
        assert_eq!(platform["client_id"], who.client_id);
        assert_eq!(platform["deployment_id"], who.deployment_id);
        assert_eq!(platform["guid"], claim("tool_platform")["guid"]);
        assert_eq!(platform["product_family_code"], family, "{name}");
        assert_eq!(platform["version"], version, "{name}");
        // Both profiles grant AGS (with scores and line items) and NRPS.
        let services = &claims["services"];
        assert_eq!(services["grades"], true, "{name}: {services}");
        assert_eq!(services["line_items"], true, "{name}: {services}");
        assert_eq!(services["roster"], true, "{name}: {services}");
        assert_eq!(services["deep_linking"], false, "{name}: {services}");
    }
}

fn canvas(deployment_id: &str) -> As<'_> {
    As {
        platform: "canvas",
        client_id: "canvas-tool",
        deployment_id,
        message_type: RESOURCE_LINK,
    }
}

fn canvas_course_installs_launch_and_are_recorded(stack: &Stack) {
    let issuer = stack.platform.issuer("canvas");
    for name in ["canvas-course-a", "canvas-course-b"] {
        let deployment = stack.platform.canvas_course_deployment();
        let reply = launch_as(stack, &canvas(&deployment), name, |_| {});
        assert_eq!(reply.status, 200, "{deployment}: {}", reply.body);
        let key = format!("deployment:{issuer}#canvas-tool#{deployment}");
        let seen = stack.kv("LTI_STATE", &["key", "get", &key]);
        let seen: Value = serde_json::from_str(&seen).expect("JSON");
        assert!(seen["first_seen"].as_u64().is_some(), "{seen}");
        assert_eq!(seen["first_seen"], seen["last_seen"]);
    }
    let prefix = format!("deployment:{issuer}#canvas-tool#");
    assert!(stack.kv_keys("LTI_STATE", &prefix).len() >= 2);
}

fn canvas_services_carry_a_user_agent(stack: &Stack) {
    let deployment = stack.platform.canvas_course_deployment();
    let bearer = assertion_as(stack, &canvas(&deployment), "canvas-grade", |_| {});
    let (reply, _) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let agents = stack.platform.user_agents("canvas");
    assert!(agents.iter().any(|(path, _)| path.contains("token")));
    for (path, agent) in agents {
        let agent = agent.unwrap_or_default();
        assert!(
            agent.starts_with("lti-edge/") && agent.contains(&stack.worker),
            "{path}: {agent}"
        );
    }
}

fn brightspace_gets_its_token_audience(stack: &Stack) {
    let who = As {
        platform: "brightspace",
        client_id: "brightspace-tool",
        deployment_id: "brightspace-dep-1",
        message_type: RESOURCE_LINK,
    };
    let bearer = assertion_as(stack, &who, "brightspace-grade", |_| {});
    let (reply, _) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (_, claims) = stack
        .platform
        .last_client_assertion("brightspace")
        .expect("a client assertion");
    assert_eq!(claims["aud"], json!(BRIGHTSPACE_TOKEN_AUDIENCE));
}

/// SkillsTown's own login (a form POST) and its minimal id_token, for `client_id`.
fn skillstown_launch(stack: &Stack, client_id: &str) -> lti_edge_e2e::Reply {
    let browser = Browser::default();
    let form = stack.platform.skillstown_login_form(client_id);
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let reply = browser.post_form(&stack.url("/lti/login"), &fields);
    assert_eq!(reply.status, 302, "login: {}", reply.body);
    let query = reply.location_query();
    let claims = stack.platform.skillstown_claims(&query["nonce"]);
    assert_eq!(claims["aud"], json!(SKILLSTOWN_AUDIENCE));
    let token = stack.platform.sign_id_token("skillstown", &claims);
    launch(stack, &browser, &query["state"], &token)
}

fn skillstown_launches_and_reports_progress(stack: &Stack) {
    let before = stack.origin.requests_to("/course/welcome").len();
    let reply = skillstown_launch(stack, "skillstown");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let seen = stack.origin.requests_to("/course/welcome");
    assert_eq!(seen.len(), before + 1, "the login's target_link_uri");
    let bearer = seen[before].assertion().expect("an assertion").to_owned();
    remember(&bearer);
    let progress = r#"{"scoreGiven": 3, "scoreMaximum": 10, "activityProgress": "InProgress", "gradingProgress": "Pending"}"#;
    let (reply, body) = call(
        stack,
        "POST",
        "/lti/services/scores",
        &bearer,
        Some(progress),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let lineitem = body["lineitem"].as_str().unwrap();
    assert!(lineitem.ends_with("/scores") && !lineitem.ends_with("/scores/scores"));
    let scores = stack.platform.scores("skillstown");
    let (url, score) = scores.last().expect("a score");
    assert_eq!(url, lineitem, "posted to the line item URL itself");
    assert_eq!(score["activityProgress"], "InProgress");
}

fn skillstown_tokens_need_the_registration_fields(stack: &Stack) {
    let before = stack.origin.requests_to("/course/welcome").len();
    let reply = skillstown_launch(stack, "skillstown-strict");
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(reply.body.contains("aud"), "{}", reply.body);
    assert_eq!(stack.origin.requests_to("/course/welcome").len(), before);
}

fn submission_review_is_forwarded(stack: &Stack) {
    let bearer = assertion_as(stack, &MOODLE, "review", |_| {});
    let claims = crate::launch::verify_assertion(stack, &bearer);
    let lti = &claims["lti"];
    assert_eq!(
        lti["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        SUBMISSION_REVIEW
    );
    assert!(lti["https://purl.imsglobal.org/spec/lti/claim/for_user"]["user_id"].is_string());
}

fn submission_review_needs_its_claims(stack: &Stack) {
    let for_user = "https://purl.imsglobal.org/spec/lti/claim/for_user";
    let reply = launch_as(stack, &MOODLE, "review-no-for-user", |c| {
        c.as_object_mut().unwrap().remove(for_user);
    });
    assert_rejected(stack, &reply, 400, "for_user", "review-no-for-user");
    let ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    let reply = launch_as(stack, &MOODLE, "review-no-lineitem", |c| {
        c[ags].as_object_mut().unwrap().remove("lineitem");
    });
    assert_rejected(stack, &reply, 400, "lineitem", "review-no-lineitem");
}

fn roster_filters_reach_the_platform(stack: &Stack) {
    let who = As {
        message_type: RESOURCE_LINK,
        ..MOODLE
    };
    let bearer = assertion_as(stack, &who, "roster-filtered", |_| {});
    let path = "/lti/services/members?role=Learner&rlid=rl-2&other=dropped";
    let (reply, body) = call(stack, "GET", path, &bearer, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(body["members"].is_array());
    let query = stack.platform.membership_queries("moodle");
    let query = query.last().expect("a membership request");
    let has = |name: &str, value: &str| query.iter().any(|(n, v)| n == name && v == value);
    assert!(has("role", "Learner") && has("rlid", "rl-2"), "{query:?}");
    assert!(query.iter().all(|(n, _)| n != "other"), "{query:?}");
}

fn one_line_item_is_read_updated_and_deleted(stack: &Stack) {
    let bearer = assertion_as(stack, &A1, "lineitem-crud", |_| {});
    let new = r#"{"label": "Quiz 7", "scoreMaximum": 10, "tag": "quiz"}"#;
    let (reply, created) = call(stack, "POST", "/lti/services/lineitems", &bearer, Some(new));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!(
        "/lti/services/lineitem?id={}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let (reply, read) = call(stack, "GET", &path, &bearer, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(read["label"], "Quiz 7");
    let update = r#"{"label": "Quiz 7 (revised)", "scoreMaximum": 12}"#;
    let (reply, updated) = call(stack, "PUT", &path, &bearer, Some(update));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (updated["id"].as_str(), &updated["scoreMaximum"]),
        (Some(id.as_str()), &json!(12))
    );
    let auth = format!("Bearer {bearer}");
    let reply = Browser::default().request(
        "DELETE",
        &stack.url(&path),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(stack
        .platform
        .line_items("a")
        .iter()
        .all(|item| item["id"] != json!(id)));

    // Outside the launch's container: refused, and the platform hears nothing.
    let sent = stack.platform.service_requests("a").len();
    let container = id.rsplit_once('/').unwrap().0;
    for foreign in [
        format!("{container}/%2e%2e/ctx-2/1"),
        format!("{container}/..%2Fctx-2"),
        format!("{}/lineitems/ctx-2/1", stack.platform.issuer("a")),
    ] {
        let path = format!(
            "/lti/services/lineitem?id={}",
            url::form_urlencoded::byte_serialize(foreign.as_bytes()).collect::<String>()
        );
        for method in ["GET", "DELETE"] {
            let reply = Browser::default().request(
                method,
                &stack.url(&path),
                &[("authorization", &auth)],
                None,
            );
            assert_eq!(reply.status, 403, "{method} {foreign}: {}", reply.body);
        }
    }
    assert_eq!(stack.platform.service_requests("a").len(), sent);
}
