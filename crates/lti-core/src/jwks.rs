//! Platform keys: a pure request builder, a pure response parser, a cache
//! policy, and a few lines of glue that keep the set in the key-value store.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jwk::PublicJwk;
use crate::ports::{HttpClient, HttpRequest, HttpResponse, KeyValue, Ports, Runtime};
use crate::registration::PlatformRegistration;

/// Bounds on how long a fetched JWKS is trusted without asking again.
pub const MIN_MAX_AGE: u64 = 60;
pub const MAX_MAX_AGE: u64 = 24 * 3600;
/// Used when the platform sends no `Cache-Control: max-age`.
pub(crate) const DEFAULT_MAX_AGE: u64 = 3600;
/// How long an expired set is kept to serve launches while the platform is down.
pub(crate) const STALE_IF_ERROR: u64 = 7 * 24 * 3600;
/// Per isolate and JWKS: seconds between two refetches for an unknown `kid`,
/// and how long a failed fetch stands before the platform is asked again.
pub const REFETCH_COOLDOWN: u64 = 5;
/// A JWKS larger than this is not a JWKS.
pub(crate) const MAX_JWKS_BYTES: usize = 256 * 1024;

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

pub(crate) fn jwks_request(registration: &PlatformRegistration) -> HttpRequest {
    HttpRequest::get(registration.jwks_uri()).header("accept", "application/json")
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
    format!("jwks:{}", registration.jwks_uri())
}

/// What one isolate remembers of its recent fetches of one JWKS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentFetches {
    /// When the last fetch failed, and why.
    pub failure: Option<(u64, String)>,
    /// When the last refetch for an unknown `kid` started.
    pub unknown_kid_refetch: Option<u64>,
}

/// What [`platform_key`] does for one token, as [`jwks_action`] decides.
#[derive(Debug)]
pub enum JwksAction {
    /// The fresh cached set holds the key.
    UseCached(PublicJwk),
    /// A fetch failed within the cooldown; the expired set still holds the
    /// key (stale-if-error).
    UseStale(PublicJwk),
    /// No set, or an expired one: fetch. Should the fetch fail, `stale` (the
    /// expired set's key, if it has one) serves.
    Fetch { stale: Option<PublicJwk> },
    /// The fresh set lacks the `kid` and no such refetch ran within the
    /// cooldown: refetch once, the cooldown counting from now.
    RefetchForUnknownKid,
    /// Nothing to serve, and the platform is not asked again yet.
    Refuse(Error),
}

/// The cache policy of [`platform_key`]: from the stored set (`cached`), what
/// this isolate remembers (`recent`), the time and the token's `kid`, what to
/// do. A fresh set without `kid` is refetched at once, since the platform may
/// have rotated its keys just after our fetch; such refetches happen at most
/// once per [`REFETCH_COOLDOWN`] per isolate, so forged `kid`s cannot make
/// every launch hit the platform. A failed fetch stands for the same time, so
/// a platform that is down is not asked by every launch either; meanwhile an
/// expired set still serves the keys it holds (stale-if-error).
pub fn jwks_action(
    cached: Option<&CachedJwks>,
    recent: &RecentFetches,
    now: u64,
    kid: Option<&str>,
) -> JwksAction {
    let fresh = cached.filter(|c| now < c.expires_at);
    if let Some(key) = fresh.and_then(|c| c.find(kid)) {
        return JwksAction::UseCached(key.clone());
    }
    let stale = cached.and_then(|c| c.find(kid)).cloned();
    let within_cooldown = |at: u64| now < at + REFETCH_COOLDOWN;
    match &recent.failure {
        Some((at, reason)) if within_cooldown(*at) => {
            return match stale {
                Some(key) => JwksAction::UseStale(key),
                None => JwksAction::Refuse(Error::JwksUnavailable(reason.clone())),
            };
        }
        _ => {}
    }
    // An ordinary fetch (no set, or an expired one) is always allowed; a
    // refetch for an unknown `kid` only once per cooldown.
    if fresh.is_none() {
        return JwksAction::Fetch { stale };
    }
    if recent.unknown_kid_refetch.is_some_and(within_cooldown) {
        return JwksAction::Refuse(unknown_key(kid));
    }
    JwksAction::RefetchForUnknownKid
}

/// The key a fetch yields: `kid` from the fetched set, or, when the fetch
/// failed (`Err` says why), the stale key if there is one.
pub fn fetched_key(
    fetched: Result<&CachedJwks, &str>,
    stale: Option<PublicJwk>,
    kid: Option<&str>,
) -> Result<PublicJwk> {
    match fetched {
        Ok(set) => set.find(kid).cloned().ok_or_else(|| unknown_key(kid)),
        Err(reason) => stale.ok_or_else(|| Error::JwksUnavailable(reason.to_owned())),
    }
}

fn unknown_key(kid: Option<&str>) -> Error {
    Error::UnknownKey(kid.unwrap_or("(none)").to_owned())
}

/// The platform key that signed a token: the glue that runs [`jwks_action`]
/// against the store, this isolate's memory and the platform.
pub async fn platform_key<R: Runtime>(
    ports: &Ports<'_, R>,
    registration: &PlatformRegistration,
    kid: Option<&str>,
) -> Result<PublicJwk> {
    let (store, now) = (ports.cached_store(), ports.now);
    let memory = Memory {
        cache: ports.cache,
        jwks_uri: registration.jwks_uri(),
    };
    let loaded = load(&store, registration).await?;
    let cached = loaded.as_deref().and_then(Option::as_ref);
    let stale = match jwks_action(cached, &memory.recent(now), now, kid) {
        JwksAction::UseCached(key) | JwksAction::UseStale(key) => return Ok(key),
        JwksAction::Refuse(error) => return Err(error),
        JwksAction::Fetch { stale } => stale,
        // Counted before the fetch, so concurrent requests do not all start one.
        JwksAction::RefetchForUnknownKid => {
            memory.record_unknown_kid_refetch(now);
            None
        }
    };
    let fetched = fetch(ports.http, registration, now).await;
    match &fetched {
        Ok(set) => save(&store, registration, set, now).await?,
        Err(reason) => memory.record_failure(reason, now),
    }
    fetched_key(fetched.as_ref().map_err(String::as_str), stale, kid)
}

/// [`RecentFetches`] as one isolate keeps them, each for the cooldown.
struct Memory<'a> {
    cache: &'a crate::cache::MemoryCache,
    jwks_uri: &'a str,
}

impl Memory<'_> {
    fn key(&self, what: &str) -> String {
        format!("jwks-{what}:{}", self.jwks_uri)
    }

    fn recent(&self, now: u64) -> RecentFetches {
        let failure = self.cache.get::<(u64, String)>(&self.key("failed"), now);
        let refetch = self.cache.get::<u64>(&self.key("refetched"), now);
        RecentFetches {
            failure: failure.map(|f| f.as_ref().clone()),
            unknown_kid_refetch: refetch.map(|at| *at),
        }
    }

    fn record_failure(&self, reason: &str, now: u64) {
        let failure = Rc::new((now, reason.to_owned()));
        self.cache
            .insert(&self.key("failed"), failure, now + REFETCH_COOLDOWN);
    }

    fn record_unknown_kid_refetch(&self, now: u64) {
        self.cache
            .insert(&self.key("refetched"), Rc::new(now), now + REFETCH_COOLDOWN);
    }
}

/// Keeps a fetched set until it expires, and for [`STALE_IF_ERROR`] after.
async fn save(
    store: &impl KeyValue,
    registration: &PlatformRegistration,
    fetched: &CachedJwks,
    now: u64,
) -> Result<()> {
    let value = serde_json::to_string(fetched).expect("JWKS serializes");
    let ttl = fetched.expires_at - now + STALE_IF_ERROR;
    Ok(store
        .put(&store_key(registration), &value, Some(ttl))
        .await?)
}

/// The stored set; one that does not parse counts as absent (and is overwritten).
async fn load(
    store: &impl KeyValue,
    registration: &PlatformRegistration,
) -> Result<Option<Rc<Option<CachedJwks>>>> {
    let parse = |text: &str| Ok::<_, Error>(serde_json::from_slice(text.as_bytes()).ok());
    store.get_parsed(&store_key(registration), parse).await
}

/// Fetches and parses the set; an error says why it is unavailable.
async fn fetch(
    http: &impl HttpClient,
    registration: &PlatformRegistration,
    now: u64,
) -> Result<CachedJwks, String> {
    let response = http
        .send(jwks_request(registration))
        .await
        .map_err(|e| e.to_string())?;
    parse_jwks_response(&response, now).map_err(|e| match e {
        Error::JwksUnavailable(reason) => reason,
        other => other.to_string(),
    })
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
