//! The id_token claim checks of LTI 1.3 core §5.1.3 and §5.3, and the 1EdTech
//! Security Framework §5.1.3, over the raw claim set. Pure functions.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::registration::PlatformRegistration;

pub const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
pub const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
pub const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
pub const DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
pub const TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
pub const RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
pub const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
pub const DEEP_LINKING_SETTINGS: &str =
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";

/// Clock skew tolerated between platform and tool, in seconds.
pub const LEEWAY: u64 = 60;

/// The message types this tool accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    ResourceLink,
    DeepLinking,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ResourceLink => "LtiResourceLinkRequest",
            MessageType::DeepLinking => "LtiDeepLinkingRequest",
        }
    }
}

/// A claim that must be a non-empty string.
pub fn string<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<&'a str> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(Error::MissingClaim(short(name))),
    }
}

fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(Error::MissingClaim(name)),
    }
}

/// The claim name without the LTI URI prefix, for messages.
fn short(name: &'static str) -> &'static str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `iss` exactly equals the registration's issuer (OIDC Core §3.1.3.7 step 2).
pub fn check_issuer(claims: &Map<String, Value>, reg: &PlatformRegistration) -> Result<()> {
    let iss = string(claims, "iss")?;
    if iss != reg.issuer {
        return Err(mismatch("iss", &reg.issuer, iss));
    }
    Ok(())
}

/// `aud` contains the client_id; with several audiences, or whenever present,
/// `azp` equals the client_id (Security Framework §5.1.3 steps 3-5).
pub fn check_audience(claims: &Map<String, Value>, reg: &PlatformRegistration) -> Result<()> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(auds)) => auds
            .iter()
            .map(|a| a.as_str().ok_or(Error::MissingClaim("aud")))
            .collect::<Result<_>>()?,
        _ => return Err(Error::MissingClaim("aud")),
    };
    if !audiences.contains(&reg.client_id.as_str()) {
        return Err(mismatch("aud", &reg.client_id, &audiences.join(" ")));
    }
    match claims.get("azp") {
        None if audiences.len() == 1 => Ok(()),
        None => Err(Error::MissingClaim("azp")),
        Some(Value::String(azp)) if *azp == reg.client_id => Ok(()),
        Some(azp) => Err(mismatch("azp", &reg.client_id, &azp.to_string())),
    }
}

/// `exp` not passed, `iat` and `nbf` not in the future, each with [`LEEWAY`].
pub fn check_times(claims: &Map<String, Value>, now: u64) -> Result<()> {
    let now = now as f64;
    let leeway = LEEWAY as f64;
    let exp = number(claims, "exp")?.ok_or(Error::MissingClaim("exp"))?;
    let iat = number(claims, "iat")?.ok_or(Error::MissingClaim("iat"))?;
    if exp + leeway <= now {
        return Err(Error::Expired);
    }
    if iat > now + leeway {
        return Err(Error::NotYetValid("iat"));
    }
    if number(claims, "nbf")?.is_some_and(|nbf| nbf > now + leeway) {
        return Err(Error::NotYetValid("nbf"));
    }
    Ok(())
}

/// `version` is `1.3.0` (core §5.3.2).
pub fn check_version(claims: &Map<String, Value>) -> Result<()> {
    match string(claims, VERSION)? {
        "1.3.0" => Ok(()),
        other => Err(mismatch("version", "1.3.0", other)),
    }
}

/// `deployment_id` is one this registration lists (core §5.3.3).
pub fn check_deployment<'a>(
    claims: &'a Map<String, Value>,
    reg: &PlatformRegistration,
) -> Result<&'a str> {
    let deployment_id = string(claims, DEPLOYMENT_ID)?;
    if !reg.has_deployment(deployment_id) {
        return Err(Error::UnknownDeployment(deployment_id.to_owned()));
    }
    Ok(deployment_id)
}

/// `message_type`, and the claims that type requires (core §5.3.1, §5.3.5,
/// §5.3.7; Deep Linking 2.0 §4.4).
pub fn check_message(claims: &Map<String, Value>) -> Result<MessageType> {
    let message_type = match string(claims, MESSAGE_TYPE)? {
        "LtiResourceLinkRequest" => MessageType::ResourceLink,
        "LtiDeepLinkingRequest" => MessageType::DeepLinking,
        other => return Err(Error::UnsupportedMessageType(other.to_owned())),
    };
    if !claims.get(ROLES).is_some_and(Value::is_array) {
        return Err(Error::MissingClaim("roles"));
    }
    match message_type {
        MessageType::ResourceLink => {
            let link = claims.get(RESOURCE_LINK).and_then(Value::as_object);
            link.and_then(|l| l.get("id"))
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .ok_or(Error::MissingClaim("resource_link.id"))?;
            string(claims, TARGET_LINK_URI)?;
        }
        MessageType::DeepLinking => {
            let settings = claims.get(DEEP_LINKING_SETTINGS).and_then(Value::as_object);
            settings
                .and_then(|s| s.get("deep_link_return_url"))
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .ok_or(Error::MissingClaim(
                    "deep_linking_settings.deep_link_return_url",
                ))?;
        }
    }
    Ok(message_type)
}

fn mismatch(claim: &'static str, expected: &str, found: &str) -> Error {
    // `found` comes from the token: keep what is echoed back short.
    let found: String = found.chars().take(120).collect();
    Error::ClaimMismatch {
        claim,
        expected: expected.to_owned(),
        found,
    }
}
