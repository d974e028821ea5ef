//! Pure-Rust RS256 behind the `Crypto` port, for native tests and tools.
//! The worker uses WebCrypto instead, which runs natively in workerd.

use jwt_compact::alg::{Rsa, RsaPrivateKey, RsaPublicKey};
use jwt_compact::{Algorithm, AlgorithmSignature};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::BigUint;

use crate::b64;
use crate::jwks::RsaPublicJwk;
use crate::ports::{Crypto, CryptoError, PrivateKey};

#[derive(Debug, Default, Clone, Copy)]
pub struct RustCrypto;

fn err(e: impl std::fmt::Display) -> CryptoError {
    CryptoError(e.to_string())
}

fn private_key(key: &PrivateKey) -> Result<RsaPrivateKey, CryptoError> {
    RsaPrivateKey::from_pkcs8_der(&key.0).map_err(err)
}

impl Crypto for RustCrypto {
    async fn verify_rs256(
        &self,
        key: &RsaPublicJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        let part = |s: &str| {
            b64::decode(s)
                .map(|b| BigUint::from_bytes_be(&b))
                .ok_or_else(|| err("bad JWK"))
        };
        let public = RsaPublicKey::new(part(&key.n)?, part(&key.e)?).map_err(err)?;
        let Ok(signature) = <Rsa as Algorithm>::Signature::try_from_slice(signature) else {
            return Ok(false);
        };
        Ok(Rsa::rs256().verify_signature(&signature, &public, message))
    }

    async fn sign_rs256(&self, key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let signature = Rsa::rs256().sign(&private_key(key)?, message);
        Ok(signature.as_bytes().into_owned())
    }

    async fn generate_rs256(&self) -> Result<PrivateKey, CryptoError> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(err)?;
        Ok(PrivateKey(
            key.to_pkcs8_der().map_err(err)?.as_bytes().to_vec(),
        ))
    }

    async fn public_jwk(&self, key: &PrivateKey) -> Result<RsaPublicJwk, CryptoError> {
        let key = private_key(key)?;
        Ok(RsaPublicJwk {
            kty: "RSA".into(),
            n: b64::encode(key.n().to_bytes_be()),
            e: b64::encode(key.e().to_bytes_be()),
            kid: None,
            alg: None,
            use_: None,
        })
    }
}
