//! Pure-Rust RS256 and ES256 behind the `Crypto` port, for native tests and
//! tools. The worker uses WebCrypto instead, which runs natively in workerd.

use jwt_compact::alg::{Es256, Rsa, RsaPrivateKey, RsaPublicKey};
use jwt_compact::{Algorithm, AlgorithmSignature};
use p256::ecdsa::{SigningKey as P256SigningKey, VerifyingKey as P256VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::BigUint;

use crate::b64;
use crate::jwk::PublicJwk;
use crate::ports::{Alg, Crypto, CryptoError, PrivateKey};

#[derive(Debug, Default, Clone, Copy)]
pub struct RustCrypto;

fn err(e: impl std::fmt::Display) -> CryptoError {
    CryptoError(e.to_string())
}

fn private_key(key: &PrivateKey) -> Result<RsaPrivateKey, CryptoError> {
    RsaPrivateKey::from_pkcs8_der(&key.0).map_err(err)
}

/// A signature that does not even parse is simply not valid.
fn verify_with<A: Algorithm>(
    alg: &A,
    key: &A::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> bool {
    A::Signature::try_from_slice(signature).is_ok_and(|s| alg.verify_signature(&s, key, message))
}

impl Crypto for RustCrypto {
    async fn verify(
        &self,
        alg: Alg,
        key: &PublicJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        let member = |m: &Option<String>| {
            m.as_deref()
                .and_then(b64::decode)
                .ok_or_else(|| err("bad JWK"))
        };
        Ok(match alg {
            Alg::Rs256 => {
                let (n, e) = (member(&key.n)?, member(&key.e)?);
                let public =
                    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                        .map_err(err)?;
                verify_with(&Rsa::rs256(), &public, message, signature)
            }
            Alg::Es256 => {
                let point = [vec![4u8], member(&key.x)?, member(&key.y)?].concat();
                let public = P256VerifyingKey::from_sec1_bytes(&point).map_err(err)?;
                verify_with(&Es256, &public, message, signature)
            }
        })
    }

    async fn sign(
        &self,
        alg: Alg,
        key: &PrivateKey,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Ok(match alg {
            Alg::Rs256 => Rsa::rs256()
                .sign(&private_key(key)?, message)
                .as_bytes()
                .into_owned(),
            Alg::Es256 => {
                let key = P256SigningKey::from_pkcs8_der(&key.0).map_err(err)?;
                Es256.sign(&key, message).as_bytes().into_owned()
            }
        })
    }

    async fn generate(&self, alg: Alg) -> Result<PrivateKey, CryptoError> {
        let der = match alg {
            Alg::Rs256 => RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(err)?
                .to_pkcs8_der(),
            Alg::Es256 => p256::SecretKey::random(&mut rsa::rand_core::OsRng).to_pkcs8_der(),
        };
        Ok(PrivateKey(der.map_err(err)?.as_bytes().to_vec()))
    }

    async fn public_jwk(&self, key: &PrivateKey) -> Result<PublicJwk, CryptoError> {
        if let Ok(key) = P256SigningKey::from_pkcs8_der(&key.0) {
            let point = P256VerifyingKey::from(&key).to_encoded_point(false);
            let (x, y) = (
                point.x().ok_or_else(|| err("no x"))?,
                point.y().ok_or_else(|| err("no y"))?,
            );
            return Ok(PublicJwk::p256(b64::encode(x), b64::encode(y)));
        }
        let key = private_key(key)?;
        Ok(PublicJwk::rsa(
            b64::encode(key.n().to_bytes_be()),
            b64::encode(key.e().to_bytes_be()),
        ))
    }
}
