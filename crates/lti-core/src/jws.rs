//! Compact JWS signing (RFC 7515 §7.1) over the `Crypto` port: RS256 or
//! ES256, as the key is RSA or P-256.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::ports::Crypto;

/// Signs `claims` with `key`; the header names the key by `kid`.
pub fn sign<'a>(
    crypto: &'a impl Crypto,
    key: &'a SigningKey,
    claims: &impl Serialize,
) -> impl Future<Output = Result<String>> + 'a {
    let claims = serde_json::to_vec(claims).expect("claims serialize");
    sign_payload(crypto, key, claims)
}

/// Signs `claims`, already serialized as a JSON object, with `key`.
pub async fn sign_payload(
    crypto: &impl Crypto,
    key: &SigningKey,
    claims: Vec<u8>,
) -> Result<String> {
    let alg = key.algorithm();
    let header = serde_json::json!({ "alg": alg.name(), "typ": "JWT", "kid": key.kid });
    let header = serde_json::to_vec(&header).expect("header serializes");
    let signing_input = format!("{}.{}", b64::encode(header), b64::encode(claims));
    let signature = crypto
        .sign(alg, &key.private, signing_input.as_bytes())
        .await?;
    Ok(format!("{signing_input}.{}", b64::encode(signature)))
}

/// The JOSE header fields this tool reads. `jku`, `x5u`, `jwk` and `x5c` are
/// never followed: keys come only from the registration's `jwks_uri`.
#[derive(Deserialize)]
pub struct JoseHeader {
    pub alg: String,
    pub kid: Option<String>,
    pub crit: Option<serde_json::Value>,
}

/// A compact JWS split into its parts, signature not yet checked.
pub struct UntrustedJws<'a> {
    pub header: JoseHeader,
    pub signing_input: &'a str,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Splits a compact JWS; nothing is verified yet.
pub fn parse(token: &str) -> Result<UntrustedJws<'_>> {
    let malformed = |why: &str| Error::MalformedToken(why.to_owned());
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a compact JWS has three dot-separated parts"));
    };
    let decode = |part: &str, what: &str| {
        b64::decode(part).ok_or_else(|| malformed(&format!("{what} is not base64url")))
    };
    let header: JoseHeader = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|_| malformed("header is not a JOSE header"))?;
    Ok(UntrustedJws {
        header,
        signing_input: &token[..token.len() - signature.len() - 1],
        payload: decode(payload, "payload")?,
        signature: decode(signature, "signature")?,
    })
}
