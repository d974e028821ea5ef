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
use crate::jws::{self, Signer, Stamp, TimeError, TimeRule, Times};
use crate::keys::SigningKey;
use crate::launch::LaunchPlatform;
use crate::ports::{Crypto, Rng};
use crate::services::Grant;
use crate::view::LaunchViewJson;

/// The header name (HTTP header names are case-insensitive).
pub const HEADER: &str = "Lti-Jwt-Assertion";
/// Seconds an assertion stays valid; the interface allows at most 300.
pub const TTL: u64 = 300;

/// The claims of an assertion or service token that [`verify_assertion`]
/// accepted; nothing else makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionClaims {
    body: AssertionBody,
}

/// What of a bearer's claims is read back. Read straight from the payload,
/// not as jwt-compact's `Claims<AssertionBody>`, whose `#[serde(flatten)]`
/// buffers every claim first (and costs the worker about 5 KB of gzip).
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct AssertionBody {
    iat: u64,
    exp: u64,
    iss: String,
    aud: String,
    jti: String,
    #[serde(default)]
    sub: Option<String>,
    lti: Map<String, Value>,
    /// The registration and deployment the launch acts for. Required: tokens
    /// issued before it was carried do not verify (the user launches again).
    platform: LaunchPlatform,
    /// `service` on service tokens; absent on assertions.
    #[serde(default)]
    token_use: Option<String>,
    // `session_token`, on assertions of sessions without cookie (see
    // `crate::session`), is not read back: the worker never needs it here.
}

impl AssertionClaims {
    /// What the launch behind this token granted.
    pub fn grant(&self) -> Grant<'_> {
        Grant::of(&self.body.lti, &self.body.platform)
    }

    pub fn issued_at(&self) -> u64 {
        self.body.iat
    }

    pub fn expires_at(&self) -> u64 {
        self.body.exp
    }

    pub fn jti(&self) -> &str {
        &self.body.jti
    }

    /// The launch's user; absent for anonymous launches.
    pub fn sub(&self) -> Option<&str> {
        self.body.sub.as_deref()
    }

    /// The launch's claims (all of them on an assertion, the service subset
    /// on a service token).
    pub fn lti(&self) -> &Map<String, Value> {
        &self.body.lti
    }

    pub fn platform(&self) -> &LaunchPlatform {
        &self.body.platform
    }

    /// Whether this is a service token rather than a launch assertion.
    pub fn is_service_token(&self) -> bool {
        self.body.token_use.as_deref() == Some(SERVICE_TOKEN_USE)
    }

    /// `token_use`: `service` on service tokens, absent on assertions.
    pub fn token_use(&self) -> Option<&str> {
        self.body.token_use.as_deref()
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
    let signer = Signer::new(crypto, key, rng, now);
    let Stamp { iat, exp, jti } = signer.stamp(TTL);
    let claims = Issued {
        iss: &config.issuer,
        aud: &config.audience,
        iat,
        exp,
        jti,
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
    signer.sign_payload(payload.into_bytes()).await
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
    let signer = Signer::new(crypto, key, rng, now);
    let Stamp { iat, exp, jti } = signer.stamp(ttl);
    let claims = Issued {
        iss: &config.issuer,
        aud: &config.service_audience(),
        iat,
        exp,
        jti,
        sub: grant.user_id(),
        lti: &lti,
        platform: Some(grant.platform()),
        token_use: Some(SERVICE_TOKEN_USE),
        // A service token is no browser session.
        session_token: None,
    };
    Ok((signer.sign(&claims).await?, exp))
}

pub const SERVICE_TOKEN_USE: &str = "service";

/// Checks an assertion or service token this worker issued: signed with one
/// of `keys` under that key's algorithm, `iss`, `aud`, and the times by
/// [`TimeRule::OWN`]. Used when the origin calls back with it as a bearer
/// token.
pub async fn verify_assertion(
    crypto: &impl Crypto,
    keys: &[SigningKey],
    config: &AssertionConfig,
    token: &str,
    now: u64,
) -> Result<AssertionClaims> {
    let payload = verified_payload(crypto, keys, token).await?;
    let body: AssertionBody =
        serde_json::from_slice(&payload).map_err(|_| Error::InvalidAssertion("claims"))?;
    body.check(config, now)?;
    Ok(AssertionClaims { body })
}

/// The payload of `token`, once its signature verified with the key its
/// `kid` names among `keys`.
async fn verified_payload(
    crypto: &impl Crypto,
    keys: &[SigningKey],
    token: &str,
) -> Result<Vec<u8>> {
    let jws = jws::parse(token).map_err(|_| Error::InvalidAssertion("malformed"))?;
    let key = keys
        .iter()
        .find(|k| jws.kid() == Some(k.kid.as_str()))
        .ok_or(Error::InvalidAssertion("unknown key"))?;
    // The key decides the algorithm; a header naming another is refused.
    if jws.algorithm() != key.algorithm().name() {
        return Err(Error::InvalidAssertion("algorithm"));
    }
    // The worker names no critical extension; any is one it cannot honour.
    if jws.has_critical() {
        return Err(Error::InvalidAssertion("malformed"));
    }
    let verified = jws.verify(crypto, key.algorithm(), &key.public).await?;
    Ok(verified
        .ok_or(Error::InvalidAssertion("signature"))?
        .payload())
}

impl AssertionBody {
    /// `iss` is the worker, `aud` the origin (the worker's services for a
    /// service token), and the times hold by [`TimeRule::OWN`].
    fn check(&self, config: &AssertionConfig, now: u64) -> Result<()> {
        if self.iss != config.issuer {
            return Err(Error::InvalidAssertion("issuer"));
        }
        let audience_holds = if self.token_use.as_deref() == Some(SERVICE_TOKEN_USE) {
            self.aud == config.service_audience()
        } else {
            self.aud == config.audience
        };
        if !audience_holds {
            return Err(Error::InvalidAssertion("audience"));
        }
        let times = Times {
            exp: Some(self.exp as f64),
            iat: Some(self.iat as f64),
            nbf: None,
        };
        TimeRule::OWN.check(times, now).map_err(|e| {
            Error::InvalidAssertion(match e {
                TimeError::Missing(_) => "claims",
                TimeError::Expired => "expired",
                TimeError::NotYetValid(_) => "not yet valid",
            })
        })
    }
}
