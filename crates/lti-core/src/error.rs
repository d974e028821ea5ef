//! One error type for the whole core. `kind()` sorts failures for the adapter's
//! single mapping to HTTP; `Display` is the public, human-readable message and
//! never holds a token, key or secret. Values a platform or a client supplies
//! (issuers, deployment ids, the platform's error text...) appear in it only
//! shortened and stripped of control characters, since error pages show it;
//! [`Error::detail`] gives them whole, for the log.

use thiserror::Error;

/// What sort of failure an [`Error`] is; the adapter maps each to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request or token is malformed (400).
    BadRequest,
    /// A body grew past its limit while it was read (413).
    PayloadTooLarge,
    /// A verification failed: signature, time, audience, nonce, state (401).
    Unauthorized,
    /// The platform, client or deployment is not registered here (403).
    Forbidden,
    /// The platform could not be reached or answered garbage (502).
    PlatformUnavailable,
    /// Storage failed; nothing was accepted (503).
    StorageUnavailable,
    /// Configuration or a bug (500).
    Internal,
    /// What the request would create exists already; nothing was replaced (409).
    Conflict,
}

/// Every way the core can fail.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A required request parameter is absent or empty.
    #[error("missing parameter `{0}`")]
    MissingParameter(&'static str),
    /// A request parameter is present but unusable.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// A field or header is over its size limit.
    #[error("{what} is too large (limit {limit} bytes)")]
    TooLarge { what: &'static str, limit: usize },
    /// A body is over its size limit, declared or counted while it was read.
    #[error("{what} is too large (limit {limit} bytes)")]
    BodyTooLarge { what: &'static str, limit: usize },
    /// No registration matches the issuer (and client_id).
    #[error("unknown platform: no registration for issuer {}{}", shown(issuer), client_id.as_ref().map(|c| format!(" and client_id {}", shown(c))).unwrap_or_default())]
    UnknownPlatform {
        issuer: String,
        client_id: Option<String>,
    },
    /// Several registrations share the issuer and none was named.
    #[error("issuer {} has several registrations: the login must name a client_id", shown(.0))]
    AmbiguousPlatform(String),
    /// A stored registration does not parse or breaks a rule.
    #[error("registration {key} is invalid: {reason}")]
    InvalidRegistration { key: String, reason: String },
    /// The platform answered the authentication request with an error.
    #[error("the platform refused the login: {}{}", shown(error), description.as_ref().map(|d| format!(" ({})", shown(d))).unwrap_or_default())]
    PlatformError {
        error: String,
        description: Option<String>,
    },
    /// The browser holds no cookie for this `state`.
    #[error("state check failed: this browser did not start the login (state cookie missing; third-party cookies may be blocked)")]
    StateCookieMissing,
    /// The `state` is unknown, expired or already used.
    #[error("state check failed: unknown, expired or already used")]
    StateUnknown,
    /// A cookieless launch's confirmation names no held launch: unknown,
    /// expired, or already confirmed (or refused) once.
    #[error("launch confirmation failed: the launch is unknown, expired or already used")]
    HeldLaunchUnknown,
    /// A cookieless launch's confirmation carries a value other than the one
    /// the login stored in the platform's storage.
    #[error("launch confirmation failed: the value from the platform's storage does not match")]
    LaunchProofMismatch,
    /// A session presented twice, with different values (cookie, query
    /// parameter, header).
    #[error("two different sessions in one request (`lti_session` and the session cookie, or two `lti_session` values); launch the tool again")]
    ConflictingSessions,
    /// The id_token is not a well-formed compact JWS.
    #[error("id_token is malformed: {0}")]
    MalformedToken(String),
    /// The JWS `alg` is not RS256.
    #[error("id_token algorithm {} is not allowed (RS256 only)", shown(.0))]
    AlgorithmNotAllowed(String),
    /// The header's `kid` is in none of the platform's keys, even after a refetch.
    #[error("id_token key {} is not in the platform's JWKS", shown(.0))]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("id_token signature is invalid")]
    BadSignature,
    /// A claim is absent or has the wrong type.
    #[error("id_token claim `{0}` is missing or malformed")]
    MissingClaim(&'static str),
    /// A claim the message type requires is absent or malformed.
    #[error("id_token claim `{claim}` is missing or malformed: {message_type} requires it")]
    MissingMessageClaim {
        message_type: &'static str,
        claim: &'static str,
    },
    /// A minimal-claims launch whose login named no deployment.
    #[error("no deployment: the id_token has no `deployment_id` claim and the login gave no `lti_deployment_id`")]
    NoDeployment,
    /// A claim has a value other than the one required.
    #[error(
        "id_token claim `{claim}` is wrong: expected {}, found {}",
        shown(expected),
        shown(found)
    )]
    ClaimMismatch {
        claim: &'static str,
        expected: String,
        found: String,
    },
    /// `exp` is in the past.
    #[error("id_token has expired")]
    Expired,
    /// `iat` or `nbf` is in the future.
    #[error("id_token is not valid yet (`{0}` is in the future)")]
    NotYetValid(&'static str),
    /// The `nonce` was not issued for this login, or was used before.
    #[error("nonce check failed: not issued by this tool for this login, or already used")]
    NonceMismatch,
    /// The `deployment_id` is not listed in the registration.
    #[error("unknown deployment {} for this registration", shown(.0))]
    UnknownDeployment(String),
    /// The `message_type` is not one this tool handles.
    #[error("unsupported message_type {}", shown(.0))]
    UnsupportedMessageType(String),
    /// A URL points away from this tool.
    #[error("`{0}` is not on this tool's host")]
    ForeignTarget(&'static str),
    /// A bearer assertion presented to the worker is missing or does not verify.
    #[error("bearer token is missing or invalid: {0}")]
    InvalidAssertion(&'static str),
    /// The platform's JWKS could not be fetched or parsed.
    #[error("the platform's keys could not be fetched: {0}")]
    JwksUnavailable(String),
    /// The key-value store failed.
    #[error("storage is unavailable, try again")]
    Storage(#[from] crate::ports::StorageError),
    /// A crypto primitive failed on valid input.
    #[error("internal crypto error")]
    Crypto(#[from] crate::ports::CryptoError),
    /// The launch behind a service call did not grant this scope.
    #[error("scope not granted by the launch: {0}")]
    ScopeNotGranted(&'static str),
    /// The launch behind a service call lacks a claim the service needs.
    #[error("the launch has no `{0}` claim, which this service needs")]
    ClaimNotGranted(&'static str),
    /// A URL the origin named is outside what the launch granted.
    #[error("`{0}` is outside what the launch granted")]
    OutsideGrant(&'static str),
    /// A service payload field is missing or invalid.
    #[error("invalid `{field}`: {reason}")]
    InvalidPayload { field: String, reason: String },
    /// The platform refused a service or token request.
    #[error("the platform answered HTTP {status}{}", error.as_ref().map(|e| format!(" ({})", shown(e))).unwrap_or_default())]
    PlatformRejected { status: u16, error: Option<String> },
    /// The platform could not be reached or answered garbage.
    #[error("the platform is unavailable: {0}")]
    PlatformUnavailable(String),
    /// The worker is misconfigured.
    #[error("configuration error: {0}")]
    Config(String),
    /// Dynamic registration: the platform's OpenID configuration breaks a
    /// rule of LTI Dynamic Registration (the reason shortens supplied values).
    #[error("the platform's OpenID configuration is invalid: {0}")]
    InvalidPlatformConfiguration(String),
    /// Dynamic registration: the platform answered a request with an error.
    #[error("the platform answered HTTP {status}{}", message.as_ref().map(|m| format!(": {}", shown_at_most(m, MESSAGE_CHARS))).unwrap_or_default())]
    RegistrationRejected {
        status: u16,
        message: Option<String>,
    },
    /// Dynamic registration: the platform's answer to the registration is unusable.
    #[error("the platform's registration response is invalid: {0}")]
    InvalidRegistrationResponse(String),
    /// Dynamic registration: a registration for this issuer and client_id is
    /// stored already. The platform created its client before this was known.
    #[error(
        "a registration for issuer {} and client_id {} exists already and was not replaced; \
         the platform has created this client anyway: delete it there",
        shown(issuer),
        shown(client_id)
    )]
    RegistrationExists { issuer: String, client_id: String },
}

impl Error {
    /// The sort of failure, for the status code.
    pub fn kind(&self) -> ErrorKind {
        use Error::*;
        match self {
            MissingParameter(_) | InvalidParameter { .. } | TooLarge { .. } | MalformedToken(_) => {
                ErrorKind::BadRequest
            }
            ConflictingSessions => ErrorKind::BadRequest,
            MissingMessageClaim { .. } => ErrorKind::BadRequest,
            BodyTooLarge { .. } => ErrorKind::PayloadTooLarge,
            InvalidPayload { .. } => ErrorKind::BadRequest,
            ScopeNotGranted(_) | ClaimNotGranted(_) | OutsideGrant(_) => ErrorKind::Forbidden,
            PlatformRejected { .. } | PlatformUnavailable(_) => ErrorKind::PlatformUnavailable,
            AmbiguousPlatform(_) | ForeignTarget(_) | UnsupportedMessageType(_) => {
                ErrorKind::BadRequest
            }
            UnknownPlatform { .. } | UnknownDeployment(_) | PlatformError { .. } => {
                ErrorKind::Forbidden
            }
            StateCookieMissing
            | StateUnknown
            | HeldLaunchUnknown
            | LaunchProofMismatch
            | AlgorithmNotAllowed(_)
            | UnknownKey(_)
            | BadSignature
            | MissingClaim(_)
            | NoDeployment
            | ClaimMismatch { .. }
            | Expired
            | NotYetValid(_)
            | NonceMismatch
            | InvalidAssertion(_) => ErrorKind::Unauthorized,
            JwksUnavailable(_) => ErrorKind::PlatformUnavailable,
            Storage(_) => ErrorKind::StorageUnavailable,
            InvalidRegistration { .. } | Crypto(_) | Config(_) => ErrorKind::Internal,
            InvalidPlatformConfiguration(_) => ErrorKind::BadRequest,
            RegistrationRejected { .. } | InvalidRegistrationResponse(_) => {
                ErrorKind::PlatformUnavailable
            }
            RegistrationExists { .. } => ErrorKind::Conflict,
        }
    }

    /// A stable machine-readable code, shown beside the message.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            MissingParameter(_) | InvalidParameter { .. } | TooLarge { .. } => "invalid_request",
            ConflictingSessions => "invalid_request",
            BodyTooLarge { .. } => "payload_too_large",
            AmbiguousPlatform(_) => "client_id_required",
            ForeignTarget(_) => "invalid_target_link_uri",
            UnsupportedMessageType(_) => "unsupported_message_type",
            UnknownPlatform { .. } => "unknown_platform",
            UnknownDeployment(_) => "unknown_deployment",
            PlatformError { .. } => "platform_error",
            StateCookieMissing | StateUnknown => "invalid_state",
            HeldLaunchUnknown | LaunchProofMismatch => "invalid_launch_proof",
            NonceMismatch => "nonce_replayed",
            MalformedToken(_) => "malformed_id_token",
            AlgorithmNotAllowed(_)
            | UnknownKey(_)
            | BadSignature
            | MissingClaim(_)
            | MissingMessageClaim { .. }
            | NoDeployment
            | ClaimMismatch { .. }
            | Expired
            | NotYetValid(_) => "invalid_id_token",
            InvalidAssertion(_) => "invalid_token",
            JwksUnavailable(_) | PlatformUnavailable(_) => "platform_unavailable",
            PlatformRejected { .. } => "platform_error",
            InvalidPayload { .. } => "invalid_payload",
            ScopeNotGranted(_) | ClaimNotGranted(_) | OutsideGrant(_) => "insufficient_scope",
            Storage(_) => "storage_unavailable",
            InvalidRegistration { .. } | Crypto(_) | Config(_) => "internal_error",
            InvalidPlatformConfiguration(_) => "invalid_platform_configuration",
            RegistrationRejected { .. } | InvalidRegistrationResponse(_) => "platform_error",
            RegistrationExists { .. } => "registration_exists",
        }
    }

    /// The message with every supplied value whole (quoted and escaped, so a
    /// value cannot forge a log line), for the log only. Like `Display`, it
    /// never holds a token, key or secret.
    pub fn detail(&self) -> String {
        use Error::*;
        let message = self.to_string();
        let values = match self {
            UnknownPlatform { issuer, client_id } => {
                format!("issuer={issuer:?} client_id={client_id:?}")
            }
            AmbiguousPlatform(issuer) => format!("issuer={issuer:?}"),
            PlatformError { error, description } => {
                format!("error={error:?} error_description={description:?}")
            }
            AlgorithmNotAllowed(alg) => format!("alg={alg:?}"),
            UnknownKey(kid) => format!("kid={kid:?}"),
            ClaimMismatch {
                claim,
                expected,
                found,
            } => format!("claim={claim} expected={expected:?} found={found:?}"),
            UnknownDeployment(deployment_id) => format!("deployment_id={deployment_id:?}"),
            UnsupportedMessageType(message_type) => format!("message_type={message_type:?}"),
            PlatformRejected {
                error: Some(error), ..
            } => format!("error={error:?}"),
            RegistrationRejected {
                message: Some(message),
                ..
            } => format!("message={message:?}"),
            RegistrationExists { issuer, client_id } => {
                format!("issuer={issuer:?} client_id={client_id:?}")
            }
            // The cause stays out of the message: a person sees only that
            // storage or crypto failed, the log what the runtime said.
            Storage(crate::ports::StorageError(cause))
            | Crypto(crate::ports::CryptoError(cause)) => format!("cause={cause:?}"),
            _ => return message,
        };
        format!("{message} [{values}]")
    }
}

/// How many characters of a supplied value a message shows.
pub(crate) const SHOWN_CHARS: usize = 64;

/// How many characters of a platform's error message a message shows:
/// enough for a sentence or two, such as Canvas's reasons for a refusal.
pub(crate) const MESSAGE_CHARS: usize = 300;

/// A supplied value as a message shows it: control and bidirectional
/// formatting characters removed, at most [`SHOWN_CHARS`] characters, an
/// ellipsis when cut.
pub(crate) fn shown(value: &str) -> String {
    shown_at_most(value, SHOWN_CHARS)
}

/// [`shown`], with at most `limit` characters.
pub(crate) fn shown_at_most(value: &str, limit: usize) -> String {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let mut visible = value.chars().filter(|&c| !c.is_control() && !bidi(c));
    let mut text: String = visible.by_ref().take(limit).collect();
    if visible.next().is_some() {
        text.push('…');
    }
    text
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_supplied_values_short_and_the_detail_whole() {
        let long = "d".repeat(5000);
        let errors = [
            Error::PlatformError {
                error: "login_required".into(),
                description: Some(long.clone()),
            },
            Error::UnknownDeployment(long.clone()),
            Error::UnknownPlatform {
                issuer: long.clone(),
                client_id: Some(long.clone()),
            },
            Error::ClaimMismatch {
                claim: "iss",
                expected: "https://lms.example.edu".into(),
                found: long.clone(),
            },
            Error::AlgorithmNotAllowed(long.clone()),
        ];
        for error in errors {
            let message = error.to_string();
            assert!(message.chars().count() < 300, "{message}");
            assert!(message.contains(&"d".repeat(SHOWN_CHARS)), "{message}");
            assert!(message.contains('…'), "{message}");
            assert!(error.detail().contains(&long), "{error:?}");
        }
    }

    #[test]
    fn storage_and_crypto_causes_reach_the_log_not_the_message() {
        use crate::ports::{CryptoError, StorageError};
        let errors = [
            Error::from(StorageError("KV GET failed: 429 Too Many Requests".into())),
            Error::from(CryptoError("KV GET failed: 429 Too Many Requests".into())),
        ];
        for error in errors {
            assert!(!error.to_string().contains("429"), "{error}");
            let detail = error.detail();
            assert!(detail.starts_with(&error.to_string()), "{detail}");
            assert!(
                detail.contains(r#"cause="KV GET failed: 429 Too Many Requests""#),
                "{detail}"
            );
        }
        let error = Error::from(StorageError("line one\nforged line".into()));
        assert!(!error.detail().contains('\n'), "one log line");
    }

    #[test]
    fn messages_drop_control_and_bidi_characters() {
        let error = Error::UnknownPlatform {
            issuer: "https://lms\r\n<b>x\u{202e}gpj.exe".into(),
            client_id: None,
        };
        let message = error.to_string();
        assert_eq!(
            message,
            "unknown platform: no registration for issuer https://lms<b>xgpj.exe"
        );
        assert!(error
            .detail()
            .contains(r#""https://lms\r\n<b>x\u{202e}gpj.exe""#));
        assert!(!error.detail().contains('\n'), "one log line");
    }
}
