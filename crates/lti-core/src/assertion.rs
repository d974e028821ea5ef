//! The signed header for the origin, `Lti-Jwt-Assertion`: a short-lived JWT
//! (ES256 with a P-256 key configured, else RS256) carrying every claim of the
//! verified id_token under `lti`, and beside it the launch's normalized
//! [`view`](crate::view) (`user`, `context`, `resource_link`, `platform`,
//! `message_type`, `custom`, `launch_presentation`, `services`), whose
//! `platform` names the registration and deployment the launch acts for.
//! Service tokens carry no view: only `lti`'s narrow subset and `platform`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jws;
use crate::keys::SigningKey;
use crate::launch::LaunchPlatform;
use crate::login::random_token;
use crate::ports::{Crypto, Rng};
use crate::services::Grant;
use crate::view::LaunchViewJson;

/// The header name (HTTP header names are case-insensitive).
pub const HEADER: &str = "Lti-Jwt-Assertion";
/// Seconds an assertion stays valid; the interface allows at most 300.
pub const TTL: u64 = 300;

/// The claims of an assertion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub lti: Map<String, Value>,
    /// The registration and deployment the launch acts for. Required: tokens
    /// issued before it was carried do not verify (the user launches again).
    pub platform: LaunchPlatform,
    /// `service` on service tokens; absent on assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<String>,
    // `session_token`, on assertions of sessions without cookie (see
    // `crate::session`), is not read back: the worker never needs it here.
}

impl AssertionClaims {
    /// What the launch behind this token granted.
    pub fn grant(&self) -> Grant<'_> {
        Grant {
            lti: &self.lti,
            platform: &self.platform,
        }
    }
}

/// What an assertion says of a launch: its claims as received, its user, the
/// registration and deployment it acts for, and its normalized view.
#[derive(Debug, Clone, Copy)]
pub struct AssertedLaunch<'a> {
    /// Every claim of the verified id_token: its JSON text, carried verbatim.
    pub lti: &'a RawValue,
    /// The `sub` claim; absent for anonymous launches.
    pub sub: Option<&'a str>,
    pub platform: &'a LaunchPlatform,
    /// The session's token, when the browser keeps its session without a
    /// cookie: the origin puts it on its links and fetches
    /// ([`crate::session::TOKEN_PARAM`], [`crate::session::TOKEN_HEADER`]).
    pub session_token: Option<&'a str>,
    /// The view computed when the launch was verified; its `platform` member
    /// is the assertion's `platform` claim.
    pub view: &'a LaunchViewJson,
}

/// Who issues assertions and for whom.
#[derive(Debug, Clone)]
pub struct AssertionConfig {
    /// The worker's base URL.
    pub issuer: String,
    /// `ASSERTION_AUDIENCE`, by default `ORIGIN_URL`.
    pub audience: String,
}

impl AssertionConfig {
    /// The `aud` of service tokens: the worker's services, not the origin, so
    /// an origin checking `aud` never takes one for an assertion.
    pub fn service_audience(&self) -> String {
        format!("{}/lti/services", self.issuer)
    }
}

/// [`AssertionClaims`] as they are signed: borrowed, so the launch claims and
/// the view are written out as they are, never copied first.
#[derive(Serialize)]
struct Issued<'a, L: ?Sized> {
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    lti: &'a L,
    /// Service tokens only: an assertion's `platform` is the view's.
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a LaunchPlatform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_use: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
}

/// Signs a fresh assertion for `launch`, whose claims and view it carries verbatim.
pub async fn issue_assertion(
    crypto: &impl Crypto,
    key: &SigningKey,
    config: &AssertionConfig,
    launch: AssertedLaunch<'_>,
    rng: &dyn Rng,
    now: u64,
) -> Result<String> {
    let claims = Issued {
        iss: &config.issuer,
        aud: &config.audience,
        iat: now,
        exp: now + TTL,
        jti: random_token(rng),
        sub: launch.sub,
        lti: launch.lti,
        platform: None,
        token_use: None,
        session_token: launch.session_token,
    };
    // The view's members join the claims as written at launch, by joining two
    // JSON objects serde_json wrote, neither empty, their member names disjoint
    // (`platform` is the view's here). Cheaper, in wasm bytes and per request,
    // than parsing the view to serialize it again.
    let claims = serde_json::to_string(&claims).expect("claims serialize");
    let payload = format!(
        "{},{}",
        claims.strip_suffix('}').expect("an object"),
        &launch.view.get()[1..]
    );
    jws::sign_payload(crypto, key, payload.into_bytes()).await
}

/// Signs a service token for the launch behind `grant`: a longer-lived
/// bearer for background grading, holding only what AGS and NRPS calls need
/// ([`Grant::service_subset`]) and the registration and deployment it acts for.
pub async fn issue_service_token(
    crypto: &impl Crypto,
    key: &SigningKey,
    config: &AssertionConfig,
    grant: Grant<'_>,
    rng: &dyn Rng,
    now: u64,
    ttl: u64,
) -> Result<(String, u64)> {
    let lti = grant.service_subset();
    let claims = Issued {
        iss: &config.issuer,
        aud: &config.service_audience(),
        iat: now,
        exp: now + ttl,
        jti: random_token(rng),
        sub: lti.get("sub").and_then(Value::as_str),
        lti: &lti,
        platform: Some(grant.platform),
        token_use: Some(SERVICE_TOKEN_USE),
        // A service token is no browser session.
        session_token: None,
    };
    Ok((jws::sign(crypto, key, &claims).await?, now + ttl))
}

pub const SERVICE_TOKEN_USE: &str = "service";

/// Checks an assertion or service token this worker issued: RS256 with one of
/// `keys`, `iss`, `aud` and `exp`. Used when the origin calls back with it as
/// a bearer token.
pub async fn verify_assertion(
    crypto: &impl Crypto,
    keys: &[SigningKey],
    config: &AssertionConfig,
    token: &str,
    now: u64,
) -> Result<AssertionClaims> {
    let jws = jws::parse(token).map_err(|_| Error::InvalidAssertion("malformed"))?;
    let key = keys
        .iter()
        .find(|k| jws.header.kid.as_deref() == Some(k.kid.as_str()))
        .ok_or(Error::InvalidAssertion("unknown key"))?;
    // The key decides the algorithm; a header naming another is refused.
    if jws.header.alg != key.algorithm().name() {
        return Err(Error::InvalidAssertion("algorithm"));
    }
    let (input, signature) = (jws.signing_input.as_bytes(), &jws.signature);
    if !crypto
        .verify(key.algorithm(), &key.public, input, signature)
        .await?
    {
        return Err(Error::InvalidAssertion("signature"));
    }
    let claims: AssertionClaims =
        serde_json::from_slice(&jws.payload).map_err(|_| Error::InvalidAssertion("claims"))?;
    if claims.iss != config.issuer {
        return Err(Error::InvalidAssertion("issuer"));
    }
    let service = claims.token_use.as_deref() == Some(SERVICE_TOKEN_USE);
    let audience = if service {
        config.service_audience()
    } else {
        config.audience.clone()
    };
    if claims.aud != audience {
        return Err(Error::InvalidAssertion("audience"));
    }
    if claims.exp <= now {
        return Err(Error::InvalidAssertion("expired"));
    }
    Ok(claims)
}
