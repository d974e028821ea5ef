//! Fixture RSA keys, JWK rendering and compact JWS signing/verification.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_compact::alg::{Es256, Hs256, Hs256Key, Rsa, RsaPrivateKey, RsaPublicKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, Empty, UntrustedToken};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};
use sha2::Sha256;

/// One fixture key pair; its `kid` is the RFC 7638 thumbprint, so it never changes.
pub(crate) struct KeyPair {
    private: RsaPrivateKey,
    kid: String,
}

impl KeyPair {
    fn from_pem(pem: &str) -> KeyPair {
        let private = RsaPrivateKey::from_pkcs8_pem(pem).expect("fixture key is valid PKCS#8");
        let public = private.to_public_key();
        let kid = URL_SAFE_NO_PAD.encode(JsonWebKey::from(&public).thumbprint::<Sha256>());
        KeyPair { private, kid }
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// Public JWK as platforms publish it: thumbprint members plus kid/alg/use.
    pub(crate) fn jwk(&self) -> Value {
        let public = self.public();
        let mut jwk = serde_json::to_value(JsonWebKey::from(&public)).expect("JWK serializes");
        let members = jwk.as_object_mut().expect("JWK is an object");
        members.insert("kid".into(), json!(self.kid));
        members.insert("alg".into(), json!("RS256"));
        members.insert("use".into(), json!("sig"));
        jwk
    }

    /// SPKI PEM of the public key.
    pub(crate) fn public_pem(&self) -> String {
        self.public()
            .to_public_key_pem(LineEnding::LF)
            .expect("public key encodes")
    }

    /// RS256 over exactly the given header and claims (no re-serialisation games).
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let signature = Rsa::rs256().sign(&self.private, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_bytes()))
    }
}

struct Fixtures {
    /// `(platform, keys)`, the first key of each being the one active at start.
    platforms: Vec<(&'static str, Vec<KeyPair>)>,
    attacker: KeyPair,
}

/// Parsed once per process: PEM parsing is cheap, but there is no need to repeat it.
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let one = |pem| vec![KeyPair::from_pem(pem)];
        Fixtures {
            platforms: vec![
                (
                    "a",
                    vec![
                        KeyPair::from_pem(include_str!("../keys/platform-a-1.pem")),
                        KeyPair::from_pem(include_str!("../keys/platform-a-2.pem")),
                    ],
                ),
                ("b", one(include_str!("../keys/platform-b-1.pem"))),
                ("canvas", one(include_str!("../keys/platform-canvas-1.pem"))),
                (
                    "brightspace",
                    one(include_str!("../keys/platform-brightspace-1.pem")),
                ),
                (
                    "skillstown",
                    one(include_str!("../keys/platform-skillstown-1.pem")),
                ),
                ("moodle", one(include_str!("../keys/platform-moodle-1.pem"))),
                ("dynreg", one(include_str!("../keys/platform-dynreg-1.pem"))),
            ],
            attacker: KeyPair::from_pem(include_str!("../keys/attacker.pem")),
        }
    })
}

/// All keys of a platform, the first being the one active at start.
pub(crate) fn platform_keys(platform: &str) -> Option<&'static [KeyPair]> {
    fixtures()
        .platforms
        .iter()
        .find(|(name, _)| *name == platform)
        .map(|(_, keys)| keys.as_slice())
}

/// The key no platform publishes.
pub(crate) fn attacker_key() -> &'static KeyPair {
    &fixtures().attacker
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// HS256 compact JWS over the given header and claims.
pub fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let signature = Hs256.sign(&Hs256Key::new(secret), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_bytes()))
}

/// Verifies an RS256 compact JWS against the key of a JWK Set whose `kid` matches the
/// token's, and returns `(header, claims)` as raw JSON. Checks the signature only.
pub fn verify_rs256(token: &str, jwks: &Value) -> Result<(Value, Value), String> {
    let untrusted = UntrustedToken::new(token).map_err(|e| format!("malformed token: {e}"))?;
    if untrusted.algorithm() != "RS256" {
        return Err(format!("unsupported alg {:?}", untrusted.algorithm()));
    }
    let kid = untrusted
        .header()
        .key_id
        .as_deref()
        .ok_or("no kid in header")?;
    let key = public_key_for(jwks, kid)?;
    Rsa::rs256()
        .validator::<Empty>(&key)
        .validate(&untrusted)
        .map_err(|e| format!("signature check failed: {e}"))?;
    Ok((decode_segment(token, 0)?, decode_segment(token, 1)?))
}

/// The key of a JWK Set whose `kid` is `kid`.
fn jwk_by_kid<'a>(jwks: &'a Value, kid: &str) -> Result<&'a Value, String> {
    jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("no key with kid {kid:?} in the JWK Set"))
}

fn public_key_for(jwks: &Value, kid: &str) -> Result<RsaPublicKey, String> {
    let jwk = jwk_by_kid(jwks, kid)?;
    // Only the thumbprint members: jwt-compact's JWK type has no room for kid/alg/use.
    let bare = json!({"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]});
    let jwk: JsonWebKey<'_> =
        serde_json::from_value(bare).map_err(|e| format!("bad JWK {kid:?}: {e}"))?;
    RsaPublicKey::try_from(&jwk).map_err(|e| format!("bad RSA JWK {kid:?}: {e}"))
}

/// Verifies an RS256 or ES256 compact JWS (what the worker may sign for its
/// origin) against the JWK Set key whose `kid` matches. Checks the signature only.
pub fn verify_rs256_or_es256(token: &str, jwks: &Value) -> Result<(Value, Value), String> {
    let untrusted = UntrustedToken::new(token).map_err(|e| format!("malformed token: {e}"))?;
    if untrusted.algorithm() != "ES256" {
        return verify_rs256(token, jwks);
    }
    let kid = untrusted
        .header()
        .key_id
        .as_deref()
        .ok_or("no kid in header")?;
    let jwk = jwk_by_kid(jwks, kid)?;
    let bare = json!({"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"]});
    let jwk: JsonWebKey<'_> =
        serde_json::from_value(bare).map_err(|e| format!("bad JWK {kid:?}: {e}"))?;
    let key = p256::ecdsa::VerifyingKey::try_from(&jwk)
        .map_err(|e| format!("bad P-256 JWK {kid:?}: {e}"))?;
    Es256
        .validator::<Empty>(&key)
        .validate(&untrusted)
        .map_err(|e| format!("signature check failed: {e}"))?;
    Ok((decode_segment(token, 0)?, decode_segment(token, 1)?))
}

/// Decodes one base64url JSON segment of a compact JWS (0 = header, 1 = claims).
pub(crate) fn decode_segment(token: &str, index: usize) -> Result<Value, String> {
    let segment = token.split('.').nth(index).ok_or("missing JWS segment")?;
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| format!("segment {index} is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("segment {index} is not JSON: {e}"))
}
