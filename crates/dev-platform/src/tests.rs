//! Route and API tests against a real server on a free loopback port.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::http::{Reply, Serving};
use crate::{hs256, verify_rs256, DemoOrigin, DevPlatform, SigningKeyChoice};

const TOOL: &str = "http://127.0.0.1:8787";

fn platform() -> DevPlatform {
    DevPlatform::start(0, TOOL).expect("platform starts")
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// Any status, as a response (ureq reports 4xx/5xx as errors).
fn send(request: ureq::Request, form: Option<&[(&str, &str)]>) -> ureq::Response {
    let result = match form {
        Some(fields) => request.send_form(fields),
        None => request.call(),
    };
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}

fn get(url: &str) -> ureq::Response {
    send(agent().get(url), None)
}

fn jwks(platform: &DevPlatform, name: &str) -> Value {
    let url = format!("{}/jwks", platform.issuer(name));
    serde_json::from_str(&get(&url).into_string().unwrap()).unwrap()
}

/// The value of a hidden input in one of our auto-submitting forms.
fn form_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field present") + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

#[test]
fn jwks_route_serves_the_active_key_with_caching_headers() {
    let platform = platform();
    let response = get(&format!("{}/jwks", platform.issuer("a")));
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_type(), "application/json");
    assert_eq!(response.header("Cache-Control"), Some("max-age=300"));
    let set: Value = serde_json::from_str(&response.into_string().unwrap()).unwrap();
    let key = &set["keys"][0];
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        key["kid"],
        platform.key_id(SigningKeyChoice::Active("a".into()))
    );
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    assert_eq!(platform.jwks_fetches("a"), 1);
    assert_eq!(platform.jwks_fetches("b"), 0);
    assert_ne!(jwks(&platform, "b")["keys"][0]["kid"], key["kid"]);
}

#[test]
fn signed_id_token_verifies_against_the_served_jwks() {
    let platform = platform();
    let claims = platform.launch_claims(
        "b",
        "tool-b1",
        "b1-dep-1",
        "LtiResourceLinkRequest",
        "n-1",
        &format!("{TOOL}/course/welcome"),
    );
    let token = platform.sign_id_token("b", &claims);
    let (header, verified) = verify_rs256(&token, &jwks(&platform, "b")).expect("verifies");
    assert_eq!(verified, claims);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(verified["iss"], platform.issuer("b"));
    assert!(verify_rs256(&token, &jwks(&platform, "a")).is_err());
}

#[test]
fn forged_tokens_do_not_verify() {
    let platform = platform();
    let claims = json!({"sub": "user-123"});
    let kid = platform.key_id(SigningKeyChoice::Active("a".into()));
    let header = json!({"alg": "RS256", "kid": kid});
    let forged = platform.sign_raw(&header, &claims, SigningKeyChoice::Attacker);
    assert!(verify_rs256(&forged, &jwks(&platform, "a")).is_err());
    let attacker_url = format!("{}/attacker/jwks", platform.base_url());
    let attacker_set: Value =
        serde_json::from_str(&get(&attacker_url).into_string().unwrap()).unwrap();
    let attacker_kid = platform.key_id(SigningKeyChoice::Attacker);
    let header = json!({"alg": "RS256", "kid": attacker_kid, "jku": attacker_url});
    let forged = platform.sign_raw(&header, &claims, SigningKeyChoice::Attacker);
    assert!(verify_rs256(&forged, &attacker_set).is_ok());
    assert_eq!(platform.jwks_fetches("attacker"), 1);
    let pem = platform.public_key_pem("a");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let hs = hs256(
        &json!({"alg": "HS256", "kid": kid}),
        &claims,
        pem.as_bytes(),
    );
    assert!(verify_rs256(&hs, &jwks(&platform, "a")).is_err());
}

fn start_launch(platform: &DevPlatform) -> Vec<(String, String)> {
    let url = format!(
        "{}/start?client_id=tool-a1&deployment_id=a1-dep-2&message_type=LtiDeepLinkingRequest",
        platform.issuer("a")
    );
    let response = get(&url);
    assert_eq!(response.status(), 302);
    let location = response.header("Location").unwrap();
    let login = url::Url::parse(location).unwrap();
    assert_eq!(
        &location[..login.path().len() + TOOL.len()],
        format!("{TOOL}/lti/login")
    );
    login.query_pairs().into_owned().collect()
}

/// What every authorization request carries, as the worker sends it.
fn fixed_authorize_params() -> Vec<(String, String)> {
    let fixed = [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("redirect_uri", "http://127.0.0.1:8787/lti/launch"),
        ("nonce", "nonce-42"),
        ("state", "state-42"),
    ];
    fixed
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The authorization request answering `login`: the fixed parameters, then those the
/// login hands on (when it has them).
fn authorize_params(login: &[(String, String)]) -> Vec<(String, String)> {
    let mut params = fixed_authorize_params();
    for name in ["client_id", "login_hint", "lti_message_hint"] {
        if let Some(value) = crate::http::param(login, name) {
            params.push((name.to_string(), value.to_string()));
        }
    }
    params
}

fn post_authorize(platform: &DevPlatform, params: &[(String, String)]) -> ureq::Response {
    let fields: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = format!("{}/authorize", platform.issuer("a"));
    send(agent().post(&url), Some(&fields))
}

/// The login parameters the platform's `start` sends the tool (redirect or POST form).
fn login_params(platform: &DevPlatform, name: &str, query: &str) -> Vec<(String, String)> {
    let response = get(&format!("{}/start?{query}", platform.issuer(name)));
    match response.status() {
        302 => {
            let location = url::Url::parse(response.header("Location").unwrap()).unwrap();
            location.query_pairs().into_owned().collect()
        }
        _ => {
            let html = response.into_string().unwrap();
            let names = [
                "iss",
                "login_hint",
                "target_link_uri",
                "lti_message_hint",
                "client_id",
                "lti_deployment_id",
            ];
            names
                .iter()
                .filter(|field| html.contains(&format!("name=\"{field}\"")))
                .map(|field| (field.to_string(), form_value(&html, field)))
                .collect()
        }
    }
}

/// Answers `login` at the platform's authorization endpoint, as the worker would, and
/// returns the verified claims of the id_token it launches with.
fn claims_of_launch(platform: &DevPlatform, name: &str, login: &[(String, String)]) -> Value {
    let params = authorize_params(login);
    let fields: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = format!("{}/authorize", platform.issuer(name));
    let response = send(agent().post(&url), Some(&fields));
    let html = response.into_string().unwrap();
    let token = form_value(&html, "id_token");
    verify_rs256(&token, &jwks(platform, name))
        .expect("verifies")
        .1
}

#[test]
fn authorize_answers_a_form_with_a_verifiable_launch() {
    let platform = platform();
    let login = start_launch(&platform);
    assert_eq!(
        crate::http::param(&login, "iss"),
        Some(platform.issuer("a").as_str())
    );
    let params = authorize_params(&login);
    let response = post_authorize(&platform, &params);
    assert_eq!(response.status(), 200);
    let html = response.into_string().unwrap();
    assert!(html.contains("action=\"http://127.0.0.1:8787/lti/launch\""));
    assert_eq!(form_value(&html, "state"), "state-42");
    let token = form_value(&html, "id_token");
    let (_, claims) = verify_rs256(&token, &jwks(&platform, "a")).expect("verifies");
    let lti =
        |name: &str| claims[format!("https://purl.imsglobal.org/spec/lti/claim/{name}")].clone();
    assert_eq!(claims["nonce"], "nonce-42");
    assert_eq!(claims["aud"], "tool-a1");
    assert_eq!(lti("deployment_id"), "a1-dep-2");
    assert_eq!(lti("message_type"), "LtiDeepLinkingRequest");
    assert_eq!(lti("target_link_uri"), format!("{TOOL}/deep-link/picker"));
    assert_eq!(platform.authorize_requests(), vec![params]);
}

#[test]
fn authorize_rejects_a_foreign_redirect_uri() {
    let platform = platform();
    let mut params = authorize_params(&start_launch(&platform));
    params.retain(|(k, _)| k != "redirect_uri");
    params.push(("redirect_uri".into(), "https://evil.example/steal".into()));
    let response = post_authorize(&platform, &params);
    assert_eq!(response.status(), 400);
    assert!(response.into_string().unwrap().contains("redirect_uri"));
    assert_eq!(platform.authorize_requests().len(), 1);
}

#[test]
fn start_with_method_post_answers_an_auto_submitting_form() {
    let platform = platform();
    let url = format!(
        "{}/start?client_id=tool-b1&deployment_id=b1-dep-1&message_type=LtiResourceLinkRequest&method=post",
        platform.issuer("b")
    );
    let html = get(&url).into_string().unwrap();
    assert!(html.contains("action=\"http://127.0.0.1:8787/lti/login\""));
    assert_eq!(
        form_value(&html, "target_link_uri"),
        format!("{TOOL}/course/welcome")
    );
    assert_eq!(
        get(&format!("{}/nowhere", platform.base_url())).status(),
        404
    );
    assert!(get(&format!("{}/", platform.base_url()))
        .into_string()
        .unwrap()
        .contains("Deep linking launch"));
}

#[test]
fn rotate_key_publishes_only_the_new_key() {
    let platform = platform();
    let old = platform.key_id(SigningKeyChoice::Active("a".into()));
    let new = platform.rotate_key("a");
    assert_ne!(old, new);
    assert_eq!(
        new,
        platform.key_id(SigningKeyChoice::Platform("a".into(), 1))
    );
    let set = jwks(&platform, "a");
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(set["keys"][0]["kid"], new.as_str());
    let token = platform.sign_id_token("a", &json!({"sub": "user-123"}));
    let (header, _) = verify_rs256(&token, &set).expect("verifies");
    assert_eq!(header["kid"], new.as_str());
}

#[test]
fn kv_bulk_json_holds_every_registration() {
    let platform = platform();
    let entries: Vec<Value> = serde_json::from_str(&platform.kv_bulk_json()).unwrap();
    assert_eq!(entries.len(), 8);
    let issuer = platform.issuer("a");
    assert_eq!(entries[0]["key"], format!("{issuer}#tool-a1"));
    let value: Value = serde_json::from_str(entries[0]["value"].as_str().unwrap()).unwrap();
    assert_eq!(value, platform.registrations()[0]);
    assert_eq!(value["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(value["deployment_ids"], json!(["a1-dep-1", "a1-dep-2"]));
}

/// A stand-in worker that only publishes its JWKS (platform a's key, for the test).
fn fake_tool(jwks: Value) -> Serving {
    let serving = Serving::bind(0).unwrap();
    let body = jwks.to_string();
    serving.run(Arc::new(move |req| match req.path.as_str() {
        "/.well-known/jwks.json" => Reply::json(body.clone()),
        _ => Reply::not_found(),
    }));
    serving
}

#[test]
fn demo_origin_verifies_assertions() {
    let platform = platform();
    let tool = fake_tool(jwks(&platform, "a"));
    let origin = DemoOrigin::start(0, &format!("http://127.0.0.1:{}", tool.port())).unwrap();
    let page = |assertion: Option<&str>| {
        let request = agent().get(&format!("{}/course/welcome?x=1", origin.base_url()));
        let request = match assertion {
            Some(token) => request.set("Lti-Jwt-Assertion", token),
            None => request,
        };
        send(request, None).into_string().unwrap()
    };
    assert!(page(None).contains("No assertion"));
    let claims = json!({"sub": "user-123", "exp": crate::claims::now() + 60,
        "lti": {"name": "Ada <L>", "iss": "raw-issuer"},
        "user": {"id": "user-123", "name": "Ada <L>", "roles": ["Learner", "Mentor"]},
        "services": {"grades": true, "roster": false}});
    let good = platform.sign_id_token("a", &claims);
    let html = page(Some(&good));
    assert!(html.contains("Verified by lti-edge") && html.contains("Ada &lt;L&gt;"));
    assert!(html.contains("<tr><th>Roles</th><td>Learner, Mentor</td></tr>"));
    assert!(html.contains("<tr><th>Services</th><td>grades</td></tr>"));
    assert!(html.contains("GET /course/welcome?x=1"));
    let (view, raw) = (html.find("Normalized view"), html.find("Raw claims"));
    assert!(
        view.unwrap() < raw.unwrap(),
        "the view first, raw claims below"
    );
    assert!(html.find("raw-issuer").unwrap() > raw.unwrap());
    let header =
        json!({"alg": "RS256", "kid": platform.key_id(SigningKeyChoice::Active("a".into()))});
    let forged = platform.sign_raw(&header, &claims, SigningKeyChoice::Attacker);
    assert!(page(Some(&forged)).contains("NOT verified"));
}

mod course;
mod deep_link;
mod dynreg;
mod line_item;
mod moodle;
mod profiles;
mod raw;
mod services;
mod skillstown;
mod token;
mod tool;
