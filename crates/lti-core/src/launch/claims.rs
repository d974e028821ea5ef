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
pub const FOR_USER: &str = "https://purl.imsglobal.org/spec/lti/claim/for_user";
pub const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

/// The LTI message claims. A `minimal_claims` platform sends none of them.
pub const MESSAGE_CLAIMS: [&str; 6] = [
    MESSAGE_TYPE,
    VERSION,
    DEPLOYMENT_ID,
    RESOURCE_LINK,
    ROLES,
    TARGET_LINK_URI,
];

/// Clock skew tolerated between platform and tool, in seconds.
pub const LEEWAY: u64 = 60;

/// The message types this tool accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    ResourceLink,
    DeepLinking,
    /// LTI Submission Review 1.0: forwarded like a resource link launch.
    SubmissionReview,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ResourceLink => "LtiResourceLinkRequest",
            MessageType::DeepLinking => "LtiDeepLinkingRequest",
            MessageType::SubmissionReview => "LtiSubmissionReviewRequest",
        }
    }

    /// The message type named `name`, if this tool accepts it.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::ResourceLink,
            Self::DeepLinking,
            Self::SubmissionReview,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
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
    if iss != reg.issuer().as_str() {
        return Err(mismatch("iss", reg.issuer().as_str(), iss));
    }
    Ok(())
}

/// `aud` contains the client_id; with several audiences, or whenever present,
/// `azp` equals the client_id (Security Framework §5.1.3 steps 3-5). A
/// registration's `launch_audience` is accepted in place of the client_id,
/// in `aud` and as `azp`.
pub fn check_audience(claims: &Map<String, Value>, reg: &PlatformRegistration) -> Result<()> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(auds)) => auds
            .iter()
            .map(|a| a.as_str().ok_or(Error::MissingClaim("aud")))
            .collect::<Result<_>>()?,
        _ => return Err(Error::MissingClaim("aud")),
    };
    let client_id = reg.client_id().as_str();
    let ours = |aud: &str| aud == client_id || reg.launch_audience() == Some(aud);
    let expected = || match reg.launch_audience() {
        Some(audience) => format!("{client_id} or {audience}"),
        None => client_id.to_owned(),
    };
    if !audiences.iter().any(|aud| ours(aud)) {
        return Err(mismatch("aud", &expected(), &audiences.join(" ")));
    }
    match claims.get("azp") {
        None if audiences.len() == 1 => Ok(()),
        None => Err(Error::MissingClaim("azp")),
        Some(Value::String(azp)) if ours(azp) => Ok(()),
        Some(azp) => Err(mismatch("azp", &expected(), &azp.to_string())),
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
/// §5.3.7; Deep Linking 2.0 §4.4; Submission Review 1.0 §3.2). A missing
/// required claim is a malformed message (400), not a failed verification.
pub fn check_message(claims: &Map<String, Value>) -> Result<MessageType> {
    let name = string(claims, MESSAGE_TYPE)?;
    let message_type =
        MessageType::parse(name).ok_or_else(|| Error::UnsupportedMessageType(name.to_owned()))?;
    let missing = |claim| Error::MissingMessageClaim {
        message_type: message_type.as_str(),
        claim,
    };
    if !claims.get(ROLES).is_some_and(Value::is_array) {
        return Err(missing("roles"));
    }
    for &(claim, member, shown) in required_members(message_type) {
        if member_string(claims, claim, member).is_none() {
            return Err(missing(shown));
        }
    }
    if message_type == MessageType::ResourceLink && string(claims, TARGET_LINK_URI).is_err() {
        return Err(missing("target_link_uri"));
    }
    Ok(message_type)
}

/// The object claims each message type requires, by the string member that
/// must be present and non-empty: (claim, member, name shown).
fn required_members(
    message_type: MessageType,
) -> &'static [(&'static str, &'static str, &'static str)] {
    match message_type {
        MessageType::ResourceLink => &[(RESOURCE_LINK, "id", "resource_link.id")],
        MessageType::DeepLinking => &[(
            DEEP_LINKING_SETTINGS,
            "deep_link_return_url",
            "deep_linking_settings.deep_link_return_url",
        )],
        MessageType::SubmissionReview => &[
            (FOR_USER, "user_id", "for_user.user_id"),
            (AGS_ENDPOINT, "lineitem", "lti-ags/claim/endpoint.lineitem"),
        ],
    }
}

/// `claims[claim][member]`, when it is a non-empty string.
fn member_string<'a>(claims: &'a Map<String, Value>, claim: &str, member: &str) -> Option<&'a str> {
    let object = claims.get(claim).and_then(Value::as_object)?;
    object
        .get(member)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The LTI message: `version`, a registered `deployment_id` and the
/// `message_type` with its required claims; returns the deployment and type.
///
/// A `minimal_claims` registration's token that carries none of the
/// [`MESSAGE_CLAIMS`] is a resource link launch for the deployment the login
/// named (`lti_deployment_id`), which must be registered. A token carrying
/// any of them is checked in full, whatever the registration says: only
/// their absence, all together, is what the option loosens.
pub fn check_lti_message<'a>(
    claims: &'a Map<String, Value>,
    reg: &PlatformRegistration,
    login_deployment: Option<&'a str>,
) -> Result<(&'a str, MessageType)> {
    if reg.minimal_claims() && has_no_message_claims(claims) {
        let deployment_id = login_deployment.ok_or(Error::NoDeployment)?;
        if !reg.has_deployment(deployment_id) {
            return Err(Error::UnknownDeployment(deployment_id.to_owned()));
        }
        return Ok((deployment_id, MessageType::ResourceLink));
    }
    check_version(claims)?;
    let deployment_id = check_deployment(claims, reg)?;
    Ok((deployment_id, check_message(claims)?))
}

/// Whether the token carries none of the [`MESSAGE_CLAIMS`].
pub fn has_no_message_claims(claims: &Map<String, Value>) -> bool {
    MESSAGE_CLAIMS
        .iter()
        .all(|name| !claims.contains_key(*name))
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
