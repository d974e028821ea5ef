//! The id_token claim checks of LTI 1.3 core §5.1.3 and §5.3, and the 1EdTech
//! Security Framework §5.1.3, over the typed claims [`LaunchClaims`]. Pure
//! functions.
//!
//! Every claim is read tolerantly, as a [`Claim`] that keeps its shape: a
//! malformed claim fails the check that names it, in the order of the steps,
//! never the reading of the whole set.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jws::{TimeError, TimeRule, Times};
use crate::registration::PlatformRegistration;

pub const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
pub(crate) const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
pub(crate) const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
pub const DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
pub(crate) const TARGET_LINK_URI: &str =
    "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
pub const RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
pub const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
pub(crate) const DEEP_LINKING_SETTINGS: &str =
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
pub const FOR_USER: &str = "https://purl.imsglobal.org/spec/lti/claim/for_user";
pub const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
pub const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
pub const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";

/// One claim, as far as the checks need it: absent, a string, a number, an
/// array (its members' shapes), an object read as `T`, or something else
/// (`null`, a boolean). Read from a [`serde_json::Value`], whose strings it
/// borrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Claim<'a, T = ()> {
    #[default]
    Absent,
    Str(&'a str),
    Number(f64),
    Array(Vec<Claim<'a>>),
    Object(T),
    Other,
}

impl<'a, T> Claim<'a, T> {
    /// The claim when it is a non-empty string.
    pub fn text(&self) -> Option<&'a str> {
        match *self {
            Claim::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// The claim when it is a string, even empty.
    pub fn string(&self) -> Option<&'a str> {
        match *self {
            Claim::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn object(&self) -> Option<&T> {
        match self {
            Claim::Object(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Claim::Absent)
    }

    /// A NumericDate: `Ok(None)` when absent, [`Error::MissingClaim`] when
    /// not a number.
    fn time(&self, name: &'static str) -> Result<Option<f64>> {
        match *self {
            Claim::Absent => Ok(None),
            Claim::Number(n) => Ok(Some(n)),
            _ => Err(Error::MissingClaim(name)),
        }
    }
}

/// `https://purl.imsglobal.org/spec/lti/claim/resource_link` (core §5.3.5).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceLink<'a> {
    pub id: Claim<'a>,
}

/// `https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings` (Deep Linking 2.0 §4.4.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeepLinkingSettings<'a> {
    pub deep_link_return_url: Claim<'a>,
}

/// `https://purl.imsglobal.org/spec/lti/claim/for_user` (Submission Review 1.0 §3.2).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForUser<'a> {
    pub user_id: Claim<'a>,
}

/// `https://purl.imsglobal.org/spec/lti-ags/claim/endpoint` (AGS 2.0 §3.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AgsEndpointClaim<'a> {
    pub scope: Claim<'a>,
    pub lineitems: Claim<'a>,
    pub lineitem: Claim<'a>,
}

/// `https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice` (NRPS 2.0 §3.6.1.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NrpsClaim<'a> {
    pub context_memberships_url: Claim<'a>,
}

/// `https://purl.imsglobal.org/spec/lti/claim/context` (core §5.4.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context<'a> {
    pub id: Claim<'a>,
}

/// The claims of an id_token that the checks read, typed, each by its claim
/// name. The claims themselves travel on verbatim, apart from these.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchClaims<'a> {
    pub iss: Claim<'a>,
    pub aud: Claim<'a>,
    pub azp: Claim<'a>,
    pub sub: Claim<'a>,
    pub nonce: Claim<'a>,
    pub exp: Claim<'a>,
    pub iat: Claim<'a>,
    pub nbf: Claim<'a>,
    pub message_type: Claim<'a>,
    pub version: Claim<'a>,
    pub deployment_id: Claim<'a>,
    pub target_link_uri: Claim<'a>,
    pub resource_link: Claim<'a, ResourceLink<'a>>,
    pub context: Claim<'a, Context<'a>>,
    pub roles: Claim<'a>,
    pub(crate) ags_endpoint: Claim<'a, AgsEndpointClaim<'a>>,
    pub nrps: Claim<'a, NrpsClaim<'a>>,
    pub deep_linking_settings: Claim<'a, DeepLinkingSettings<'a>>,
    pub for_user: Claim<'a, ForUser<'a>>,
}

impl<'a> LaunchClaims<'a> {
    /// Reads the claims of a claim set; every member reads, whatever its shape.
    ///
    /// By hand, claim by claim: a derived `Deserialize` (the claim URIs in
    /// `#[serde(rename)]`) costs the worker about 3 KB of gzip, which its
    /// size budget does not hold.
    pub fn read(claims: &'a Map<String, Value>) -> Self {
        let get = |name: &str| Claim::of(claims.get(name));
        let object = |name: &str| claims.get(name);
        Self {
            iss: get("iss"),
            aud: get("aud"),
            azp: get("azp"),
            sub: get("sub"),
            nonce: get("nonce"),
            exp: get("exp"),
            iat: get("iat"),
            nbf: get("nbf"),
            message_type: get(MESSAGE_TYPE),
            version: get(VERSION),
            deployment_id: get(DEPLOYMENT_ID),
            target_link_uri: get(TARGET_LINK_URI),
            resource_link: Claim::read(object(RESOURCE_LINK), |m| ResourceLink {
                id: Claim::member(m, "id"),
            }),
            context: Claim::read(object(CONTEXT), |m| Context {
                id: Claim::member(m, "id"),
            }),
            roles: get(ROLES),
            ags_endpoint: Claim::read(object(AGS_ENDPOINT), |m| AgsEndpointClaim {
                scope: Claim::member(m, "scope"),
                lineitems: Claim::member(m, "lineitems"),
                lineitem: Claim::member(m, "lineitem"),
            }),
            nrps: Claim::read(object(NRPS), |m| NrpsClaim {
                context_memberships_url: Claim::member(m, "context_memberships_url"),
            }),
            deep_linking_settings: Claim::read(object(DEEP_LINKING_SETTINGS), |m| {
                DeepLinkingSettings {
                    deep_link_return_url: Claim::member(m, "deep_link_return_url"),
                }
            }),
            for_user: Claim::read(object(FOR_USER), |m| ForUser {
                user_id: Claim::member(m, "user_id"),
            }),
        }
    }
}

impl<'a> Claim<'a> {
    /// The shape of a claim that is not read as an object.
    pub fn of(value: Option<&'a Value>) -> Self {
        Claim::read(value, |_| ())
    }

    fn member(object: &'a Map<String, Value>, name: &str) -> Self {
        Claim::of(object.get(name))
    }
}

impl<'a, T> Claim<'a, T> {
    /// The shape of a claim, its object read by `read`.
    pub fn read(value: Option<&'a Value>, read: impl FnOnce(&'a Map<String, Value>) -> T) -> Self {
        match value {
            None => Claim::Absent,
            Some(Value::String(s)) => Claim::Str(s),
            Some(Value::Number(n)) => n.as_f64().map_or(Claim::Other, Claim::Number),
            Some(Value::Array(members)) => {
                Claim::Array(members.iter().map(|m| Claim::of(Some(m))).collect())
            }
            Some(Value::Object(object)) => Claim::Object(read(object)),
            Some(Value::Null | Value::Bool(_)) => Claim::Other,
        }
    }
}

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
fn required<'a, T>(claim: &Claim<'a, T>, name: &'static str) -> Result<&'a str> {
    claim.text().ok_or(Error::MissingClaim(short(name)))
}

/// The claim name without the LTI URI prefix, for messages.
fn short(name: &'static str) -> &'static str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `iss` exactly equals the registration's issuer (OIDC Core §3.1.3.7 step 2).
pub fn check_issuer(claims: &LaunchClaims, reg: &PlatformRegistration) -> Result<()> {
    let iss = required(&claims.iss, "iss")?;
    if iss != reg.issuer().as_str() {
        return Err(mismatch("iss", reg.issuer().as_str(), iss));
    }
    Ok(())
}

/// `aud` contains the client_id; with several audiences, or whenever present,
/// `azp` equals the client_id (Security Framework §5.1.3 steps 3-5). A
/// registration's `launch_audience` is accepted in place of the client_id,
/// in `aud` and as `azp`.
pub fn check_audience(claims: &LaunchClaims, reg: &PlatformRegistration) -> Result<()> {
    let audiences: Vec<&str> = match &claims.aud {
        Claim::Str(aud) => vec![aud],
        Claim::Array(auds) => auds
            .iter()
            .map(|a| a.string().ok_or(Error::MissingClaim("aud")))
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
    match claims.azp {
        Claim::Absent if audiences.len() == 1 => Ok(()),
        Claim::Absent => Err(Error::MissingClaim("azp")),
        Claim::Str(azp) if ours(azp) => Ok(()),
        // Shown as JSON, quoted.
        Claim::Str(azp) => Err(mismatch("azp", &expected(), &Value::from(azp).to_string())),
        _ => Err(mismatch("azp", &expected(), "a value that is not a string")),
    }
}

/// The times by [`TimeRule::PLATFORM`]: `exp` not passed, `iat` and `nbf`
/// not more than [`crate::jws::CLOCK_SKEW`] seconds in the future.
pub fn check_times(claims: &LaunchClaims, now: u64) -> Result<()> {
    let times = Times {
        exp: Some(claims.exp.time("exp")?.ok_or(Error::MissingClaim("exp"))?),
        iat: Some(claims.iat.time("iat")?.ok_or(Error::MissingClaim("iat"))?),
        // A malformed `nbf` is reported after the other times, as it always was.
        nbf: claims.nbf.time("nbf").ok().flatten(),
    };
    TimeRule::PLATFORM.check(times, now).map_err(|e| match e {
        TimeError::Missing(name) => Error::MissingClaim(name),
        TimeError::Expired => Error::Expired,
        TimeError::NotYetValid(name) => Error::NotYetValid(name),
    })?;
    claims.nbf.time("nbf")?;
    Ok(())
}

/// `version` is `1.3.0` (core §5.3.2).
pub fn check_version(claims: &LaunchClaims) -> Result<()> {
    match required(&claims.version, VERSION)? {
        "1.3.0" => Ok(()),
        other => Err(mismatch("version", "1.3.0", other)),
    }
}

/// `deployment_id` is one this registration lists (core §5.3.3).
pub fn check_deployment<'a>(
    claims: &LaunchClaims<'a>,
    reg: &PlatformRegistration,
) -> Result<&'a str> {
    let deployment_id = required(&claims.deployment_id, DEPLOYMENT_ID)?;
    if !reg.has_deployment(deployment_id) {
        return Err(Error::UnknownDeployment(deployment_id.to_owned()));
    }
    Ok(deployment_id)
}

/// `message_type`, and the claims that type requires (core §5.3.1, §5.3.5,
/// §5.3.7; Deep Linking 2.0 §4.4; Submission Review 1.0 §3.2). A missing
/// required claim is a malformed message (400), not a failed verification.
pub fn check_message(claims: &LaunchClaims) -> Result<MessageType> {
    let name = required(&claims.message_type, MESSAGE_TYPE)?;
    let message_type =
        MessageType::parse(name).ok_or_else(|| Error::UnsupportedMessageType(name.to_owned()))?;
    let missing = |claim| Error::MissingMessageClaim {
        message_type: message_type.as_str(),
        claim,
    };
    if !matches!(claims.roles, Claim::Array(_)) {
        return Err(missing("roles"));
    }
    let member = |claim: Option<&Claim>, shown| {
        claim
            .and_then(Claim::text)
            .map(|_| ())
            .ok_or_else(|| missing(shown))
    };
    match message_type {
        MessageType::ResourceLink => {
            member(
                claims.resource_link.object().map(|r| &r.id),
                "resource_link.id",
            )?;
            if claims.target_link_uri.text().is_none() {
                return Err(missing("target_link_uri"));
            }
        }
        MessageType::DeepLinking => member(
            claims
                .deep_linking_settings
                .object()
                .map(|s| &s.deep_link_return_url),
            "deep_linking_settings.deep_link_return_url",
        )?,
        MessageType::SubmissionReview => {
            member(
                claims.for_user.object().map(|u| &u.user_id),
                "for_user.user_id",
            )?;
            member(
                claims.ags_endpoint.object().map(|e| &e.lineitem),
                "lti-ags/claim/endpoint.lineitem",
            )?;
        }
    }
    Ok(message_type)
}

/// The LTI message: `version`, a registered `deployment_id` and the
/// `message_type` with its required claims; returns the deployment and type.
///
/// A `minimal_claims` registration's token that carries none of the LTI
/// message claims ([`has_no_message_claims`]) is a resource link launch for the deployment the login
/// named (`lti_deployment_id`), which must be registered. A token carrying
/// any of them is checked in full, whatever the registration says: only
/// their absence, all together, is what the option loosens.
pub fn check_lti_message<'a>(
    claims: &LaunchClaims<'a>,
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

/// Whether the token carries none of the LTI message claims (message type,
/// version, deployment, resource link, roles, target link): a
/// `minimal_claims` platform sends none of them.
pub fn has_no_message_claims(claims: &LaunchClaims) -> bool {
    ![
        claims.message_type.is_present(),
        claims.version.is_present(),
        claims.deployment_id.is_present(),
        claims.resource_link.is_present(),
        claims.roles.is_present(),
        claims.target_link_uri.is_present(),
    ]
    .contains(&true)
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
