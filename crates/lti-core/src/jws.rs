//! Compact JWS (RFC 7515 §7.1) and JWT (RFC 7519) for every token the worker
//! signs or accepts: one [`Signer`] (the `iat`, `exp` and `jti` every token
//! kind carries, the header naming the key by `kid`) and one verifier
//! ([`parse`] → [`UntrustedJws::verify`] → [`VerifiedJws`], then
//! [`TimeRule::check`]).
//!
//! Parsing is jwt-compact's ([`UntrustedToken`]); the signature arithmetic is
//! the [`Crypto`] port's (WebCrypto in the worker), over the token up to its
//! last `.`; the time rule ([`TimeRule`]) takes `now` from the caller.
//! Nothing of the payload is readable before the signature verified.

use jwt_compact::{ParseError, UntrustedToken};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::{Error, Result};
use crate::jwk::PublicJwk;
use crate::keys::SigningKey;
use crate::login::random_token;
use crate::ports::{Alg, Crypto, Rng};

/// Signs the worker's tokens with one key at one moment: the origin's
/// assertions and service tokens, client assertions, deep linking responses.
pub struct Signer<'a, C> {
    crypto: &'a C,
    key: &'a SigningKey,
    rng: &'a dyn Rng,
    now: u64,
}

/// The claims that make a token unique and bound in time: `iat` now, `exp`
/// a lifetime later, and a random `jti` (or a deep linking response's `nonce`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

impl<'a, C: Crypto> Signer<'a, C> {
    pub fn new(crypto: &'a C, key: &'a SigningKey, rng: &'a dyn Rng, now: u64) -> Self {
        Self {
            crypto,
            key,
            rng,
            now,
        }
    }

    /// A fresh [`Stamp`] for a token valid `ttl` seconds.
    pub fn stamp(&self, ttl: u64) -> Stamp {
        Stamp {
            iat: self.now,
            exp: self.now + ttl,
            jti: random_token(self.rng),
        }
    }

    /// Signs `claims`; the header names the key by `kid`.
    pub async fn sign(&self, claims: &impl Serialize) -> Result<String> {
        let claims = serde_json::to_vec(claims).expect("claims serialize");
        self.sign_payload(claims).await
    }

    /// Signs `claims`, already serialized as a JSON object.
    pub(crate) async fn sign_payload(&self, claims: Vec<u8>) -> Result<String> {
        let alg = self.key.algorithm();
        let header = serde_json::json!({ "alg": alg.name(), "typ": "JWT", "kid": self.key.kid });
        let header = serde_json::to_vec(&header).expect("header serializes");
        let signing_input = format!("{}.{}", b64::encode(header), b64::encode(claims));
        let signature = self
            .crypto
            .sign(alg, &self.key.private, signing_input.as_bytes())
            .await?;
        Ok(format!("{signing_input}.{}", b64::encode(signature)))
    }
}

/// The JOSE header members this tool reads beyond `alg` and `kid`: only
/// `crit`, to refuse extensions it does not understand (RFC 7515 §4.1.11).
/// `jku`, `x5u`, `jwk` and `x5c` are never followed: keys come only from the
/// registration's `jwks_uri`, or are the worker's own.
#[derive(Debug, Deserialize)]
pub(crate) struct Extensions {
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A compact JWS split into its parts, signature not yet checked: only the
/// header is readable.
pub struct UntrustedJws<'a> {
    token: UntrustedToken<'a, Extensions>,
    signing_input: &'a str,
    payload: &'a str,
}

/// Splits a compact JWS and reads its header; nothing is verified yet.
pub fn parse(token: &str) -> Result<UntrustedJws<'_>> {
    let parsed = UntrustedToken::try_from(token).map_err(|e| {
        Error::MalformedToken(
            match e {
                ParseError::InvalidTokenStructure => "a compact JWS has three dot-separated parts",
                ParseError::InvalidBase64Encoding => "a part is not base64url",
                _ => "header is not a JOSE header",
            }
            .into(),
        )
    })?;
    // Three parts, as the parse just checked: the signed part is the token up
    // to its last dot (RFC 7515 §5.2 step 8).
    let (signing_input, _) = token.rsplit_once('.').expect("three parts");
    let (_, payload) = signing_input.split_once('.').expect("three parts");
    Ok(UntrustedJws {
        token: parsed,
        signing_input,
        payload,
    })
}

impl<'a> UntrustedJws<'a> {
    /// The header's `alg`, as the sender wrote it.
    pub fn algorithm(&self) -> &str {
        self.token.algorithm()
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.token.header().key_id.as_deref()
    }

    /// Whether the header names critical extensions: none is understood here.
    pub fn has_critical(&self) -> bool {
        self.token.header().other_fields.crit.is_some()
    }

    /// What the signature covers: the token up to its last dot.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    pub fn signature(&self) -> &[u8] {
        self.token.signature_bytes()
    }

    /// Checks the signature with `key` under `alg`, which the caller chose
    /// (never the header); `None` when it does not verify.
    pub async fn verify(
        self,
        crypto: &impl Crypto,
        alg: Alg,
        key: &PublicJwk,
    ) -> Result<Option<VerifiedJws<'a>>> {
        let valid = crypto
            .verify(alg, key, self.signing_input.as_bytes(), self.signature())
            .await?;
        Ok(valid.then_some(VerifiedJws(self)))
    }
}

/// A JWS whose signature verified: its payload may now be read.
pub struct VerifiedJws<'a>(UntrustedJws<'a>);

impl VerifiedJws<'_> {
    /// The payload, decoded: the claims' JSON as signed.
    pub fn payload(&self) -> Vec<u8> {
        b64::decode(self.0.payload).expect("decoded once already")
    }

    /// The payload's text exactly as signed, if it is UTF-8.
    pub(crate) fn payload_text(&self) -> Option<String> {
        String::from_utf8(self.payload()).ok()
    }
}

/// Why a token's times refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// `exp` or `iat` is absent (or not a number).
    Missing(&'static str),
    Expired,
    /// `iat` or `nbf` is later than now, beyond the leeway.
    NotYetValid(&'static str),
}

/// Seconds of clock skew tolerated between the machines that sign and check
/// a token: a time up to this far in the future is not yet an error.
pub(crate) const CLOCK_SKEW: u64 = 60;

/// A token's NumericDates (RFC 7519 §2), as received: seconds, fractions allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Times {
    pub exp: Option<f64>,
    pub iat: Option<f64>,
    pub nbf: Option<f64>,
}

/// The one time rule of every token the worker accepts, id_tokens and bearers
/// alike: `exp` and `iat` are required; a token is refused from `exp +
/// leeway` on (RFC 7519 §4.1.4: not accepted *on or after* `exp`), and while
/// `iat` or `nbf` is later than `now +` [`CLOCK_SKEW`].
///
/// The expiry leeway is the signer's: [`TimeRule::PLATFORM`] gives a
/// platform's id_token the clock skew, [`TimeRule::OWN`] none to the tokens
/// the worker signed itself, so an assertion or service token lives exactly
/// as long as its `exp` says.
///
/// jwt-compact's own checks (`Claims::validate_expiration`, `TimeOptions`)
/// are not used: they accept a token at `exp` itself, work on chrono times
/// (an `nbf` at chrono's lower bound overflows), and need its `Claims`, whose
/// `#[serde(flatten)]` buffers every claim before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeRule {
    expiry_leeway: u64,
}

impl TimeRule {
    /// Tokens from a platform: its clock may run behind the worker's.
    pub(crate) const PLATFORM: Self = Self {
        expiry_leeway: CLOCK_SKEW,
    };
    /// Tokens the worker signed: they expire at their `exp`.
    pub(crate) const OWN: Self = Self { expiry_leeway: 0 };

    /// Applies the rule to `times` at `now` (the core never reads the clock).
    pub fn check(self, times: Times, now: u64) -> std::result::Result<(), TimeError> {
        let now = now as f64;
        let exp = times.exp.ok_or(TimeError::Missing("exp"))?;
        let iat = times.iat.ok_or(TimeError::Missing("iat"))?;
        if exp + self.expiry_leeway as f64 <= now {
            return Err(TimeError::Expired);
        }
        let in_future = |t: f64| t > now + CLOCK_SKEW as f64;
        if in_future(iat) {
            return Err(TimeError::NotYetValid("iat"));
        }
        if times.nbf.is_some_and(in_future) {
            return Err(TimeError::NotYetValid("nbf"));
        }
        Ok(())
    }
}
