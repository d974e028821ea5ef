//! The worker's configuration: `[vars]`, secrets and KV bindings.

use lti_core::dynamic_registration::RegistrationSecret;
use lti_core::registration::check_endpoint;
use lti_core::Error;
use url::Url;
use worker::Env;

/// Registrations, one per `<issuer>#<client_id>`.
pub const PLATFORMS: &str = "PLATFORMS";
/// Platform JWKS, the worker's generated keys, tokens, sessions; logins by default.
pub const LTI_STATE: &str = "LTI_STATE";
/// The `LoginState` Durable Object namespace, for `LOGIN_STORE = "durable-object"`.
pub const LOGINS: &str = "LOGINS";

/// Where logins (`state` and `nonce`) are kept until their launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStore {
    /// Workers KV: no extra set-up; one-time use is best effort across locations.
    Kv,
    /// A Durable Object per login: strictly one-time.
    DurableObject,
}

pub struct Config {
    /// `ORIGIN_URL`: where verified requests go.
    pub origin: Url,
    /// `ASSERTION_AUDIENCE`, by default `ORIGIN_URL`.
    pub audience: String,
    /// `SESSION_TTL` in seconds.
    pub session_ttl: u64,
    /// `LOGIN_STORE`: `kv` (default) or `durable-object`.
    pub login_store: LoginStore,
    /// `ORIGIN_TIMEOUT_MS`: how long the origin may take to start answering.
    pub origin_timeout_ms: u32,
    /// `SERVICE_TOKEN_TTL` in seconds: how long background-grading tokens last.
    pub service_token_ttl: u64,
    /// Secret `LTI_PRIVATE_KEY` (PKCS#8 PEM); generated and kept in KV when absent.
    pub private_key: Option<String>,
    /// Secret `REGISTRATION_SECRET` (a var in local development): the last
    /// segment of the Dynamic Registration URL. `None` turns the route off.
    /// Its `Debug` never prints it.
    pub registration_secret: Option<RegistrationSecret>,
}

/// Prints every setting but the secrets: the private key shows as
/// `[redacted]`, the registration secret as its own `Debug` does.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = format_args!("[redacted]");
        f.debug_struct("Config")
            .field("origin", &self.origin.as_str())
            .field("audience", &self.audience)
            .field("session_ttl", &self.session_ttl)
            .field("login_store", &self.login_store)
            .field("origin_timeout_ms", &self.origin_timeout_ms)
            .field("service_token_ttl", &self.service_token_ttl)
            .field("private_key", &self.private_key.as_ref().map(|_| redacted))
            .field("registration_secret", &self.registration_secret)
            .finish()
    }
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, Error> {
        let origin =
            var(env, "ORIGIN_URL").ok_or_else(|| Error::Config("ORIGIN_URL is not set".into()))?;
        let origin = parse_origin(&origin)?;
        let audience = var(env, "ASSERTION_AUDIENCE")
            .unwrap_or_else(|| origin.as_str().trim_end_matches('/').to_owned());
        let session_ttl = number(env, "SESSION_TTL", lti_core::session::DEFAULT_TTL)?;
        let service_token_ttl = number(env, "SERVICE_TOKEN_TTL", 30 * 24 * 3600)?;
        let origin_timeout_ms =
            number(env, "ORIGIN_TIMEOUT_MS", 30_000)?.min(u32::MAX as u64) as u32;
        let login_store = match var(env, "LOGIN_STORE").as_deref() {
            None | Some("kv") => LoginStore::Kv,
            Some("durable-object") => LoginStore::DurableObject,
            Some(other) => {
                return Err(Error::Config(format!(
                    "LOGIN_STORE must be kv or durable-object, not {other}"
                )))
            }
        };
        let private_key = env.secret("LTI_PRIVATE_KEY").ok().map(|s| s.to_string());
        let registration_secret = registration_secret(env)?;
        Ok(Self {
            origin,
            audience,
            session_ttl,
            service_token_ttl,
            origin_timeout_ms,
            login_store,
            private_key,
            registration_secret,
        })
    }
}

/// `REGISTRATION_SECRET`: a secret, or a var for `wrangler dev`. One that is
/// set but too short or not URL-safe stops the worker with a clear error
/// rather than leaving the route guarded by a guessable secret.
fn registration_secret(env: &Env) -> Result<Option<RegistrationSecret>, Error> {
    const NAME: &str = "REGISTRATION_SECRET";
    let value = env.secret(NAME).ok().map(|s| s.to_string());
    let Some(value) = value.or_else(|| var(env, NAME)) else {
        return Ok(None);
    };
    parse_registration_secret(&value)
}

/// Surrounding whitespace (a newline piped into `wrangler secret put`) is
/// not part of the secret; an empty value leaves the route off.
fn parse_registration_secret(value: &str) -> Result<Option<RegistrationSecret>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    RegistrationSecret::new(value)
        .map(Some)
        .map_err(|e| Error::Config(format!("REGISTRATION_SECRET {e}")))
}

/// `ORIGIN_URL`. Assertions travel to the origin in a header: never in clear
/// text over a network (plain http only on loopback, for development).
fn parse_origin(value: &str) -> Result<Url, Error> {
    let invalid = |e: String| Error::Config(format!("ORIGIN_URL: {e}"));
    check_endpoint(value).map_err(invalid)?;
    Url::parse(value).map_err(|e| invalid(e.to_string()))
}

/// A whole-number variable (seconds or milliseconds, as its name says).
fn number(env: &Env, name: &str, default: u64) -> Result<u64, Error> {
    match var(env, name) {
        Some(value) => value
            .parse()
            .map_err(|_| Error::Config(format!("{name} must be a whole number"))),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_secret_is_trimmed_checked_and_never_printed() {
        assert!(parse_registration_secret(" \n").unwrap().is_none());
        let secret = parse_registration_secret("0123456789abcdef-xyz\n").unwrap();
        let secret = secret.unwrap();
        assert!(secret.matches("0123456789abcdef-xyz"));
        assert!(!format!("{secret:?}").contains("0123"));
        assert!(matches!(
            parse_registration_secret("short"),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn debug_never_prints_the_keys() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        let config = Config {
            origin: parse_origin("https://app.example.com").unwrap(),
            audience: "https://app.example.com".into(),
            session_ttl: 3600,
            login_store: LoginStore::Kv,
            origin_timeout_ms: 30_000,
            service_token_ttl: 86400,
            private_key: Some(pem.into()),
            registration_secret: parse_registration_secret("0123456789abcdef-xyz").unwrap(),
        };
        let printed = format!("{config:?}");
        assert!(printed.contains("https://app.example.com"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
        for secret in ["PRIVATE KEY", "MIIEvQ", "0123456789abcdef"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn origin_must_be_https_except_on_loopback() {
        for good in [
            "https://app.example.com",
            "http://127.0.0.1:9002",
            "http://localhost:3000/app/",
        ] {
            assert!(parse_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "http://app.example.com",
            "ftp://127.0.0.1",
            "app.example.com",
        ] {
            assert!(
                matches!(parse_origin(bad), Err(Error::Config(m)) if m.starts_with("ORIGIN_URL")),
                "{bad}"
            );
        }
    }
}
