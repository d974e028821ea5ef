//! Fixed inputs shared by the fuzz targets: the registration, tool origin and
//! clock a launch is checked against, and a helper that renders every error
//! the way the worker does (message, kind, code), so formatting is fuzzed too.

use lti_core::registration::PlatformRegistration;
use lti_core::Error;
use url::Url;

/// The fixed "now" of every target: 2027-01-15T08:00:00Z.
pub const NOW: u64 = 1_800_000_000;

pub const ISSUER: &str = "https://lms.example.edu";
pub const CLIENT_ID: &str = "lti-edge-client";
pub const DEPLOYMENT_ID: &str = "deployment-1";
pub const TOOL_BASE: &str = "https://tool.example.com";

/// The registration the seeds are written for, with `quirks` (JSON members) added.
pub fn registration_with(quirks: &str) -> PlatformRegistration {
    let json = format!(
        r#"{{"issuer":"{ISSUER}","client_id":"{CLIENT_ID}",
        "authorization_endpoint":"{ISSUER}/mod/lti/auth.php",
        "token_endpoint":"{ISSUER}/mod/lti/token.php",
        "jwks_uri":"{ISSUER}/mod/lti/certs.php",
        "deployment_ids":["{DEPLOYMENT_ID}","deployment-2"]{quirks}}}"#
    );
    PlatformRegistration::parse(&format!("{ISSUER}#{CLIENT_ID}"), &json).expect("valid")
}

/// The registration the seeds are written for.
pub fn registration() -> PlatformRegistration {
    registration_with("")
}

pub fn tool_base() -> Url {
    Url::parse(TOOL_BASE).expect("fixed URL")
}

/// Renders an error as the worker's error page would.
pub fn render(error: &Error) {
    let message = error.to_string();
    std::hint::black_box((message, error.kind(), error.code()));
}

/// Renders the error of a result, if any.
pub fn render_err<T>(result: &lti_core::Result<T>) {
    if let Err(error) = result {
        render(error);
    }
}

/// `name=value` pairs of an `application/x-www-form-urlencoded` body.
pub fn form(data: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(data).into_owned().collect()
}

/// The pairs as `&str`, as the worker hands them to the core.
pub fn borrowed(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
}

/// The `kid` of the worker key the assertion seeds name.
pub const WORKER_KID: &str = "tool-2026-11";

/// A `Crypto` port that takes every signature for valid and signs nothing:
/// with it, whatever follows the signature check in the real verifiers (the
/// claims, the times) is reached by fuzzed bytes.
pub struct AcceptingCrypto;

impl lti_core::ports::Crypto for AcceptingCrypto {
    async fn verify(
        &self,
        _: lti_core::ports::Alg,
        _: &lti_core::jwk::PublicJwk,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, lti_core::ports::CryptoError> {
        Ok(true)
    }
    async fn sign(
        &self,
        _: lti_core::ports::Alg,
        _: &lti_core::ports::PrivateKey,
        _: &[u8],
    ) -> Result<Vec<u8>, lti_core::ports::CryptoError> {
        Err(lti_core::ports::CryptoError("fuzzing signs nothing".into()))
    }
    async fn generate(
        &self,
        _: lti_core::ports::Alg,
    ) -> Result<lti_core::ports::PrivateKey, lti_core::ports::CryptoError> {
        Err(lti_core::ports::CryptoError("fuzzing makes no key".into()))
    }
    async fn public_jwk(
        &self,
        _: &lti_core::ports::PrivateKey,
    ) -> Result<lti_core::jwk::PublicJwk, lti_core::ports::CryptoError> {
        Err(lti_core::ports::CryptoError("fuzzing makes no key".into()))
    }
}

/// An RSA worker key named [`WORKER_KID`] (its numbers are never used).
pub fn worker_key() -> lti_core::keys::SigningKey {
    let mut public = lti_core::jwk::PublicJwk::rsa("AQAB".into(), "AQAB".into());
    public.kid = Some(WORKER_KID.into());
    lti_core::keys::SigningKey {
        kid: WORKER_KID.into(),
        private: lti_core::ports::PrivateKey(Vec::new()),
        public,
    }
}

/// Runs a future that never waits (the ports here answer at once).
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => unreachable!("no port here waits"),
    }
}
