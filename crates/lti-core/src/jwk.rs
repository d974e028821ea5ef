//! One public key as a JWK (RFC 7517) and the JWS algorithms it serves: a
//! leaf that the ports, the key store and the JWKS cache all build on, and
//! that builds on nothing of theirs.

use serde::{Deserialize, Serialize};

use crate::b64;

/// The JWS algorithms of the tool's own keys: RS256 (RSASSA-PKCS1-v1_5 with
/// SHA-256), which platforms require, and ES256 (ECDSA P-256 with SHA-256),
/// which costs a twentieth of an RSA signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }
}

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
    pub(crate) fn usable_for_rs256(&self) -> bool {
        let decoded = |member: &Option<String>| member.as_deref().and_then(b64::decode);
        // Keys under 2048 bits are refused (RFC 7518 §3.3), counted in bits:
        // leading zero bytes and bits pad a modulus, they do not strengthen it.
        let strong = decoded(&self.n).is_some_and(|n| bit_length(&n) >= 2048);
        // The exponent is odd and at least 3 (RFC 8017 §3.1).
        let exponent = decoded(&self.e).is_some_and(|e| is_rsa_exponent(&e));
        self.kty == "RSA"
            && strong
            && exponent
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

/// The bit length of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        Some(first) => (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize,
        None => 0,
    }
}

/// An RSA public exponent: odd and at least 3, big-endian.
fn is_rsa_exponent(e: &[u8]) -> bool {
    let significant = &e[e.iter().position(|&b| b != 0).unwrap_or(e.len())..];
    let odd = significant.last().is_some_and(|b| b % 2 == 1);
    odd && (significant.len() > 1 || significant[0] >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa(n: &[u8], e: &str) -> PublicJwk {
        PublicJwk::rsa(b64::encode(n), e.to_owned())
    }

    /// 2048 significant bits: the top bit of the first byte set, then 255 bytes.
    fn modulus_2048() -> Vec<u8> {
        [0xc5u8; 256].to_vec()
    }

    #[test]
    fn counts_the_modulus_in_bits_not_bytes() {
        let padded = [&[0x00][..], &modulus_2048()].concat();
        assert_eq!(padded.len(), 257);
        assert!(
            rsa(&padded, "AQAB").usable_for_rs256(),
            "a leading zero byte is padding"
        );
        let mut short = modulus_2048();
        short[0] = 0x00;
        assert!(
            !rsa(&short, "AQAB").usable_for_rs256(),
            "256 bytes, 2040 bits"
        );
        short[0] = 0x01;
        assert!(
            !rsa(&short, "AQAB").usable_for_rs256(),
            "256 bytes, 2041 bits"
        );
        assert_eq!(bit_length(&[0, 0, 0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn requires_an_odd_exponent_of_at_least_3() {
        let n = modulus_2048();
        assert!(rsa(&n, "AQAB").usable_for_rs256(), "65537");
        assert!(rsa(&n, "Aw").usable_for_rs256(), "3");
        assert!(
            rsa(&n, "AAEAAQ").usable_for_rs256(),
            "65537 with a leading zero byte"
        );
        for (e, why) in [
            ("AQ", "1"),
            ("Ag", "2, even"),
            ("AQAA", "65536, even"),
            ("", "empty"),
            ("AA", "0"),
            ("A!B", "not base64url"),
        ] {
            assert!(!rsa(&n, e).usable_for_rs256(), "e = {e:?} ({why})");
        }
        let no_e = PublicJwk {
            e: None,
            ..rsa(&n, "AQAB")
        };
        assert!(!no_e.usable_for_rs256());
    }
}
