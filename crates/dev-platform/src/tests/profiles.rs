//! The Canvas and Brightspace profiles, the registrations of every profile, and the
//! home page.

use serde_json::{json, Value};

use super::tool::{json_of, sign, token_form, tool_key, Tool};
use super::{claims_of_launch, get, login_params, platform, raw};
use crate::claims::{SCOPE_LINEITEM, SCOPE_SCORE};
use crate::{BRIGHTSPACE_TOKEN_AUDIENCE, SKILLSTOWN_AUDIENCE};

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

#[test]
fn canvas_refuses_api_requests_without_a_user_agent() {
    let tool = Tool::start();
    let claims = tool.assertion_claims("canvas", "canvas-tool");
    let form = token_form(&sign(tool_key(), &claims), SCOPE_LINEITEM);
    let body = crate::http::encode_query(&form);
    let content_type = ("Content-Type", "application/x-www-form-urlencoded");
    let (status, answer) = raw::request(
        "POST",
        &tool.url("canvas", "/token"),
        &[content_type],
        &body,
    );
    assert_eq!(status, 403);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("User-Agent"));

    let with_agent = [
        content_type,
        ("User-Agent", "lti-edge/0.1.0 (+http://127.0.0.1:8787)"),
    ];
    let (status, answer) = raw::request("POST", &tool.url("canvas", "/token"), &with_agent, &body);
    assert_eq!(
        status, 200,
        "the jti was not spent on the refusal: {answer}"
    );
    let token: Value = serde_json::from_str(&answer).unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());

    let items = tool.url("canvas", "/lineitems/ctx-1");
    let auth = ("Authorization", bearer.as_str());
    assert_eq!(raw::request("GET", &items, &[auth], "").0, 403);
    let (status, _) = raw::request("GET", &items, &[auth, ("User-Agent", "lti-edge/0.1.0")], "");
    assert_eq!(status, 200);
    let seen: Vec<Option<String>> = tool
        .platform
        .user_agents("canvas")
        .into_iter()
        .map(|(_, agent)| agent)
        .collect();
    let named = Some("lti-edge/0.1.0 (+http://127.0.0.1:8787)".to_string());
    assert_eq!(seen, [None, named, None, Some("lti-edge/0.1.0".into())]);
    assert_eq!(tool.platform.token_requests("canvas"), 2);
}

#[test]
fn user_agents_are_recorded_on_every_profile_without_refusals() {
    let tool = Tool::start();
    let (status, _) = raw::request("GET", &tool.url("a", "/jwks"), &[], "");
    assert_eq!(status, 200, "only Canvas insists");
    tool.access_token("a", SCOPE_SCORE);
    let seen = tool.platform.user_agents("a");
    assert_eq!(seen[0], ("/a/jwks".to_string(), None));
    assert_eq!(seen[1].0, "/a/token");
    assert!(seen[1].1.as_deref().unwrap().starts_with("ureq/"));
}

#[test]
fn canvas_launches_are_each_a_new_course_deployment() {
    let platform = platform();
    let mut deployments = Vec::new();
    for _ in 0..2 {
        let login = login_params(&platform, "canvas", "client_id=canvas-tool");
        let claims = claims_of_launch(&platform, "canvas", &login);
        let deployment = claims[format!("{LTI}deployment_id")]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            crate::http::param(&login, "lti_deployment_id"),
            Some(deployment.as_str())
        );
        deployments.push(deployment);
    }
    assert_eq!(deployments, ["canvas-course-1", "canvas-course-2"]);
    assert_eq!(platform.canvas_course_deployment(), "canvas-course-3");
    let known = platform.clients("canvas");
    assert_eq!(
        known,
        [(
            "canvas-tool".to_string(),
            vec![
                "canvas-course-1".to_string(),
                "canvas-course-2".into(),
                "canvas-course-3".into()
            ]
        )]
    );
    let any = platform.launch_claims(
        "canvas",
        "canvas-tool",
        "canvas-course-99",
        "LtiResourceLinkRequest",
        "n",
        "http://127.0.0.1:8787/x",
    );
    assert_eq!(any[format!("{LTI}deployment_id")], "canvas-course-99");
}

#[test]
fn brightspace_wants_its_own_token_audience_as_a_string() {
    let tool = Tool::start();
    let request = |aud: Value| {
        let mut claims = tool.assertion_claims("brightspace", "brightspace-tool");
        claims["aud"] = aud;
        let form = token_form(&sign(tool_key(), &claims), SCOPE_SCORE);
        tool.request_token("brightspace", &form)
    };
    assert_eq!(request(json!(BRIGHTSPACE_TOKEN_AUDIENCE)).0, 200);
    let refused = [
        json!(tool.url("brightspace", "/token")),
        json!([BRIGHTSPACE_TOKEN_AUDIENCE]),
        json!(null),
    ];
    for aud in refused {
        let (status, body) = request(aud.clone());
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{aud}"
        );
        assert!(
            body["error_description"].as_str().unwrap().contains("aud"),
            "{body}"
        );
    }
}

#[test]
fn registrations_carry_each_profiles_fields() {
    let platform = platform();
    let registrations = platform.registrations();
    let find = |client: &str| {
        registrations
            .iter()
            .find(|reg| reg["client_id"] == client)
            .unwrap_or_else(|| panic!("{client} registered"))
            .clone()
    };
    let plain_keys = [
        "authorization_endpoint",
        "client_id",
        "deployment_ids",
        "issuer",
        "jwks_uri",
        "token_endpoint",
    ];
    let keys = |reg: &Value| -> Vec<String> {
        let mut keys: Vec<String> = reg.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&find("tool-a1")), plain_keys);
    assert_eq!(find("canvas-tool")["deployment_ids"], json!(["*"]));
    assert_eq!(
        find("brightspace-tool")["token_audience"],
        BRIGHTSPACE_TOKEN_AUDIENCE
    );
    let skillstown = find("skillstown");
    assert_eq!(skillstown["launch_audience"], SKILLSTOWN_AUDIENCE);
    assert_eq!(
        (&skillstown["minimal_claims"], &skillstown["scores_url"]),
        (&json!(true), &json!("lineitem"))
    );
    assert_eq!(skillstown["deployment_ids"], json!(["skillstown-dep-1"]));
    let strict = find("skillstown-strict");
    assert_eq!(keys(&strict), plain_keys);
    assert_eq!(strict["issuer"], platform.issuer("skillstown"));
    assert_eq!(find("moodle-tool")["issuer"], platform.issuer("moodle"));
    assert!(registrations
        .iter()
        .all(|reg| reg["issuer"] != platform.issuer("dynreg")));
}

#[test]
fn home_page_offers_each_profiles_launches() {
    let platform = platform();
    let html = get(&format!("{}/", platform.base_url()))
        .into_string()
        .unwrap();
    for profile in platform.profiles() {
        assert!(
            html.contains(&format!("Platform {}", profile.to_uppercase())),
            "{profile}"
        );
    }
    assert!(html.contains("href=\"/canvas/start?client_id=canvas-tool&amp;message_type="));
    assert!(html.contains("Launch (POST login)"));
    assert!(html.contains(
        "/moodle/start?client_id=moodle-tool&amp;deployment_id=moodle-dep-1\
                           &amp;message_type=LtiSubmissionReviewRequest"
    ));
    assert!(html.contains("href=\"/a/course?client_id=tool-a1&amp;deployment_id=a1-dep-1\""));
    assert!(!html.contains("/skillstown/course?"));
    assert!(html.contains("--registration-secret"));
    assert!(!html.contains("register-frame-button"));
    let (status, _) = json_of(get(&format!("{}/jwks", platform.issuer("moodle"))));
    assert_eq!(status, 200);
}
