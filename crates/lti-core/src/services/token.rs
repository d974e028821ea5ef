//! Platform access tokens (1EdTech Security Framework §4.1): the
//! client_credentials grant with an RS256 `client_assertion` signed by the
//! worker's key, cached per registration and scope set until shortly before
//! it expires, and the one service call helper that uses them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Platform;
use crate::error::{Error, Result};
use crate::jws::{Signer, Stamp};
use crate::keys::SigningKey;
use crate::ports::{Crypto, HttpClient, HttpRequest, HttpResponse, KeyValue, Method, Runtime};
use crate::registration::PlatformRegistration;

pub(crate) const CLIENT_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Seconds a client assertion stays valid.
pub(crate) const CLIENT_ASSERTION_TTL: u64 = 300;
/// A token is renewed this many seconds before the platform says it expires.
pub(crate) const RENEW_BEFORE: u64 = 60;

/// An access token and the time it stops being used. `Debug` never prints
/// the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub use_until: u64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &format_args!("[redacted]"))
            .field("use_until", &self.use_until)
            .finish()
    }
}

/// The `aud` of client assertions (Security Framework §4.1.1): the
/// registration's `token_audience` when the platform documents one, else its
/// token endpoint. Always one string, never an array: some platforms refuse
/// an array.
pub(crate) fn client_assertion_audience(registration: &PlatformRegistration) -> &str {
    registration
        .token_audience()
        .unwrap_or(registration.token_endpoint())
}

/// The signed JWT that authenticates the worker to the token endpoint.
pub async fn client_assertion(
    crypto: &impl Crypto,
    key: &SigningKey,
    registration: &PlatformRegistration,
    rng: &dyn crate::ports::Rng,
    now: u64,
) -> Result<String> {
    let signer = Signer::new(crypto, key, rng, now);
    let Stamp { iat, exp, jti } = signer.stamp(CLIENT_ASSERTION_TTL);
    let claims = json!({
        "iss": registration.client_id(),
        "sub": registration.client_id(),
        "aud": client_assertion_audience(registration),
        "iat": iat,
        "exp": exp,
        "jti": jti,
    });
    signer.sign(&claims).await
}

pub(crate) fn token_request(
    registration: &PlatformRegistration,
    assertion: &str,
    scopes: &[&str],
) -> HttpRequest {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion)
        .append_pair("scope", &scopes.join(" "))
        .finish();
    HttpRequest {
        method: Method::Post,
        url: registration.token_endpoint().to_owned(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(body),
    }
}

pub(crate) fn parse_token_response(response: &HttpResponse, now: u64) -> Result<AccessToken> {
    #[derive(Deserialize)]
    struct TokenResponse {
        access_token: String,
        expires_in: Option<u64>,
    }
    check_status(response)?;
    let token: TokenResponse = serde_json::from_slice(&response.body).map_err(|_| {
        Error::PlatformUnavailable("the token endpoint answered no access_token".into())
    })?;
    // RFC 6749 §5.1: expires_in is recommended; an hour is the common default.
    let expires_in = token.expires_in.unwrap_or(3600);
    let use_until = now + expires_in.saturating_sub(RENEW_BEFORE.min(expires_in / 2));
    Ok(AccessToken {
        access_token: token.access_token,
        use_until,
    })
}

/// A non-2xx answer becomes an error carrying the platform's `error` code.
pub(crate) fn check_status(response: &HttpResponse) -> Result<()> {
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let error = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|e| e.chars().take(100).collect())
        });
    Err(Error::PlatformRejected {
        status: response.status,
        error,
    })
}

fn cache_key(registration: &PlatformRegistration, scopes: &[&str]) -> String {
    let mut scopes = scopes.to_vec();
    scopes.sort_unstable();
    format!("token:{}:{}", registration.key(), scopes.join(" "))
}

/// An access token for `scopes`: cached while usable, else requested once.
pub async fn access_token<R: Runtime>(
    platform: &Platform<'_, R>,
    scopes: &[&str],
    renew: bool,
) -> Result<AccessToken> {
    let Platform {
        ports,
        registration,
        key,
    } = platform;
    let store = ports.cached_store();
    let cache_key = cache_key(registration, scopes);
    if !renew {
        // Parsed once per isolate; an entry that does not parse counts as absent.
        let parse =
            |v: &str| Ok::<_, Error>(serde_json::from_slice::<AccessToken>(v.as_bytes()).ok());
        let cached = store.get_parsed(&cache_key, parse).await?;
        let usable = cached.as_deref().and_then(Option::as_ref);
        if let Some(token) = usable.filter(|t| ports.now < t.use_until) {
            return Ok(token.clone());
        }
    }
    let assertion = client_assertion(ports.crypto, key, registration, ports.rng, ports.now).await?;
    let response = ports
        .http
        .send(token_request(registration, &assertion, scopes))
        .await
        .map_err(|e| Error::PlatformUnavailable(e.to_string()))?;
    let token = parse_token_response(&response, ports.now)?;
    let ttl = token.use_until.saturating_sub(ports.now);
    if ttl >= 60 {
        let value = serde_json::to_string(&token).expect("token serializes");
        store.put(&cache_key, &value, Some(ttl)).await?;
    }
    Ok(token)
}

/// Sends a service request with a bearer token. A `401` means the platform
/// dropped the token early: it is renewed and the request sent once more.
pub async fn call<R: Runtime>(
    platform: &Platform<'_, R>,
    scopes: &[&str],
    request: &HttpRequest,
) -> Result<HttpResponse> {
    let mut renew = false;
    loop {
        let token = access_token(platform, scopes, renew).await?;
        let authorized = request
            .clone()
            .header("authorization", format!("Bearer {}", token.access_token));
        let response = platform
            .ports
            .http
            .send(authorized)
            .await
            .map_err(|e| Error::PlatformUnavailable(e.to_string()))?;
        if response.status == 401 && !renew {
            renew = true;
            continue;
        }
        check_status(&response)?;
        return Ok(response);
    }
}
