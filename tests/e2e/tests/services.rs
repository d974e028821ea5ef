//! `/lti/services/*`: the origin calls back with its assertion as a bearer;
//! the worker gets platform tokens and talks AGS, NRPS and deep linking.

use dev_platform::SigningKeyChoice;
use lti_edge_e2e::{Browser, Reply, Stack};
use serde_json::{json, Value};

use crate::common::*;
use crate::launch::worker_jwks;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "services::scores_share_one_platform_token",
        scores_share_one_platform_token,
    ),
    (
        "services::client_assertion_is_signed_by_a_published_key",
        client_assertion_is_signed_by_a_published_key,
    ),
    (
        "services::lineitems_are_listed_across_pages_and_created",
        lineitems_are_listed_and_created,
    ),
    ("services::results_are_read", results_are_read),
    (
        "services::members_follow_every_page",
        members_follow_every_page,
    ),
    (
        "services::deep_linking_response_reaches_the_platform",
        deep_linking_response_reaches_the_platform,
    ),
    (
        "services::deep_linking_needs_a_deep_linking_launch",
        deep_linking_needs_a_deep_linking_launch,
    ),
    (
        "services::bad_payloads_never_reach_the_platform",
        bad_payloads_never_reach_the_platform,
    ),
    ("services::bad_bearers_are_refused", bad_bearers_are_refused),
    (
        "services::unknown_routes_and_methods_get_404_and_405",
        unknown_routes_and_methods_get_404_and_405,
    ),
    (
        "services::ungranted_scopes_and_lineitems_are_refused",
        ungranted_scopes_and_lineitems_are_refused,
    ),
    (
        "services::token_endpoint_errors_give_502_without_retries",
        token_endpoint_errors_give_502,
    ),
    (
        "services::expired_platform_tokens_are_renewed",
        expired_platform_tokens_are_renewed,
    ),
    (
        "services::service_tokens_grade_in_the_background",
        service_tokens_grade_in_the_background,
    ),
];

pub const SCORE: &str = r#"{"scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded", "comment": "well done"}"#;

const DEEP_LINKING: As = As {
    message_type: "LtiDeepLinkingRequest",
    ..A1
};

fn assertion(stack: &Stack, name: &str) -> String {
    assertion_as(stack, &A1, name, |_| {})
}

/// A server-to-server call as the origin makes it.
pub fn call(
    stack: &Stack,
    method: &str,
    path: &str,
    bearer: &str,
    body: Option<&str>,
) -> (Reply, Value) {
    let auth = format!("Bearer {bearer}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let reply = Browser::default().request(method, &stack.url(path), &headers, body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{}",
        reply.body
    );
    let json = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    (reply, json)
}

fn scores_share_one_platform_token(stack: &Stack) {
    let bearer = assertion(stack, "svc-scores");
    let (tokens, scores) = (
        stack.platform.token_requests("a"),
        stack.platform.scores("a").len(),
    );
    for _ in 0..3 {
        let (reply, body) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            body["score"]["userId"], "user-123",
            "userId defaults to the launch's user"
        );
    }
    assert_eq!(
        stack.platform.token_requests("a") - tokens,
        1,
        "one token for three calls"
    );
    let posted = stack.platform.scores("a");
    assert_eq!(posted.len() - scores, 3);
    let (lineitem, score) = posted.last().unwrap();
    assert!(
        lineitem.ends_with("/lineitems/ctx-1/1"),
        "the launch's line item: {lineitem}"
    );
    assert_eq!(score["scoreGiven"], 8.0);
    assert!(score["timestamp"].as_str().unwrap().ends_with('Z'));
    let requests = stack.platform.service_requests("a");
    let last = requests.last().unwrap();
    assert_eq!(
        last.2.as_deref(),
        Some("application/vnd.ims.lis.v1.score+json")
    );
}

fn client_assertion_is_signed_by_a_published_key(stack: &Stack) {
    let (header, claims) = stack
        .platform
        .last_client_assertion("a")
        .expect("a token was requested");
    let kids: Vec<_> = worker_jwks(stack)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert!(kids.contains(&header["kid"]));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], "tool-a1");
    assert_eq!(claims["sub"], "tool-a1");
    assert_eq!(
        claims["aud"],
        format!("{}/token", stack.platform.issuer("a"))
    );
    assert!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() <= 300);
    assert!(claims["jti"].is_string());
}

fn lineitems_are_listed_and_created(stack: &Stack) {
    let bearer = assertion(stack, "svc-lineitems");
    let (reply, items) = call(stack, "GET", "/lti/services/lineitems", &bearer, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let before = items.as_array().unwrap().len();
    assert!(before >= 3, "all pages (page size 2): {items}");
    let new = r#"{"label": "Lab report", "scoreMaximum": 20, "tag": "lab"}"#;
    let (reply, created) = call(stack, "POST", "/lti/services/lineitems", &bearer, Some(new));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(created["id"]
        .as_str()
        .unwrap()
        .starts_with(&stack.platform.issuer("a")));
    let (_, items) = call(stack, "GET", "/lti/services/lineitems", &bearer, None);
    assert_eq!(items.as_array().unwrap().len(), before + 1);
    let (_, tagged) = call(
        stack,
        "GET",
        "/lti/services/lineitems?tag=lab",
        &bearer,
        None,
    );
    assert!(tagged.as_array().unwrap().iter().all(|i| i["tag"] == "lab"));
}

fn results_are_read(stack: &Stack) {
    let bearer = assertion(stack, "svc-results");
    call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    let (reply, results) = call(
        stack,
        "GET",
        "/lti/services/results?user_id=user-123",
        &bearer,
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["userId"], "user-123");
}

fn members_follow_every_page(stack: &Stack) {
    let bearer = assertion(stack, "svc-members");
    let (reply, body) = call(stack, "GET", "/lti/services/members", &bearer, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let members = body["members"].as_array().unwrap();
    assert_eq!(members.len(), 25, "three pages of 10, 10 and 5");
    assert!(members.iter().any(|m| m["user_id"] == "user-123"));
    let pages = stack
        .platform
        .service_requests("a")
        .into_iter()
        .filter(|r| r.1.contains("/memberships/"))
        .count();
    assert!(pages >= 3);
}

fn deep_linking_response_reaches_the_platform(stack: &Stack) {
    let bearer = assertion_as(stack, &DEEP_LINKING, "svc-deep-link", |_| {});
    let items = json!({"content_items": [
        {"type": "ltiResourceLink", "title": "Chapter 1", "url": stack.url("/chapters/1"), "lineItem": {"scoreMaximum": 10}},
        {"type": "link", "title": "Reading", "url": "https://example.com/reading"}
    ], "msg": "2 items added"});
    let (reply, body) = call(
        stack,
        "POST",
        "/lti/services/deep-linking",
        &bearer,
        Some(&items.to_string()),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let return_url = body["return_url"].as_str().unwrap();
    assert_eq!(
        return_url,
        format!("{}/deep-link-return", stack.platform.issuer("a"))
    );
    assert!(body["form"].as_str().unwrap().contains("name=\"JWT\""));
    // The browser submits the form to the platform, which verifies the JWT.
    let posted =
        Browser::default().post_form(return_url, &[("JWT", body["jwt"].as_str().unwrap())]);
    assert_eq!(posted.status, 200, "{}", posted.body);
    let response = stack.platform.deep_link_responses().pop().unwrap();
    assert_eq!(
        response["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-data"
    );
    assert_eq!(
        response["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

fn deep_linking_needs_a_deep_linking_launch(stack: &Stack) {
    let bearer = assertion(stack, "svc-no-deep-link");
    let items = r#"{"content_items": [{"type": "link", "url": "https://example.com"}]}"#;
    let (reply, body) = call(
        stack,
        "POST",
        "/lti/services/deep-linking",
        &bearer,
        Some(items),
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("deep_linking_settings"));
}

fn bad_payloads_never_reach_the_platform(stack: &Stack) {
    let bearer = assertion(stack, "svc-bad");
    let deep = assertion_as(stack, &DEEP_LINKING, "svc-bad-dl", |_| {});
    let before = stack.platform.service_requests("a").len();
    let cases = [
        (
            "/lti/services/scores",
            &bearer,
            r#"{"scoreGiven": -1, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"}"#,
            "scoreGiven",
        ),
        (
            "/lti/services/scores",
            &bearer,
            r#"{"scoreGiven": 1, "scoreMaximum": 0, "activityProgress": "Completed", "gradingProgress": "FullyGraded"}"#,
            "scoreMaximum",
        ),
        (
            "/lti/services/scores",
            &bearer,
            r#"{"activityProgress": "Finished", "gradingProgress": "FullyGraded"}"#,
            "activityProgress",
        ),
        (
            "/lti/services/scores",
            &bearer,
            r#"{"activityProgress": "Completed", "gradingProgress": "Done"}"#,
            "gradingProgress",
        ),
        ("/lti/services/scores", &bearer, "not json", "body"),
        ("/lti/services/scores", &bearer, "[1, 2]", "body"),
        (
            "/lti/services/lineitems",
            &bearer,
            r#"{"scoreMaximum": 10}"#,
            "label",
        ),
        (
            "/lti/services/lineitems",
            &bearer,
            r#"{"label": "x", "scoreMaximum": "ten"}"#,
            "scoreMaximum",
        ),
        (
            "/lti/services/deep-linking",
            &deep,
            r#"{"content_items": [{"type": "link"}]}"#,
            "content_items[0].url",
        ),
        (
            "/lti/services/deep-linking",
            &deep,
            r#"{"content_items": [{"type": "html", "html": "<p>"}]}"#,
            "content_items[0].type",
        ),
        (
            "/lti/services/deep-linking",
            &deep,
            r#"{"content_items": {}}"#,
            "content_items",
        ),
    ];
    for (path, bearer, body, field) in cases {
        let (reply, json) = call(stack, "POST", path, bearer, Some(body));
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
        assert!(
            json["message"].as_str().unwrap().contains(field),
            "{path} should name {field}: {}",
            reply.body
        );
    }
    let deep_json = format!("{{\"x\": {}}}", "[".repeat(200) + &"]".repeat(200));
    let (reply, _) = call(
        stack,
        "POST",
        "/lti/services/scores",
        &bearer,
        Some(&deep_json),
    );
    assert_eq!(reply.status, 400, "over-deep JSON");
    assert_eq!(
        stack.platform.service_requests("a").len(),
        before,
        "the platform received nothing"
    );
}

fn bad_bearers_are_refused(stack: &Stack) {
    let valid = assertion(stack, "svc-bearer");
    let (signed, _) = valid.rsplit_once('.').unwrap();
    let foreign = stack.platform.sign_raw(
        &json!({"alg": "RS256", "kid": stack.platform.key_id(SigningKeyChoice::Attacker)}),
        &json!({"iss": stack.worker, "aud": stack.origin.base_url(), "exp": 4_000_000_000u64, "iat": 1, "jti": "x", "lti": {}}),
        SigningKeyChoice::Attacker,
    );
    for bearer in ["", "garbage", &format!("{signed}.AAAA"), &foreign] {
        let (reply, body) = call(stack, "POST", "/lti/services/scores", bearer, Some(SCORE));
        assert_eq!(reply.status, 401, "{bearer}: {}", reply.body);
        assert_eq!(body["error"], "invalid_token");
    }
    let reply = Browser::default().request("GET", &stack.url("/lti/services/members"), &[], None);
    assert_eq!(reply.status, 401, "no Authorization header");
}

fn unknown_routes_and_methods_get_404_and_405(stack: &Stack) {
    let bearer = assertion(stack, "svc-routes");
    let before = stack.platform.service_requests("a").len();
    let (reply, body) = call(stack, "GET", "/lti/services/nope", &bearer, None);
    assert_eq!((reply.status, &body["error"]), (404, &json!("not_found")));
    let (reply, body) = call(stack, "DELETE", "/lti/services/scores", &bearer, None);
    assert_eq!(
        (reply.status, &body["error"]),
        (405, &json!("method_not_allowed"))
    );
    let after = stack.platform.service_requests("a").len();
    assert_eq!(after, before, "nothing reached the platform");
}

fn ungranted_scopes_and_lineitems_are_refused(stack: &Stack) {
    let ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    let bearer = assertion_as(stack, &A1, "svc-readonly", |c| {
        c[ags]["scope"] =
            json!(["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"]);
    });
    let before = stack.platform.service_requests("a").len();
    let (reply, body) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(body["message"].as_str().unwrap().contains("scope/score"));
    let (reply, _) = call(
        stack,
        "POST",
        "/lti/services/lineitems",
        &bearer,
        Some(r#"{"label": "x", "scoreMaximum": 1}"#),
    );
    assert_eq!(reply.status, 403);

    let bearer = assertion(stack, "svc-foreign-lineitem");
    let foreign = json!({"scoreGiven": 1, "scoreMaximum": 2, "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                         "lineitem": format!("{}/lineitems/ctx-2/1", stack.platform.issuer("a"))});
    let (reply, body) = call(
        stack,
        "POST",
        "/lti/services/scores",
        &bearer,
        Some(&foreign.to_string()),
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(body["message"].as_str().unwrap().contains("lineitem"));
    let bearer = assertion_as(stack, &A1, "svc-no-nrps", |c| {
        c.as_object_mut()
            .unwrap()
            .remove("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice");
    });
    let (reply, _) = call(stack, "GET", "/lti/services/members", &bearer, None);
    assert_eq!(reply.status, 403);
    assert_eq!(
        stack.platform.service_requests("a").len(),
        before,
        "the platform received nothing"
    );
}

fn token_endpoint_errors_give_502(stack: &Stack) {
    // Platform b has no token cached yet, so the failure cannot hide behind one.
    let b1 = As {
        platform: "b",
        client_id: "tool-b1",
        deployment_id: "b1-dep-1",
        ..A1
    };
    let bearer = assertion_as(stack, &b1, "svc-token-error", |_| {});

    stack
        .platform
        .set_token_failure("b", Some((400, "invalid_client".into())));
    let tokens = stack.platform.token_requests("b");
    let (reply, body) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    stack.platform.set_token_failure("b", None);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(
        stack.platform.token_requests("b") - tokens,
        1,
        "no retry loop"
    );
    assert_eq!(body["error"], "platform_error");
    assert!(body["message"].as_str().unwrap().contains("invalid_client"));
    assert!(stack.platform.scores("b").is_empty());
    // The platform recovers: the next call gets a token and goes through.
    let (reply, _) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

fn expired_platform_tokens_are_renewed(stack: &Stack) {
    let bearer = assertion(stack, "svc-expired");
    call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    stack.platform.expire_tokens("a");
    let tokens = stack.platform.token_requests("a");
    let (reply, _) = call(stack, "POST", "/lti/services/scores", &bearer, Some(SCORE));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        stack.platform.token_requests("a") - tokens,
        1,
        "renewed once after the platform's 401"
    );
}

fn service_tokens_grade_in_the_background(stack: &Stack) {
    let bearer = assertion(stack, "svc-background");
    let (reply, body) = call(stack, "POST", "/lti/services/token", &bearer, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = body["token"].as_str().unwrap().to_owned();
    remember(&token);
    assert!(
        body["expires_at"].as_u64().unwrap() > 86_400 * 20_000,
        "lives for days"
    );
    let (reply, _) = call(stack, "POST", "/lti/services/scores", &token, Some(SCORE));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (reply, _) = call(stack, "GET", "/lti/services/members", &token, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (reply, _) = call(stack, "POST", "/lti/services/token", &token, None);
    assert_eq!(reply.status, 401, "a service token cannot mint another");
    // It is no assertion: the origin's audience check refuses it.
    let claims = segment_json(token.split('.').nth(1).unwrap());
    assert_ne!(claims["aud"], stack.origin.base_url());
    assert!(
        claims["lti"].get("email").is_none(),
        "narrow: no personal data beyond the user id"
    );
}
