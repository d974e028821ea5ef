//! `POST {issuer}/token`: the client_credentials grant and its failures.

use serde_json::{json, Value};

use super::tool::{json_of, other_tool_key, sign, token_form, tool_key, Tool};
use super::{agent, send};
use crate::claims::{now, SCOPE_LINEITEM, SCOPE_MEMBERSHIP, SCOPE_SCORE};
use crate::keys;

fn error_of(tool: &Tool, fields: &[(&str, String)]) -> (u16, String, String) {
    let (status, body) = tool.request_token("a", fields);
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    (status, text("error"), text("error_description"))
}

#[test]
fn token_grant_issues_a_bearer_token_for_the_requested_scopes() {
    let tool = Tool::start();
    let claims = tool.assertion_claims("a", "tool-a1");
    let scope = format!("{SCOPE_SCORE} {SCOPE_LINEITEM} {SCOPE_SCORE}");
    let (status, body) = tool.request_token("a", &token_form(&sign(tool_key(), &claims), &scope));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], format!("{SCOPE_SCORE} {SCOPE_LINEITEM}"));
    assert!(body["access_token"].as_str().unwrap().len() >= 40);
    let (header, seen) = tool.platform.last_client_assertion("a").unwrap();
    assert_eq!(
        (header["kid"].as_str(), seen),
        (Some(tool_key().kid()), claims)
    );
    assert_eq!(tool.platform.token_requests("a"), 1);
    assert_eq!(tool.platform.token_requests("b"), 0);

    tool.platform.set_token_expires_in("a", 60);
    let mut claims = tool.assertion_claims("a", "tool-a2");
    claims["aud"] = json!(["https://elsewhere.example", tool.url("a", "/token")]);
    let form = token_form(&sign(tool_key(), &claims), SCOPE_MEMBERSHIP);
    let (status, body) = tool.request_token("a", &form);
    assert_eq!((status, &body["expires_in"]), (200, &json!(60)), "{body}");
}

type Mutation = fn(&mut Value);

#[test]
fn token_rejects_bad_client_assertion_claims() {
    let tool = Tool::start();
    let cases: [(&str, Mutation); 7] = [
        ("aud", |c| c["aud"] = json!("http://127.0.0.1:1/a/token")),
        ("sub", |c| c["sub"] = json!("tool-a2")),
        ("iss", |c| {
            c["iss"] = json!("tool-b1");
            c["sub"] = json!("tool-b1");
        }),
        ("exp", |c| c["exp"] = json!(now() - 5)),
        ("exp", |c| c["exp"] = json!(now() + 301)),
        ("iat", |c| c["iat"] = json!(now() + 600)),
        ("jti", |c| drop(c.as_object_mut().unwrap().remove("jti"))),
    ];
    for (check, mutate) in cases {
        let mut claims = tool.assertion_claims("a", "tool-a1");
        mutate(&mut claims);
        let form = token_form(&sign(tool_key(), &claims), SCOPE_SCORE);
        let (status, error, description) = error_of(&tool, &form);
        assert_eq!((status, error.as_str()), (401, "invalid_client"), "{check}");
        assert!(description.contains(check), "{check}: {description}");
    }
    assert_eq!(tool.platform.token_requests("a"), cases.len());
}

#[test]
fn token_rejects_a_replayed_jti_and_foreign_signatures() {
    let tool = Tool::start();
    let assertion = sign(tool_key(), &tool.assertion_claims("a", "tool-a1"));
    let form = token_form(&assertion, SCOPE_SCORE);
    assert_eq!(tool.request_token("a", &form).0, 200);
    let (status, error, description) = error_of(&tool, &form);
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(description.contains("replay"), "{description}");

    // The attacker's signature under the worker's kid, then under its own kid.
    let claims = tool.assertion_claims("a", "tool-a1");
    let header = json!({"alg": "RS256", "kid": tool_key().kid()});
    let forged = keys::attacker_key().sign(&header, &claims);
    for assertion in [forged, sign(keys::attacker_key(), &claims)] {
        let (status, error, _) = error_of(&tool, &token_form(&assertion, SCOPE_SCORE));
        assert_eq!((status, error.as_str()), (401, "invalid_client"));
    }
}

#[test]
fn token_rejects_malformed_requests() {
    let tool = Tool::start();
    let assertion = || sign(tool_key(), &tool.assertion_claims("a", "tool-a1"));
    let with = |name: &'static str, value: &str| {
        let mut form = token_form(&assertion(), SCOPE_SCORE);
        form.retain(|(k, _)| *k != name);
        if !value.is_empty() {
            form.push((name, value.to_string()));
        }
        form
    };
    let cases = [
        (
            with("grant_type", "authorization_code"),
            400,
            "unsupported_grant_type",
        ),
        (with("grant_type", ""), 400, "invalid_request"),
        (
            with("client_assertion_type", "urn:other"),
            401,
            "invalid_client",
        ),
        (with("client_assertion", ""), 400, "invalid_request"),
        (with("scope", "openid"), 400, "invalid_scope"),
        (with("scope", ""), 400, "invalid_scope"),
    ];
    for (form, status, error) in &cases {
        let (got, code, description) = error_of(&tool, form);
        assert_eq!((got, code.as_str()), (*status, *error), "{description}");
    }
    let not_a_form = send(agent().post(&tool.url("a", "/token")), None);
    assert_eq!(json_of(not_a_form).1["error"], "invalid_request");
    assert_eq!(tool.platform.token_requests("a"), cases.len() + 1);
}

#[test]
fn token_failure_switch_forces_an_error_answer() {
    let tool = Tool::start();
    let failure = Some((503, "temporarily_unavailable".to_string()));
    tool.platform.set_token_failure("a", failure);
    let form = token_form(
        &sign(tool_key(), &tool.assertion_claims("a", "tool-a1")),
        SCOPE_SCORE,
    );
    let (status, body) = tool.request_token("a", &form);
    assert_eq!(
        (status, &body["error"]),
        (503, &json!("temporarily_unavailable"))
    );
    tool.platform.set_token_failure("a", None);
    assert_eq!(
        tool.request_token("a", &form).0,
        200,
        "the jti was not spent"
    );
    assert_eq!(tool.platform.token_requests("a"), 2);
}

#[test]
fn worker_keys_are_fetched_again_for_an_unknown_kid() {
    let tool = Tool::start();
    let request = |key| {
        let claims = tool.assertion_claims("a", "tool-a1");
        tool.request_token("a", &token_form(&sign(key, &claims), SCOPE_SCORE))
            .0
    };
    assert_eq!(request(tool_key()), 200);
    tool.publish(&[other_tool_key()]);
    assert_eq!(request(other_tool_key()), 200);
    assert_eq!(request(tool_key()), 401, "the retired key is gone");
}
