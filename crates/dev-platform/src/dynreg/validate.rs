//! The checks a platform makes on a client registration (LTI Dynamic Registration 1.0,
//! section 3.5), held to what the lti-edge interface promises the worker sends.

use serde_json::Value;
use url::Url;

use super::{SCOPES_SUPPORTED, TOOL_CONFIGURATION};

/// Every check, in order; the error names the field.
pub(crate) fn check_registration(body: &Value, tool_base: &str) -> Result<(), String> {
    if !body.is_object() {
        return Err("body: not a JSON object".into());
    }
    equals(body, "application_type", "web")?;
    if body["response_types"] != serde_json::json!(["id_token"]) {
        return Err("response_types: must be [\"id_token\"]".into());
    }
    for grant in ["implicit", "client_credentials"] {
        contains(body, "grant_types", grant)?;
    }
    equals(
        body,
        "initiate_login_uri",
        &format!("{tool_base}/lti/login"),
    )?;
    contains(body, "redirect_uris", &format!("{tool_base}/lti/launch"))?;
    equals(
        body,
        "jwks_uri",
        &format!("{tool_base}/.well-known/jwks.json"),
    )?;
    equals(body, "token_endpoint_auth_method", "private_key_jwt")?;
    non_empty(body, "client_name")?;
    check_scope(&body["scope"])?;
    check_tool_configuration(&body[TOOL_CONFIGURATION], tool_base)
}

fn equals(body: &Value, name: &str, expected: &str) -> Result<(), String> {
    match body[name].as_str() {
        Some(found) if found == expected => Ok(()),
        _ => Err(format!("{name}: expected {expected:?}, got {}", body[name])),
    }
}

fn contains(body: &Value, name: &str, wanted: &str) -> Result<(), String> {
    let listed = body[name]
        .as_array()
        .is_some_and(|values| values.iter().any(|value| value == wanted));
    if listed {
        Ok(())
    } else {
        Err(format!("{name}: must list {wanted:?}, got {}", body[name]))
    }
}

fn non_empty<'a>(body: &'a Value, name: &str) -> Result<&'a str, String> {
    body[name]
        .as_str()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| format!("{name}: required, a non-empty string"))
}

/// A space-separated string; each scope one the configuration offered.
fn check_scope(scope: &Value) -> Result<(), String> {
    let text = scope.as_str().ok_or("scope: required, a string")?;
    match text
        .split_whitespace()
        .find(|s| !SCOPES_SUPPORTED.contains(s))
    {
        Some(unknown) => Err(format!("scope: {unknown:?} is not supported")),
        None => Ok(()),
    }
}

fn check_tool_configuration(config: &Value, tool_base: &str) -> Result<(), String> {
    let name = |field: &str| format!("{TOOL_CONFIGURATION}.{field}");
    let nested = |error: String| format!("{TOOL_CONFIGURATION}.{error}");
    if !config.is_object() {
        return Err(format!("{TOOL_CONFIGURATION}: required, an object"));
    }
    let domain = expected_domain(tool_base);
    equals(config, "domain", &domain).map_err(nested)?;
    let target = non_empty(config, "target_link_uri").map_err(nested)?;
    if Url::parse(target).map(|url| url_domain(&url)) != Ok(domain) {
        return Err(format!(
            "{}: not on the tool's domain",
            name("target_link_uri")
        ));
    }
    if !config["claims"]
        .as_array()
        .is_some_and(|claims| claims.iter().all(Value::is_string))
    {
        return Err(format!("{}: required, an array of strings", name("claims")));
    }
    for wanted in ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"] {
        let listed = config["messages"]
            .as_array()
            .is_some_and(|messages| messages.iter().any(|m| m["type"] == wanted));
        if !listed {
            return Err(format!("{}: must list {wanted}", name("messages")));
        }
    }
    Ok(())
}

/// The host, with `:port` when not the scheme's default.
fn url_domain(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn expected_domain(tool_base: &str) -> String {
    Url::parse(tool_base).map_or_else(|_| tool_base.to_string(), |url| url_domain(&url))
}
