//! The platform's OpenID configuration (LTI Dynamic Registration 1.0 §3.4),
//! fetched with the registration token and validated (§3.5.1) before
//! anything is sent to the platform.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::{check_status, with_bearer, RegistrationToken};
use crate::error::{shown, Error, Result};
use crate::ports::{HttpRequest, HttpResponse};
use crate::registration::check_endpoint;

/// An OpenID configuration larger than this is not one.
pub(crate) const MAX_CONFIGURATION_BYTES: usize = 256 * 1024;
/// The LTI member of the configuration (§3.4.1).
pub const PLATFORM_CONFIGURATION: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";
/// Blackboard Learn's issuer, the same for every school (see [`check_issuer_host`]).
pub(crate) const BLACKBOARD_ISSUER: &str = "https://blackboard.com";
/// Blackboard Learn's `product_family_code`.
pub(crate) const BLACKBOARD_PRODUCT: &str = "BlackboardLearn";

/// §3.4: a GET of the configuration URL, with the registration token as a
/// bearer when the platform gave one.
pub(crate) fn openid_configuration_request(
    url: &Url,
    token: Option<&RegistrationToken>,
) -> HttpRequest {
    let request = HttpRequest::get(url.as_str()).header("Accept", "application/json");
    with_bearer(request, token)
}

/// The configuration as the platform sent it; only what the tool reads.
#[derive(Deserialize)]
struct OpenIdConfiguration {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    registration_endpoint: Option<String>,
    /// The `aud` of client assertions, when not `token_endpoint` (§3.4).
    authorization_server: Option<String>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    id_token_signing_alg_values_supported: Option<Vec<String>>,
    response_types_supported: Option<Vec<String>>,
    scopes_supported: Option<Vec<String>>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti-platform-configuration")]
    platform: Option<Value>,
}

/// A validated configuration: only [`parse_openid_configuration`] makes one.
#[derive(Debug, Clone)]
pub struct PlatformConfiguration {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    registration_endpoint: String,
    token_audience: Option<String>,
    scopes_supported: Option<Vec<String>>,
    product: PlatformProduct,
}

impl PlatformConfiguration {
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }
    pub fn registration_endpoint(&self) -> &str {
        &self.registration_endpoint
    }
    /// The configuration's `authorization_server`, when it differs from
    /// `token_endpoint` (Brightspace): the `aud` of client assertions.
    pub fn token_audience(&self) -> Option<&str> {
        self.token_audience.as_deref()
    }
    /// `None` when the platform lists none.
    pub fn scopes_supported(&self) -> Option<&[String]> {
        self.scopes_supported.as_deref()
    }
    pub fn product(&self) -> &PlatformProduct {
        &self.product
    }
}

/// What the platform says of itself (§3.4.1), for the page and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformProduct {
    pub product_family_code: Option<String>,
    pub version: Option<String>,
    /// The `type` of each of `messages_supported`.
    pub messages_supported: Vec<String>,
}

/// Parses and validates a fetched configuration against the URL it came from.
pub fn parse_openid_configuration(
    response: &HttpResponse,
    config_url: &Url,
) -> Result<PlatformConfiguration> {
    check_status(response)?;
    if response.body.len() > MAX_CONFIGURATION_BYTES {
        return Err(invalid(format!(
            "larger than {MAX_CONFIGURATION_BYTES} bytes"
        )));
    }
    let raw: OpenIdConfiguration = serde_json::from_slice(&response.body)
        .map_err(|e| invalid(format!("not the expected JSON ({})", shown(&e.to_string()))))?;
    validate(raw, config_url)
}

fn invalid(reason: String) -> Error {
    Error::InvalidPlatformConfiguration(reason)
}

/// §3.4 and §3.5.1, in order.
fn validate(raw: OpenIdConfiguration, config_url: &Url) -> Result<PlatformConfiguration> {
    let product = read_product(raw.platform.as_ref());
    // §3.4: "issuer: ... a case-sensitive URL, using the HTTPS scheme, that
    // contains scheme, host, and optionally, port number, and path
    // components, and no query or fragment components".
    let issuer = required("issuer", raw.issuer.as_deref())?;
    let issuer_url = check_issuer(&issuer)?;
    // §3.5.1: the issuer's domain matches the configuration URL's.
    check_issuer_host(&issuer, &issuer_url, config_url, &product)?;
    // §3.4: the endpoints the tool uses are present, and https.
    let authorization_endpoint = endpoint(
        "authorization_endpoint",
        raw.authorization_endpoint.as_deref(),
    )?;
    let token_endpoint = endpoint("token_endpoint", raw.token_endpoint.as_deref())?;
    let jwks_uri = endpoint("jwks_uri", raw.jwks_uri.as_deref())?;
    let registration_endpoint = endpoint(
        "registration_endpoint",
        raw.registration_endpoint.as_deref(),
    )?;
    check_supported(&raw)?;
    let token_audience = raw
        .authorization_server
        .filter(|server| !server.is_empty() && *server != token_endpoint);
    Ok(PlatformConfiguration {
        issuer,
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        registration_endpoint,
        token_audience,
        scopes_supported: raw.scopes_supported,
        product,
    })
}

/// §3.4: what the tool needs is supported, where the platform lists it:
/// client assertions (private_key_jwt, RS256) and id_tokens (RS256).
fn check_supported(raw: &OpenIdConfiguration) -> Result<()> {
    let listed = [
        (
            "token_endpoint_auth_methods_supported",
            &raw.token_endpoint_auth_methods_supported,
            "private_key_jwt",
        ),
        (
            "token_endpoint_auth_signing_alg_values_supported",
            &raw.token_endpoint_auth_signing_alg_values_supported,
            "RS256",
        ),
        (
            "id_token_signing_alg_values_supported",
            &raw.id_token_signing_alg_values_supported,
            "RS256",
        ),
        (
            "response_types_supported",
            &raw.response_types_supported,
            "id_token",
        ),
    ];
    for (field, values, needed) in listed {
        check_lists(field, values.as_deref(), needed)?;
    }
    Ok(())
}

fn required(field: &str, value: Option<&str>) -> Result<String> {
    value
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("`{field}` is missing")))
}

/// A required endpoint: https, plain http only on loopback hosts.
fn endpoint(field: &str, value: Option<&str>) -> Result<String> {
    let url = required(field, value)?;
    check_endpoint(&url).map_err(|reason| invalid(format!("`{field}` {reason}")))?;
    Ok(url)
}

fn check_issuer(issuer: &str) -> Result<Url> {
    check_endpoint(issuer).map_err(|reason| invalid(format!("`issuer` {reason}")))?;
    let url = Url::parse(issuer).map_err(|e| invalid(format!("`issuer` is not a URL ({e})")))?;
    // `#` also separates issuer and client_id in the registration's key.
    if url.query().is_some() || url.fragment().is_some() || issuer.contains(['?', '#']) {
        return Err(invalid("`issuer` must have no query or fragment".into()));
    }
    Ok(url)
}

/// §3.5.1: "The Tool MUST validate that the issuer ... matches the domain
/// of the openid-configuration URL".
///
/// One exception, and nothing looser: Blackboard Learn serves each school's
/// configuration from the school's host, while its issuer, the `iss` of its
/// launches, is `https://blackboard.com` for every school. A configuration
/// whose `product_family_code` is `BlackboardLearn` and whose issuer is
/// exactly that URL is accepted from any host. The issuer still only names
/// Blackboard's own keys and endpoints, which the configuration must give
/// over https like any other.
fn check_issuer_host(
    issuer: &str,
    issuer_url: &Url,
    config_url: &Url,
    product: &PlatformProduct,
) -> Result<()> {
    if issuer_url.host_str() == config_url.host_str() {
        return Ok(());
    }
    let blackboard = product.product_family_code.as_deref() == Some(BLACKBOARD_PRODUCT);
    if blackboard && issuer == BLACKBOARD_ISSUER {
        return Ok(());
    }
    Err(invalid(format!(
        "the issuer's host {} is not the configuration URL's host {}",
        shown(issuer_url.host_str().unwrap_or_default()),
        shown(config_url.host_str().unwrap_or_default()),
    )))
}

/// A list the platform gives must hold what the tool needs.
fn check_lists(field: &str, values: Option<&[String]>, needed: &str) -> Result<()> {
    match values {
        Some(values) if !values.iter().any(|v| v == needed) => Err(invalid(format!(
            "`{field}` does not list {needed}, which this tool needs"
        ))),
        _ => Ok(()),
    }
}

/// Read leniently: these members only inform the page and the log.
fn read_product(platform: Option<&Value>) -> PlatformProduct {
    let text = |name: &str| {
        platform
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let messages = platform
        .and_then(|p| p.get("messages_supported"))
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m.get("type").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    PlatformProduct {
        product_family_code: text("product_family_code"),
        version: text("version"),
        messages_supported: messages,
    }
}
