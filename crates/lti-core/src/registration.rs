//! Platform registrations: one KV entry per (issuer, client_id), parsed and
//! validated once, so the rest of the core can trust every field.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::ports::KeyValue;

/// One registration of this tool on a platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformRegistration {
    pub issuer: String,
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub deployment_ids: Vec<String>,
}

/// The KV key of a registration: `<issuer>#<client_id>`.
pub fn registration_key(issuer: &str, client_id: &str) -> String {
    format!("{issuer}#{client_id}")
}

impl PlatformRegistration {
    /// Parses a stored registration; unknown fields and unsafe endpoints are errors.
    pub fn parse(key: &str, json: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidRegistration {
            key: key.to_owned(),
            reason,
        };
        let reg: Self = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        if reg.issuer.is_empty() || reg.client_id.is_empty() {
            return Err(invalid("issuer and client_id must not be empty".into()));
        }
        if registration_key(&reg.issuer, &reg.client_id) != key {
            return Err(invalid("issuer and client_id do not match the key".into()));
        }
        if reg.deployment_ids.is_empty() {
            return Err(invalid(
                "deployment_ids must list at least one deployment".into(),
            ));
        }
        for (field, url) in [
            ("authorization_endpoint", &reg.authorization_endpoint),
            ("token_endpoint", &reg.token_endpoint),
            ("jwks_uri", &reg.jwks_uri),
        ] {
            check_endpoint(url).map_err(|reason| invalid(format!("{field}: {reason}")))?;
        }
        Ok(reg)
    }

    pub fn key(&self) -> String {
        registration_key(&self.issuer, &self.client_id)
    }

    pub fn has_deployment(&self, deployment_id: &str) -> bool {
        self.deployment_ids.iter().any(|d| d == deployment_id)
    }
}

/// Endpoints must be `https`, except on loopback hosts used in development.
pub fn check_endpoint(url: &str) -> std::result::Result<(), String> {
    let url = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err("must use https (plain http only on 127.0.0.1 or localhost)".into()),
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// Finds the registration for a login. With no `client_id`, the issuer must
/// have exactly one registration.
pub async fn find_registration(
    platforms: &impl KeyValue,
    issuer: &str,
    client_id: Option<&str>,
) -> Result<Rc<PlatformRegistration>> {
    let key = match client_id {
        Some(client_id) => registration_key(issuer, client_id),
        None => sole_registration_key(platforms, issuer).await?,
    };
    load_registration(platforms, &key)
        .await?
        .ok_or_else(|| Error::UnknownPlatform {
            issuer: issuer.to_owned(),
            client_id: client_id.map(str::to_owned),
        })
}

async fn sole_registration_key(platforms: &impl KeyValue, issuer: &str) -> Result<String> {
    let mut keys = platforms.list(&registration_key(issuer, ""), 2).await?;
    match keys.len() {
        1 => Ok(keys.remove(0)),
        0 => Err(Error::UnknownPlatform {
            issuer: issuer.to_owned(),
            client_id: None,
        }),
        _ => Err(Error::AmbiguousPlatform(issuer.to_owned())),
    }
}

/// Loads and validates the registration stored under `key`, if any. Shared,
/// not copied: a warm isolate keeps it parsed in its memory cache.
pub async fn load_registration(
    platforms: &impl KeyValue,
    key: &str,
) -> Result<Option<Rc<PlatformRegistration>>> {
    let parse = |json: &str| PlatformRegistration::parse(key, json);
    platforms.get_parsed(key, parse).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(jwks_uri: &str) -> String {
        format!(
            r#"{{"issuer":"https://lms.example.edu","client_id":"c1",
            "authorization_endpoint":"https://lms.example.edu/auth",
            "token_endpoint":"https://lms.example.edu/token",
            "jwks_uri":"{jwks_uri}","deployment_ids":["d1"]}}"#
        )
    }

    #[test]
    fn parses_a_valid_registration() {
        let reg = PlatformRegistration::parse(
            "https://lms.example.edu#c1",
            &json("https://lms.example.edu/jwks"),
        )
        .unwrap();
        assert!(reg.has_deployment("d1"));
        assert!(!reg.has_deployment("d2"));
    }

    #[test]
    fn rejects_plain_http_off_loopback() {
        let err = PlatformRegistration::parse(
            "https://lms.example.edu#c1",
            &json("http://lms.example.edu/jwks"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("jwks_uri"), "{err}");
        assert!(check_endpoint("http://127.0.0.1:9001/jwks").is_ok());
        assert!(check_endpoint("http://localhost/jwks").is_ok());
    }

    #[test]
    fn rejects_unknown_fields() {
        let with_extra = json("https://lms.example.edu/jwks").replace("\"c1\",", "\"c1\",\"x\":1,");
        let err = PlatformRegistration::parse("https://lms.example.edu#c1", &with_extra);
        assert!(err.unwrap_err().to_string().contains("unknown field `x`"));
    }

    #[test]
    fn rejects_a_key_that_does_not_match() {
        let err = PlatformRegistration::parse("https://other#c1", &json("https://a/jwks"));
        assert!(matches!(err, Err(Error::InvalidRegistration { .. })));
    }
}
