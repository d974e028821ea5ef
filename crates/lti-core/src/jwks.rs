//! Platform keys: a pure request builder, a pure response parser, a cache
//! policy, and a few lines of glue that keep the set in the key-value store.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ports::{Alg, HttpClient, HttpRequest, HttpResponse, KeyValue, Ports};
use crate::registration::PlatformRegistration;

/// Bounds on how long a fetched JWKS is trusted without asking again.
pub const MIN_MAX_AGE: u64 = 60;
pub const MAX_MAX_AGE: u64 = 24 * 3600;
/// Used when the platform sends no `Cache-Control: max-age`.
pub const DEFAULT_MAX_AGE: u64 = 3600;
/// How long an expired set is kept to serve launches while the platform is down.
pub const STALE_IF_ERROR: u64 = 7 * 24 * 3600;
/// Seconds between two fetches of one JWKS by one isolate.
pub const REFETCH_COOLDOWN: u64 = 5;
/// A JWKS larger than this is not a JWKS.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A public key as a JWK (RFC 7517): RSA (`n`, `e`, RFC 7518 §6.3.1) or EC
/// P-256 (`crv`, `x`, `y`, §6.2.1). Platforms' keys and the tool's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl PublicJwk {
    pub fn rsa(n: String, e: String) -> Self {
        Self {
            kty: "RSA".into(),
            n: Some(n),
            e: Some(e),
            ..Self::default()
        }
    }

    pub fn p256(x: String, y: String) -> Self {
        Self {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some(x),
            y: Some(y),
            ..Self::default()
        }
    }

    /// Whether this key may verify a platform's RS256 signatures.
    fn usable_for_rs256(&self) -> bool {
        // Keys under 2048 bits are refused (RFC 7518 §3.3).
        let strong = self
            .n
            .as_deref()
            .and_then(crate::b64::decode)
            .is_some_and(|n| n.len() >= 256);
        self.kty == "RSA"
            && strong
            && self.e.is_some()
            && self.alg.as_deref().is_none_or(|a| a == "RS256")
            && self.use_.as_deref().is_none_or(|u| u == "sig")
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Alg {
        match self.kty.as_str() {
            "EC" => Alg::Es256,
            _ => Alg::Rs256,
        }
    }
}

/// A JWKS as kept in the store: the usable keys and when they go stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedJwks {
    pub keys: Vec<PublicJwk>,
    pub fetched_at: u64,
    pub expires_at: u64,
}

impl CachedJwks {
    /// The key for `kid`; with no `kid`, the set's only key.
    pub fn find(&self, kid: Option<&str>) -> Option<&PublicJwk> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }
}

pub fn jwks_request(registration: &PlatformRegistration) -> HttpRequest {
    HttpRequest::get(&registration.jwks_uri).header("accept", "application/json")
}

/// Parses a JWKS response, keeping only keys that can verify RS256.
pub fn parse_jwks_response(response: &HttpResponse, now: u64) -> Result<CachedJwks> {
    #[derive(Deserialize)]
    struct KeySet {
        keys: Vec<serde_json::Value>,
    }
    if response.status != 200 {
        return Err(Error::JwksUnavailable(format!(
            "HTTP status {}",
            response.status
        )));
    }
    if response.body.len() > MAX_JWKS_BYTES {
        return Err(Error::JwksUnavailable("response too large".into()));
    }
    let set: KeySet = serde_json::from_slice(&response.body)
        .map_err(|e| Error::JwksUnavailable(format!("not a JWK Set ({e})")))?;
    // Keys of other types (EC, oct...) are skipped, not fatal: a platform may publish several.
    let keys: Vec<PublicJwk> = set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<PublicJwk>(k).ok())
        .filter(PublicJwk::usable_for_rs256)
        .collect();
    let max_age = max_age(response.header("cache-control"));
    Ok(CachedJwks {
        keys,
        fetched_at: now,
        expires_at: now + max_age,
    })
}

/// `max-age` from `Cache-Control`, clamped to sane bounds.
pub fn max_age(cache_control: Option<&str>) -> u64 {
    let directive = cache_control
        .into_iter()
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            let (name, value) = d.trim().split_once('=')?;
            name.eq_ignore_ascii_case("max-age")
                .then(|| value.trim().parse::<u64>().ok())?
        });
    directive
        .unwrap_or(DEFAULT_MAX_AGE)
        .clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

fn store_key(registration: &PlatformRegistration) -> String {
    format!("jwks:{}", registration.jwks_uri)
}

/// The platform key that signed a token: from the cache while it is fresh and
/// holds `kid`, otherwise fetched. Fetches happen at most once per
/// [`REFETCH_COOLDOWN`] per isolate, so forged `kid`s or a platform that is
/// down cannot make every launch hit it. An expired set still serves keys it
/// holds when the platform cannot be reached (stale-if-error).
pub async fn platform_key<K: KeyValue, H: HttpClient, C>(
    ports: &Ports<'_, K, H, C>,
    registration: &PlatformRegistration,
    kid: Option<&str>,
) -> Result<PublicJwk> {
    let (store, now) = (ports.cached_store(), ports.now);
    let loaded = load(&store, registration).await?;
    let cached = loaded.as_deref().and_then(Option::as_ref);
    let fresh = cached.filter(|c| now < c.expires_at);
    if let Some(key) = fresh.and_then(|c| c.find(kid)) {
        return Ok(key.clone());
    }
    let unknown = || Error::UnknownKey(kid.unwrap_or("(none)").to_owned());
    let stale = cached.and_then(|c| c.find(kid)).cloned();
    let attempt = format!("jwks-attempt:{}", registration.jwks_uri);
    if let Some(last_error) = ports.cache.get::<String>(&attempt, now) {
        // Within the cooldown, the last attempt's outcome stands.
        return stale.ok_or_else(|| match last_error.is_empty() {
            true => unknown(),
            false => Error::JwksUnavailable(last_error.as_ref().clone()),
        });
    }
    let result = fetch(ports.http, registration, now).await;
    let last_error = result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    ports
        .cache
        .insert(&attempt, Rc::new(last_error), now + REFETCH_COOLDOWN);
    match result {
        Ok(fresh) => {
            let value = serde_json::to_string(&fresh).expect("JWKS serializes");
            let ttl = fresh.expires_at - now + STALE_IF_ERROR;
            store
                .put(&store_key(registration), &value, Some(ttl))
                .await?;
            fresh.find(kid).cloned().ok_or_else(unknown)
        }
        Err(err) => stale.ok_or(err),
    }
}

/// The stored set; one that does not parse counts as absent (and is overwritten).
async fn load(
    store: &impl KeyValue,
    registration: &PlatformRegistration,
) -> Result<Option<Rc<Option<CachedJwks>>>> {
    let parse = |text: &str| Ok::<_, Error>(serde_json::from_str(text).ok());
    store.get_parsed(&store_key(registration), parse).await
}

async fn fetch(
    http: &impl HttpClient,
    registration: &PlatformRegistration,
    now: u64,
) -> Result<CachedJwks> {
    let response = http
        .send(jwks_request(registration))
        .await
        .map_err(|e| Error::JwksUnavailable(e.to_string()))?;
    parse_jwks_response(&response, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str, cache_control: Option<&str>) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: cache_control
                .map(|v| vec![("Cache-Control".to_owned(), v.to_owned())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn max_age_is_clamped() {
        assert_eq!(max_age(Some("public, max-age=600")), 600);
        assert_eq!(max_age(Some("max-age=0")), MIN_MAX_AGE);
        assert_eq!(max_age(Some("max-age=99999999")), MAX_MAX_AGE);
        assert_eq!(max_age(Some("no-cache")), DEFAULT_MAX_AGE);
        assert_eq!(max_age(None), DEFAULT_MAX_AGE);
    }

    #[test]
    fn keeps_only_rs256_signing_keys() {
        let body = r#"{"keys":[
            {"kty":"RSA","n":"N256","e":"AQAB","kid":"a"},
            {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"weak"},
            {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"enc","use":"enc"},
            {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"ps","alg":"PS256"},
            {"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"ec"}]}"#;
        let body = body.replace("N256", &crate::b64::encode([0xc5u8; 256]));
        let set = parse_jwks_response(&response(&body, Some("max-age=120")), 1000).unwrap();
        let kids: Vec<_> = set.keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["a"]);
        assert_eq!(set.expires_at, 1120);
        assert!(
            set.find(None).is_some(),
            "a single key serves a token without kid"
        );
    }

    #[test]
    fn rejects_garbage_and_errors() {
        assert!(parse_jwks_response(&response("<html>", None), 0).is_err());
        let mut failed = response("{}", None);
        failed.status = 500;
        assert!(matches!(
            parse_jwks_response(&failed, 0),
            Err(Error::JwksUnavailable(_))
        ));
    }
}
