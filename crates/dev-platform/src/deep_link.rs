//! `POST {issuer}/deep-link-return`: the platform end of Deep Linking 2.0. Verifies the
//! tool's `LtiDeepLinkingResponse` and shows what came back.

use serde_json::Value;

use crate::checks::{self, string_claim};
use crate::claims::DEEP_LINK_DATA;
use crate::http::{escape, page, param, Incoming, Reply};
use crate::platform::State;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
const RESPONSE: &str = "LtiDeepLinkingResponse";

pub(crate) fn deep_link_return(state: &State, platform: &str, req: &Incoming) -> Reply {
    let form = req.form();
    let checked = param(&form, "JWT")
        .filter(|jwt| !jwt.is_empty())
        .ok_or_else(|| "JWT: missing form field".to_string())
        .and_then(|jwt| check_response(state, platform, jwt));
    match checked {
        Ok(claims) => {
            let body = received_page(&claims);
            state.advantage.record_deep_link(claims);
            Reply::html(200, body)
        }
        Err(check) => {
            let body = format!(
                "<h1>Deep linking response rejected</h1>\n<p class=\"err\">{}</p>",
                escape(&check)
            );
            Reply::html(400, page("Deep linking response rejected", &body))
        }
    }
}

/// Every check of a deep linking response; returns its claims.
fn check_response(state: &State, platform: &str, jwt: &str) -> Result<Value, String> {
    let (_, claims) = state
        .advantage
        .tool_keys
        .verify(jwt)
        .map_err(|e| format!("signature: {e}"))?;
    let client_id = string_claim(&claims, "iss")?;
    let deployments =
        checks::registered_client(state, platform, client_id).map_err(|e| format!("iss: {e}"))?;
    checks::audience(&claims, &state.issuer(platform))?;
    checks::not_expired(&claims)?;
    string_claim(&claims, "nonce")?;
    expect(&claims, &format!("{LTI}message_type"), RESPONSE)?;
    expect(&claims, &format!("{LTI}version"), "1.3.0")?;
    let deployment_claim = format!("{LTI}deployment_id");
    let deployment = string_claim(&claims, &deployment_claim)?;
    if !deployments.iter().any(|known| known == deployment) {
        return Err(format!(
            "{deployment_claim}: {deployment:?} is not registered for {client_id:?}"
        ));
    }
    check_payload(&claims)?;
    Ok(claims)
}

fn expect(claims: &Value, name: &str, expected: &str) -> Result<(), String> {
    if claims[name] == expected {
        Ok(())
    } else {
        Err(format!(
            "{name}: expected {expected:?}, got {}",
            claims[name]
        ))
    }
}

/// `data` must echo the launch's (when sent); `content_items`, when sent, is an array.
fn check_payload(claims: &Value) -> Result<(), String> {
    let data = format!("{DL}data");
    if claims.get(&data).is_some() {
        expect(claims, &data, DEEP_LINK_DATA)?;
    }
    let items = format!("{DL}content_items");
    match claims.get(&items) {
        None | Some(Value::Array(_)) => Ok(()),
        Some(other) => Err(format!("{items}: must be an array, got {other}")),
    }
}

fn received_page(claims: &Value) -> String {
    let items: String = claims[format!("{DL}content_items")]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| format!("<li>{}</li>\n", escape(&item_title(item))))
        .collect();
    let messages: String = ["msg", "errormsg"]
        .iter()
        .filter_map(|name| claims[format!("{DL}{name}")].as_str().map(|m| (name, m)))
        .map(|(name, text)| format!("<p><strong>{name}</strong>: {}</p>\n", escape(text)))
        .collect();
    let body = format!(
        "<h1>Deep linking response received</h1>\n<p class=\"ok\">Verified against the tool's \
         JWKS.</p>\n{messages}<h2>Content items</h2>\n<ul>\n{items}</ul>"
    );
    page("Deep linking response received", &body)
}

fn item_title(item: &Value) -> String {
    match item["title"].as_str() {
        Some(title) => title.to_string(),
        None => format!("(untitled {})", item["type"].as_str().unwrap_or("item")),
    }
}
