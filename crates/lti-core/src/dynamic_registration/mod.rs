//! LTI Dynamic Registration 1.0 (1EdTech), the tool's side: a platform
//! administrator opens `/lti/register/<secret>?openid_configuration=..`,
//! the tool fetches and validates the platform's OpenID configuration (§3.4,
//! §3.5.1), registers itself at the platform's `registration_endpoint` (§3.5,
//! §3.6), and keeps the new registration in the platforms store.
//!
//! ## Design
//! Each HTTP exchange is a pure request builder and a pure response parser
//! ([`openid_configuration_request`] / [`parse_openid_configuration`],
//! [`registration_request`] / [`parse_registration_response`]); [`register`]
//! is the glue, and reports which [`Step`] failed so the page can say.
//!
//! ## Security
//! - The route is behind an operator's secret ([`RegistrationSecret`],
//!   compared in constant time); the whole flow is one GET, so there is no
//!   pending registration and no form anyone could replay.
//! - The registration token travels only as a bearer to the configuration
//!   URL and the `registration_endpoint`, and neither `Debug` nor an error
//!   message shows it.
//! - An existing registration is never replaced; nothing is stored unless
//!   every step passed, and what is stored parses as a launch will read it.

mod client;
mod configuration;
mod message;
mod page;

pub use client::TOOL_CONFIGURATION;
use client::{
    parse_registration_response, registration_entry, registration_request, requested_scopes,
};
use configuration::{openid_configuration_request, PlatformConfiguration, PlatformProduct};
pub use configuration::{parse_openid_configuration, PLATFORM_CONFIGURATION};
use message::platform_message;
pub use page::registered_page;

use std::fmt;

use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{Error, Result};
use crate::ports::{HttpClient, HttpRequest, HttpResponse, KeyValue, Ports, Runtime};
use crate::registration::{check_endpoint, PlatformRegistration};

/// Registration tokens are JWTs of a few hundred bytes; anything far larger is not one.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// A secret shorter than this could be guessed.
pub(crate) const MIN_SECRET_CHARS: usize = 16;

/// The operator's secret in the registration URL. `Debug` never prints it.
#[derive(Clone)]
pub struct RegistrationSecret(String);

impl RegistrationSecret {
    /// At least [`MIN_SECRET_CHARS`] characters, all of them safe in a URL
    /// path as they are (`A-Z a-z 0-9 - _ . ~`), so the URL the operator
    /// hands out is the URL the platform opens.
    pub fn new(secret: &str) -> std::result::Result<Self, String> {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(format!("must be at least {MIN_SECRET_CHARS} characters"));
        }
        if !secret.chars().all(unreserved) {
            return Err("may hold only A-Z, a-z, 0-9, -, _, . and ~".into());
        }
        Ok(Self(secret.to_owned()))
    }

    /// Whether `candidate` is the secret, compared in constant time: both
    /// are hashed first, so neither their bytes nor their lengths show in
    /// how long the comparison takes.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (Sha256::digest(&self.0), Sha256::digest(candidate));
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl fmt::Debug for RegistrationSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistrationSecret([redacted])")
    }
}

/// The platform's `registration_token` (§3.3). `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationToken(String);

impl RegistrationToken {
    fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for RegistrationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistrationToken([redacted])")
    }
}

/// The registration initiation request (§3.3): the platform opens the
/// tool's registration URL with these query parameters.
#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    pub openid_configuration: Url,
    /// Absent when the platform sends none (Brightspace).
    pub registration_token: Option<RegistrationToken>,
}

impl RegistrationRequest {
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let (mut url, mut token) = (None, None);
        for (name, value) in params {
            match name {
                "openid_configuration" if !value.is_empty() => url = Some(value),
                "registration_token" if !value.is_empty() => token = Some(value),
                _ => {}
            }
        }
        let url = url.ok_or(Error::MissingParameter("openid_configuration"))?;
        Ok(Self {
            openid_configuration: configuration_url(url)?,
            registration_token: token.map(registration_token).transpose()?,
        })
    }
}

/// §3.4: the configuration is fetched over https (plain http only on
/// loopback hosts, for development).
fn configuration_url(value: &str) -> Result<Url> {
    let invalid = |reason: String| Error::InvalidParameter {
        name: "openid_configuration",
        reason,
    };
    check_endpoint(value).map_err(invalid)?;
    Url::parse(value).map_err(|e| invalid(e.to_string()))
}

/// The token goes into a header: printable ASCII, bounded.
fn registration_token(value: &str) -> Result<RegistrationToken> {
    let invalid = |reason: &str| Error::InvalidParameter {
        name: "registration_token",
        reason: reason.into(),
    };
    if value.len() > MAX_TOKEN_BYTES {
        return Err(invalid("too long"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("must be printable ASCII without spaces"));
    }
    Ok(RegistrationToken(value.to_owned()))
}

/// Adds `Authorization: Bearer <registration_token>` when a token was given,
/// and nothing when none was.
fn with_bearer(request: HttpRequest, token: Option<&RegistrationToken>) -> HttpRequest {
    match token {
        Some(token) => request.header("Authorization", token.bearer()),
        None => request,
    }
}

/// A step of the flow, named on the page when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ReadingRequest,
    FetchingConfiguration,
    ValidatingConfiguration,
    Registering,
    Storing,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::ReadingRequest => "reading the registration request",
            Step::FetchingConfiguration => "fetching the platform's configuration",
            Step::ValidatingConfiguration => "validating the platform's configuration",
            Step::Registering => "registering with the platform",
            Step::Storing => "storing the registration",
        })
    }
}

/// A failed registration: the step and why.
#[derive(Debug)]
pub struct StepError {
    pub step: Step,
    pub error: Error,
}

impl StepError {
    /// Whether the platform may have created its client already (the failure
    /// came after its answer), so the administrator should look there.
    pub fn platform_client_created(&self) -> bool {
        self.step == Step::Storing
    }
}

/// Tags an error with its step.
fn at(step: Step) -> impl Fn(Error) -> StepError {
    move |error| StepError { step, error }
}

/// What was registered, for the page and the log.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The `PLATFORMS` key, `<issuer>#<client_id>`.
    pub key: String,
    pub issuer: String,
    pub client_id: String,
    /// `None` when the platform returned none: every deployment is accepted.
    pub deployment_id: Option<String>,
    /// The scopes asked for.
    pub scopes: Vec<&'static str>,
    pub platform: PlatformProduct,
}

/// The whole flow (§3.3-§3.6), for a tool at `tool` (its origin, path `/`).
/// Writes the new registration straight to `ports.platforms` and makes this
/// isolate forget any cached absence of it, so a login right after finds it.
pub async fn register<R: Runtime>(
    ports: &Ports<'_, R>,
    tool: &Url,
    request: &RegistrationRequest,
) -> std::result::Result<Registered, StepError> {
    use Step::*;
    let token = request.registration_token.as_ref();
    let url = &request.openid_configuration;
    let get = openid_configuration_request(url, token);
    let response = send(ports.http, get)
        .await
        .map_err(at(FetchingConfiguration))?;
    check_status(&response).map_err(at(FetchingConfiguration))?;
    let config = parse_openid_configuration(&response, url).map_err(at(ValidatingConfiguration))?;

    let post = registration_request(&config, tool, token);
    let response = send(ports.http, post).await.map_err(at(Registering))?;
    let client = parse_registration_response(&response).map_err(at(Registering))?;

    let (key, value) = registration_entry(&config, &client);
    store_new(ports, &key, &value).await.map_err(at(Storing))?;
    Ok(Registered {
        key,
        issuer: config.issuer().to_owned(),
        client_id: client.client_id().to_owned(),
        deployment_id: client.deployment_id().map(str::to_owned),
        scopes: requested_scopes(&config),
        platform: config.product().clone(),
    })
}

async fn send(http: &impl HttpClient, request: HttpRequest) -> Result<HttpResponse> {
    http.send(request)
        .await
        .map_err(|e| Error::PlatformUnavailable(e.0))
}

/// A platform's non-2xx answer, with its status and message.
fn check_status(response: &HttpResponse) -> Result<()> {
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    Err(Error::RegistrationRejected {
        status: response.status,
        message: platform_message(&response.body),
    })
}

/// Stores `value` under `key` unless something is there already. Workers KV
/// cannot put only if absent: two registrations racing for the same key
/// could both pass the check, but the platform issues each client_id once.
async fn store_new<R: Runtime>(ports: &Ports<'_, R>, key: &str, value: &str) -> Result<()> {
    let registration = PlatformRegistration::parse(key, value)?;
    // Read from the store itself: the isolate's cache may remember an absence.
    if ports.platforms.get(key).await?.is_some() {
        return Err(Error::RegistrationExists {
            issuer: registration.issuer().to_string(),
            client_id: registration.client_id().to_string(),
        });
    }
    ports.platforms.put(key, value, None).await?;
    ports.cache.forget(key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_matches_only_itself() {
        let secret = RegistrationSecret::new("0123456789abcdef-XYZ").unwrap();
        assert!(secret.matches("0123456789abcdef-XYZ"));
        assert!(!secret.matches("0123456789abcdef-XY"));
        assert!(!secret.matches("0123456789abcdef-XYZ0"));
        assert!(!secret.matches(""));
        assert_eq!(format!("{secret:?}"), "RegistrationSecret([redacted])");
    }

    #[test]
    fn secret_must_be_long_and_url_safe() {
        assert!(RegistrationSecret::new("short").is_err());
        assert!(RegistrationSecret::new("0123456789abcdef/..").is_err());
        assert!(RegistrationSecret::new("0123456789abcdef%20").is_err());
    }

    #[test]
    fn request_needs_an_https_configuration_url() {
        let err = RegistrationRequest::from_params([("registration_token", "t")]).unwrap_err();
        assert!(matches!(
            err,
            Error::MissingParameter("openid_configuration")
        ));
        for bad in [
            "http://lms.example.edu/config",
            "lms.example.edu",
            "ftp://x/",
        ] {
            let err = RegistrationRequest::from_params([("openid_configuration", bad)]);
            assert!(
                matches!(
                    err,
                    Err(Error::InvalidParameter {
                        name: "openid_configuration",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let ok = RegistrationRequest::from_params([
            ("openid_configuration", "http://127.0.0.1:9001/config"),
            ("registration_token", ""),
        ])
        .unwrap();
        assert_eq!(ok.registration_token, None, "an empty token is no token");
    }

    #[test]
    fn token_is_refused_when_it_could_break_a_header() {
        fn params(token: &str) -> Result<RegistrationRequest> {
            RegistrationRequest::from_params([
                ("openid_configuration", "https://lms.example.edu/config"),
                ("registration_token", token),
            ])
        }
        assert!(params("a\r\nX-Injected: 1").is_err());
        assert!(params("a b").is_err());
        assert!(params(&"a".repeat(MAX_TOKEN_BYTES + 1)).is_err());
        let ok = params("eyJ.eyJ.sig").unwrap();
        assert_eq!(
            format!("{:?}", ok.registration_token.unwrap()),
            "RegistrationToken([redacted])"
        );
    }
}
