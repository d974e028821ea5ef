//! The tool's own signing keys: from a configured secret (PKCS#8 PEM), or
//! generated on first use and kept in the store, so a bare `wrangler dev` works.
//! Each key's `kid` is its RFC 7638 thumbprint. RSA keys sign what platforms
//! verify (RS256, as LTI requires); a P-256 key, when configured, signs what
//! the origin verifies (ES256, a twentieth of the CPU of an RSA signature).

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Error, Result};
use crate::jwk::PublicJwk;
use crate::ports::{Alg, Crypto, KeyValue, Ports, PrivateKey, Runtime};

/// Where generated keys live in the store.
pub const STORE_KEY: &str = "keys:signing";

/// A private key with its public half and `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub private: PrivateKey,
    pub public: PublicJwk,
}

/// How a key is written down in the store.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    pkcs8: String,
    public: PublicJwk,
}

#[derive(Serialize, Deserialize)]
struct StoredKeys {
    /// The first key signs; all are published.
    keys: Vec<StoredKey>,
}

impl SigningKey {
    async fn from_private(crypto: &impl Crypto, private: PrivateKey) -> Result<Self> {
        let mut public = crypto.public_jwk(&private).await?;
        let kid = thumbprint(&public);
        public.kid = Some(kid.clone());
        public.alg = Some(public.algorithm().name().into());
        public.use_ = Some("sig".into());
        Ok(Self {
            kid,
            private,
            public,
        })
    }

    pub fn algorithm(&self) -> Alg {
        self.public.algorithm()
    }

    fn stored(&self) -> StoredKey {
        StoredKey {
            kid: self.kid.clone(),
            pkcs8: b64::encode(&self.private.0),
            public: self.public.clone(),
        }
    }

    fn from_stored(stored: StoredKey) -> Result<Self> {
        let der = b64::decode(&stored.pkcs8)
            .ok_or_else(|| Error::Config("stored key is corrupt".into()))?;
        Ok(Self {
            kid: stored.kid,
            private: PrivateKey(der),
            public: stored.public,
        })
    }
}

/// RFC 7638 JWK thumbprint: the required members, in lexicographic order.
pub fn thumbprint(jwk: &PublicJwk) -> String {
    fn member(m: &Option<String>) -> &str {
        m.as_deref().unwrap_or_default()
    }
    let canonical = match jwk.algorithm() {
        Alg::Rs256 => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            member(&jwk.e),
            member(&jwk.n)
        ),
        Alg::Es256 => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            member(&jwk.x),
            member(&jwk.y)
        ),
    };
    b64::encode(Sha256::digest(canonical.as_bytes()))
}

/// The key that signs for platforms (client assertions, deep linking
/// responses): the first RSA key, since LTI requires RS256.
pub fn platform_key(keys: &[SigningKey]) -> &SigningKey {
    first_for(keys, Alg::Rs256)
}

/// The key that signs for the origin (assertions, service tokens): the first
/// P-256 key when there is one, else the first key.
pub fn origin_key(keys: &[SigningKey]) -> &SigningKey {
    first_for(keys, Alg::Es256)
}

/// The first key for `alg`, else the first key.
fn first_for(keys: &[SigningKey], alg: Alg) -> &SigningKey {
    keys.iter()
        .find(|k| k.algorithm() == alg)
        .unwrap_or(&keys[0])
}

/// Reads one or more PKCS#8 PEM blocks (`-----BEGIN PRIVATE KEY-----`).
/// Several blocks serve key rotation: the first signs, all are published.
pub fn parse_pkcs8_pems(text: &str) -> Result<Vec<PrivateKey>> {
    let blocks = pem_blocks(text)
        .map_err(|e| Error::Config(format!("the private key PEM is invalid: {e}")))?;
    if blocks.is_empty() {
        return Err(Error::Config(
            "the private key secret holds no PEM block".into(),
        ));
    }
    blocks
        .into_iter()
        .map(|(label, der)| match label {
            "PRIVATE KEY" => Ok(PrivateKey(der)),
            tag => Err(Error::Config(format!(
                "the private key must be PKCS#8 (BEGIN PRIVATE KEY), not {tag}"
            ))),
        })
        .collect()
}

/// The PEM blocks of `text` (RFC 7468): each label with its decoded body.
/// Text outside the blocks is ignored; inside, only base64 lines belong.
/// Read here rather than by `pem` or `pem-rfc7468`: either costs the worker
/// 3-4 KB of gzip (a second base64 engine, its own errors), which its size
/// budget does not hold.
fn pem_blocks(text: &str) -> std::result::Result<Vec<(&str, Vec<u8>)>, String> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in text.lines().map(str::trim) {
        let boundary = |kind: &str| {
            line.strip_prefix("-----")
                .and_then(|l| l.strip_prefix(kind))
                .and_then(|l| l.strip_suffix("-----"))
        };
        match open.take() {
            None => open = boundary("BEGIN ").map(|label| (label, String::new())),
            Some((label, body)) => match boundary("END ") {
                Some(end) if end == label => {
                    let der = b64::decode_standard(&body)
                        .ok_or_else(|| format!("the {label} block is not base64"))?;
                    blocks.push((label, der));
                }
                Some(end) => return Err(format!("BEGIN {label} ends with END {end}")),
                None => open = Some((label, body + line)),
            },
        }
    }
    match open {
        Some((label, _)) => Err(format!("BEGIN {label} has no END")),
        None => Ok(blocks),
    }
}

/// The tool's keys: the first signs, all are published in its JWKS.
pub async fn signing_keys<R: Runtime>(
    ports: &Ports<'_, R>,
    configured_pem: Option<&str>,
) -> Result<Rc<Vec<SigningKey>>> {
    if let Some(pem) = configured_pem {
        return configured_keys(ports, pem).await;
    }
    let store = ports.cached_store();
    if let Some(keys) = store.get_parsed(STORE_KEY, parse_stored).await? {
        return Ok(keys);
    }
    // A P-256 key for the origin (ES256) and an RSA key for platforms (RS256).
    let mut keys = Vec::new();
    for alg in [Alg::Es256, Alg::Rs256] {
        let private = ports.crypto.generate(alg).await?;
        keys.push(SigningKey::from_private(ports.crypto, private).await?);
    }
    // Written past the memory cache: two isolates may generate at once, and
    // the store's last write wins. What the store then holds is what this
    // isolate caches and signs with, never its own keys if they lost.
    ports.store.put(STORE_KEY, &serialize(&keys), None).await?;
    match store.get_parsed(STORE_KEY, parse_stored).await? {
        Some(winner) => Ok(winner),
        // Not readable yet (KV is eventually consistent): sign with ours for
        // this request only; the next one reads the store again.
        None => Ok(Rc::new(keys)),
    }
}

/// Keys from the secret. Deriving the public halves costs crypto work, so they
/// are kept per isolate with the PEM they came from: a changed secret is seen.
async fn configured_keys<R: Runtime>(
    ports: &Ports<'_, R>,
    pem: &str,
) -> Result<Rc<Vec<SigningKey>>> {
    const CACHE_KEY: &str = "keys:configured";
    type Entry = (String, Rc<Vec<SigningKey>>);
    let cached = ports.cache.get::<Entry>(CACHE_KEY, ports.now);
    if let Some((_, keys)) = cached.as_deref().filter(|(from, _)| from == pem) {
        return Ok(keys.clone());
    }
    let mut keys = Vec::new();
    for private in parse_pkcs8_pems(pem)? {
        keys.push(SigningKey::from_private(ports.crypto, private).await?);
    }
    if !keys.iter().any(|k| k.algorithm() == Alg::Rs256) {
        return Err(Error::Config(
            "the private key secret holds no RSA key: platforms require RS256".into(),
        ));
    }
    let keys = Rc::new(keys);
    let entry: Entry = (pem.to_owned(), keys.clone());
    ports
        .cache
        .insert(CACHE_KEY, Rc::new(entry), ports.now + 3600);
    Ok(keys)
}

fn serialize(keys: &[SigningKey]) -> String {
    let stored = StoredKeys {
        keys: keys.iter().map(SigningKey::stored).collect(),
    };
    serde_json::to_string(&stored).expect("keys serialize")
}

fn parse_stored(value: &str) -> Result<Vec<SigningKey>> {
    let stored: StoredKeys = serde_json::from_slice(value.as_bytes())
        .map_err(|_| Error::Config("stored keys are corrupt".into()))?;
    let keys: Vec<SigningKey> = stored
        .keys
        .into_iter()
        .map(SigningKey::from_stored)
        .collect::<Result<_>>()?;
    if keys.is_empty() {
        return Err(Error::Config("no signing key stored".into()));
    }
    Ok(keys)
}

/// The public JWK Set, as `/.well-known/jwks.json` serves it.
pub fn public_jwks(keys: &[SigningKey]) -> serde_json::Value {
    serde_json::json!({ "keys": keys.iter().map(|k| &k.public).collect::<Vec<_>>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_pem_block_and_refuses_broken_ones() {
        let two = "comment\n-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n\
                   between\n-----BEGIN PRIVATE KEY-----\nAwQF\n-----END PRIVATE KEY-----";
        let keys = parse_pkcs8_pems(two).unwrap();
        assert_eq!(keys, [PrivateKey(vec![0, 1, 2]), PrivateKey(vec![3, 4, 5])]);
        for (text, says) in [
            ("no block at all", "holds no PEM block"),
            ("-----BEGIN PRIVATE KEY-----\nAAEC\n", "PEM is invalid"),
            (
                "-----BEGIN PRIVATE KEY-----\nA!EC\n-----END PRIVATE KEY-----",
                "PEM is invalid",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----",
                "must be PKCS#8",
            ),
        ] {
            let err = parse_pkcs8_pems(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
