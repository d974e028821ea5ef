//! Forged id_tokens: the attacks on a launch that the launch tests and the
//! load test both make.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dev_platform::{hs256, DevPlatform, SigningKeyChoice};
use serde_json::{json, Value};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The header and signature of a genuine token of `platform` over other
/// claims (`sub` made `admin`).
pub fn tampered(dev: &DevPlatform, platform: &str, claims: &Value) -> String {
    let token = dev.sign_id_token(platform, claims);
    let (signed, _) = token.rsplit_once('.').unwrap();
    let mut other = claims.clone();
    other["sub"] = json!("admin");
    let forged = dev.sign_id_token(platform, &other);
    format!("{signed}.{}", forged.rsplit_once('.').unwrap().1)
}

/// `alg: none` and no signature.
pub fn alg_none(claims: &Value) -> String {
    format!("{}.{}.", b64(&json!({"alg": "none"})), b64(claims))
}

/// HS256 keyed with `platform`'s public key, under its key's `kid`.
pub fn hs256_with_public_key(dev: &DevPlatform, platform: &str, claims: &Value) -> String {
    let kid = dev.key_id(SigningKeyChoice::Active(platform.into()));
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
    hs256(&header, claims, dev.public_key_pem(platform).as_bytes())
}

/// Tokens that are not three base64url segments of a JSON header and claims.
pub fn malformed() -> [String; 6] {
    let valid = b64(&json!({"alg": "RS256"}));
    [
        "garbage".into(),
        "a.b".into(),
        "a.b.c".into(),
        "....".into(),
        format!("{valid}.!!!.sig"),
        format!("{valid}.{valid}"),
    ]
}
