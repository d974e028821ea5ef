//! The tool's client registration (LTI Dynamic Registration 1.0 §3.5, §3.6;
//! RFC 7591), the platform's answer, and the registration the tool keeps.

use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use super::{check_status, with_bearer, PlatformConfiguration, RegistrationToken};
use crate::error::{shown, Error, Result};
use crate::ids::RegistrationKey;
use crate::ports::{HttpRequest, HttpResponse, Method};
use crate::registration::ANY_DEPLOYMENT;
use crate::services::grant::scope;

/// The LTI member of the registration and of its answer (§3.5.2, §3.6.2).
pub const TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";
/// The scopes of the services the worker offers the origin: AGS and NRPS.
pub(crate) const TOOL_SCOPES: [&str; 5] = [
    scope::LINEITEM,
    scope::LINEITEM_READONLY,
    scope::RESULT_READONLY,
    scope::SCORE,
    scope::MEMBERSHIP_READONLY,
];
/// The id_token claims the tool asks for: who the user is.
pub(crate) const TOOL_CLAIMS: [&str; 6] =
    ["iss", "sub", "name", "given_name", "family_name", "email"];
/// A registration response larger than this is not one.
pub(crate) const MAX_REGISTRATION_RESPONSE_BYTES: usize = 256 * 1024;

/// The tool's scopes the platform supports: those of its `scopes_supported`
/// the worker uses, all of them when it lists none.
pub(crate) fn requested_scopes(config: &PlatformConfiguration) -> Vec<&'static str> {
    match config.scopes_supported() {
        Some(supported) => TOOL_SCOPES
            .into_iter()
            .filter(|s| supported.iter().any(|p| p == s))
            .collect(),
        None => TOOL_SCOPES.to_vec(),
    }
}

/// §3.5: the client registration, POSTed as JSON to the platform's
/// `registration_endpoint`, with the registration token when one was given.
/// `tool` is the worker's origin (path `/`).
pub(crate) fn registration_request(
    config: &PlatformConfiguration,
    tool: &Url,
    token: Option<&RegistrationToken>,
) -> HttpRequest {
    let request = HttpRequest {
        method: Method::Post,
        url: config.registration_endpoint().to_owned(),
        headers: Vec::new(),
        body: Some(client_metadata(config, tool).to_string()),
    };
    let request = request
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    with_bearer(request, token)
}

/// The registration's members (§3.5.1, §3.5.2).
fn client_metadata(config: &PlatformConfiguration, tool: &Url) -> Value {
    let base = tool.as_str().trim_end_matches('/');
    let domain = domain(tool);
    let mut metadata = json!({
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": format!("{base}/lti/login"),
        "redirect_uris": [format!("{base}/lti/launch")],
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": domain,
        TOOL_CONFIGURATION: {
            "domain": domain,
            "target_link_uri": format!("{base}/"),
            "claims": TOOL_CLAIMS,
            "messages": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest"},
            ],
        },
    });
    // RFC 7591 §2: `scope` is optional; none at all is left out rather than
    // sent empty, which some platforms refuse.
    let scopes = requested_scopes(config);
    if !scopes.is_empty() {
        metadata["scope"] = scopes.join(" ").into();
    }
    metadata
}

/// The worker's host, with `:port` when the port is not the scheme's default.
fn domain(tool: &Url) -> String {
    let host = tool.host_str().unwrap_or_default();
    match tool.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The platform's answer (§3.6): the new client, and the deployment it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientRegistration {
    client_id: String,
    deployment_id: Option<String>,
}

impl ClientRegistration {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// `None` when the platform returned none.
    pub fn deployment_id(&self) -> Option<&str> {
        self.deployment_id.as_deref()
    }
}

/// §3.6: `client_id` is required; the deployment comes from the LTI member's
/// `deployment_id`, when there is one. A non-2xx answer is the platform's
/// refusal, with its status and message.
pub(crate) fn parse_registration_response(response: &HttpResponse) -> Result<ClientRegistration> {
    check_status(response)?;
    let invalid = |reason: String| Error::InvalidRegistrationResponse(reason);
    if response.body.len() > MAX_REGISTRATION_RESPONSE_BYTES {
        let limit = MAX_REGISTRATION_RESPONSE_BYTES;
        return Err(invalid(format!("larger than {limit} bytes")));
    }
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|e| invalid(format!("not JSON ({})", shown(&e.to_string()))))?;
    let client_id = identifier(body.get("client_id"))
        .ok_or_else(|| invalid("`client_id` is missing".into()))?;
    let deployment_id = identifier(body.pointer(&format!(
        "/{}/deployment_id",
        pointer_escape(TOOL_CONFIGURATION)
    )));
    Ok(ClientRegistration {
        client_id,
        deployment_id,
    })
}

/// An identifier as platforms send them: a non-empty string, or a number.
fn identifier(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A member name as a JSON Pointer segment (RFC 6901 §3).
fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The registration as `PLATFORMS` stores it, members in the documented order.
#[derive(Serialize)]
struct Entry<'a> {
    issuer: &'a str,
    client_id: &'a str,
    authorization_endpoint: &'a str,
    token_endpoint: &'a str,
    jwks_uri: &'a str,
    deployment_ids: [&'a str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    token_audience: Option<&'a str>,
}

/// The `PLATFORMS` key and value of a new registration: `deployment_ids` is
/// the returned deployment, or `["*"]` (every deployment of the client) when
/// the platform returned none; `token_audience` is the configuration's
/// `authorization_server` when it is not the token endpoint.
pub(crate) fn registration_entry(
    config: &PlatformConfiguration,
    client: &ClientRegistration,
) -> (String, String) {
    let entry = Entry {
        issuer: config.issuer(),
        client_id: client.client_id(),
        authorization_endpoint: config.authorization_endpoint(),
        token_endpoint: config.token_endpoint(),
        jwks_uri: config.jwks_uri(),
        deployment_ids: [client.deployment_id().unwrap_or(ANY_DEPLOYMENT)],
        token_audience: config.token_audience(),
    };
    let value = serde_json::to_string_pretty(&entry).expect("strings serialize");
    (
        RegistrationKey::of(entry.issuer, entry.client_id).to_string(),
        value,
    )
}
