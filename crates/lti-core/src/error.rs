//! One error type for the whole core. `kind()` sorts failures for the adapter's
//! single mapping to HTTP; `Display` is the public, human-readable message and
//! never holds a token, key or secret.

use thiserror::Error;

/// What sort of failure an [`Error`] is; the adapter maps each to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request or token is malformed (400).
    BadRequest,
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
    /// The request body or a field is over its size limit.
    #[error("{what} is too large (limit {limit} bytes)")]
    TooLarge { what: &'static str, limit: usize },
    /// No registration matches the issuer (and client_id).
    #[error("unknown platform: no registration for issuer {issuer}{}", client_id.as_ref().map(|c| format!(" and client_id {c}")).unwrap_or_default())]
    UnknownPlatform {
        issuer: String,
        client_id: Option<String>,
    },
    /// Several registrations share the issuer and none was named.
    #[error("issuer {0} has several registrations: the login must name a client_id")]
    AmbiguousPlatform(String),
    /// A stored registration does not parse or breaks a rule.
    #[error("registration {key} is invalid: {reason}")]
    InvalidRegistration { key: String, reason: String },
    /// The platform answered the authentication request with an error.
    #[error("the platform refused the login: {error}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
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
    /// The id_token is not a well-formed compact JWS.
    #[error("id_token is malformed: {0}")]
    MalformedToken(String),
    /// The JWS `alg` is not RS256.
    #[error("id_token algorithm {0} is not allowed (RS256 only)")]
    AlgorithmNotAllowed(String),
    /// The header's `kid` is in none of the platform's keys, even after a refetch.
    #[error("id_token key {0} is not in the platform's JWKS")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("id_token signature is invalid")]
    BadSignature,
    /// A claim is absent or has the wrong type.
    #[error("id_token claim `{0}` is missing or malformed")]
    MissingClaim(&'static str),
    /// A claim has a value other than the one required.
    #[error("id_token claim `{claim}` is wrong: expected {expected}, found {found}")]
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
    #[error("unknown deployment {0} for this registration")]
    UnknownDeployment(String),
    /// The `message_type` is not one this tool handles.
    #[error("unsupported message_type {0}")]
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
    #[error("the platform answered HTTP {status}{}", error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    PlatformRejected { status: u16, error: Option<String> },
    /// The platform could not be reached or answered garbage.
    #[error("the platform is unavailable: {0}")]
    PlatformUnavailable(String),
    /// The worker is misconfigured.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The sort of failure, for the status code.
    pub fn kind(&self) -> ErrorKind {
        use Error::*;
        match self {
            MissingParameter(_) | InvalidParameter { .. } | TooLarge { .. } | MalformedToken(_) => {
                ErrorKind::BadRequest
            }
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
            | AlgorithmNotAllowed(_)
            | UnknownKey(_)
            | BadSignature
            | MissingClaim(_)
            | ClaimMismatch { .. }
            | Expired
            | NotYetValid(_)
            | NonceMismatch
            | InvalidAssertion(_) => ErrorKind::Unauthorized,
            JwksUnavailable(_) => ErrorKind::PlatformUnavailable,
            Storage(_) => ErrorKind::StorageUnavailable,
            InvalidRegistration { .. } | Crypto(_) | Config(_) => ErrorKind::Internal,
        }
    }

    /// A stable machine-readable code, shown beside the message.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            MissingParameter(_) | InvalidParameter { .. } | TooLarge { .. } => "invalid_request",
            AmbiguousPlatform(_) => "client_id_required",
            ForeignTarget(_) => "invalid_target_link_uri",
            UnsupportedMessageType(_) => "unsupported_message_type",
            UnknownPlatform { .. } => "unknown_platform",
            UnknownDeployment(_) => "unknown_deployment",
            PlatformError { .. } => "platform_error",
            StateCookieMissing | StateUnknown => "invalid_state",
            NonceMismatch => "nonce_replayed",
            MalformedToken(_) => "malformed_id_token",
            AlgorithmNotAllowed(_)
            | UnknownKey(_)
            | BadSignature
            | MissingClaim(_)
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
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
