//! `POST {issuer}/deep-link-return`: verifying the tool's LtiDeepLinkingResponse.

use serde_json::{json, Value};

use super::tool::{sign, tool_key, unique, Tool};
use super::{agent, send};
use crate::claims::now;
use crate::keys;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";

fn response_claims(tool: &Tool) -> Value {
    let iat = now();
    json!({
        "iss": "tool-a1",
        "aud": tool.platform.issuer("a"),
        "iat": iat,
        "exp": iat + 300,
        "nonce": unique("dl-nonce"),
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): "a1-dep-2",
        format!("{DL}data"): "opaque-data",
        format!("{DL}msg"): "Two items picked",
        format!("{DL}content_items"): [
            {"type": "ltiResourceLink", "title": "Week 2 <quiz>", "url": "http://127.0.0.1:8787/quiz"},
            {"type": "link", "url": "https://example.com/reading"},
        ],
    })
}

fn post_return(tool: &Tool, jwt: Option<&str>) -> (u16, String) {
    let url = tool.url("a", "/deep-link-return");
    let fields: Vec<(&str, &str)> = jwt.map(|jwt| ("JWT", jwt)).into_iter().collect();
    let response = send(agent().post(&url), Some(&fields));
    (response.status(), response.into_string().unwrap())
}

#[test]
fn deep_link_return_accepts_a_verified_response() {
    let tool = Tool::start();
    let claims = response_claims(&tool);
    let (status, html) = post_return(&tool, Some(&sign(tool_key(), &claims)));
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Deep linking response received"));
    assert!(html.contains("Week 2 &lt;quiz&gt;") && html.contains("(untitled link)"));
    assert!(html.contains("Two items picked"));
    let mut array_aud = response_claims(&tool);
    array_aud["aud"] = json!([tool.platform.issuer("a"), "other"]);
    array_aud
        .as_object_mut()
        .unwrap()
        .remove(&format!("{DL}data"));
    assert_eq!(
        post_return(&tool, Some(&sign(tool_key(), &array_aud))).0,
        200
    );
    assert_eq!(tool.platform.deep_link_responses(), vec![claims, array_aud]);
}

type Mutation = fn(&mut Value);

#[test]
fn deep_link_return_rejects_failed_checks_by_name() {
    let tool = Tool::start();
    let cases: [(&str, Mutation); 8] = [
        ("iss", |c| c["iss"] = json!("tool-b1")),
        ("aud", |c| c["aud"] = json!("tool-a1")),
        ("exp", |c| c["exp"] = json!(now() - 1)),
        ("nonce", |c| {
            drop(c.as_object_mut().unwrap().remove("nonce"))
        }),
        ("message_type", |c| {
            c[format!("{LTI}message_type")] = json!("LtiResourceLinkRequest")
        }),
        ("version", |c| c[format!("{LTI}version")] = json!("1.1")),
        ("deployment_id", |c| {
            c[format!("{LTI}deployment_id")] = json!("a2-dep-1")
        }),
        ("data", |c| c[format!("{DL}data")] = json!("forged")),
    ];
    for (check, mutate) in cases {
        let mut claims = response_claims(&tool);
        mutate(&mut claims);
        let (status, html) = post_return(&tool, Some(&sign(tool_key(), &claims)));
        assert_eq!(status, 400, "{check}");
        assert!(
            html.contains("rejected") && html.contains(check),
            "{check}: {html}"
        );
    }
    let header = json!({"alg": "RS256", "kid": tool_key().kid()});
    let forged = keys::attacker_key().sign(&header, &response_claims(&tool));
    let (status, html) = post_return(&tool, Some(&forged));
    assert!(status == 400 && html.contains("signature"), "{html}");
    let (status, html) = post_return(&tool, None);
    assert!(status == 400 && html.contains("JWT"), "{html}");
    assert!(tool.platform.deep_link_responses().is_empty());
}
