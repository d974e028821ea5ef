//! The core's only contact with the world: small traits the runtime implements.
//! No `Send` bounds, because workers-rs futures are `!Send`.
#![allow(async_fn_in_trait)]

use std::fmt;
use std::rc::Rc;

use crate::cache::MemoryCache;
/// Callers name `ports::Alg`; it lives in [`crate::jwk`], a leaf module.
pub use crate::jwk::Alg;
use crate::jwk::PublicJwk;

/// A key-value store with per-entry expiry (Workers KV, or memory in tests).
pub trait KeyValue {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError>;
    /// `ttl` in seconds; `None` keeps the entry until deleted.
    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError>;
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// An entry read through `parse`. Caching stores keep the parsed value,
    /// so a warm isolate parses each entry once.
    async fn get_parsed<T: 'static, E: From<StorageError>>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<Rc<T>>, E> {
        match self.get(key).await? {
            Some(text) => Ok(Some(Rc::new(parse(&text)?))),
            None => Ok(None),
        }
    }
    /// Reads an entry for one caller at a time. A store that can (a Durable
    /// Object) marks it claimed in the same step, so that no other claim
    /// sees it until it is released or deleted. This default is a plain read.
    async fn claim(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.get(key).await
    }
    /// Gives back a claimed entry; nothing to do for a plain read.
    async fn release(&self, _key: &str) -> Result<(), StorageError> {
        Ok(())
    }
    /// Reads and removes an entry. This default (get, then delete) is not
    /// atomic: two concurrent takes may both see the value. Stores that can
    /// take atomically override it.
    async fn take(&self, key: &str) -> Result<Option<String>, StorageError> {
        get_then_delete(self, key).await
    }
    /// Keys starting with `prefix`, at most `limit` of them.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError>;
}

/// The non-atomic take: read, then delete what was read. The default of
/// [`KeyValue::take`], and what a store that only sometimes can do better uses.
pub async fn get_then_delete<K: KeyValue + ?Sized>(
    store: &K,
    key: &str,
) -> Result<Option<String>, StorageError> {
    let value = store.get(key).await?;
    if value.is_some() {
        store.delete(key).await?;
    }
    Ok(value)
}

/// An outgoing HTTP exchange. Requests are built and responses parsed by pure
/// functions; this trait is the thin glue between them.
pub trait HttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// Signatures, so the runtime can use native crypto (WebCrypto) while native
/// tests use pure Rust.
pub trait Crypto {
    /// Verifies a signature with `key`: RS256 with an RSA key, ES256 (`r || s`,
    /// 64 bytes) with a P-256 key.
    async fn verify(
        &self,
        alg: Alg,
        key: &PublicJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError>;
    /// Signs with `key`, an RSA key for RS256 or a P-256 key for ES256.
    async fn sign(
        &self,
        alg: Alg,
        key: &PrivateKey,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;
    /// A fresh key pair for `alg`: RSA-2048 or P-256.
    async fn generate(&self, alg: Alg) -> Result<PrivateKey, CryptoError>;
    /// The public half of `key`, an RSA or a P-256 key.
    async fn public_jwk(&self, key: &PrivateKey) -> Result<PublicJwk, CryptoError>;
}

/// A cryptographically secure random source.
pub trait Rng {
    fn fill(&self, dest: &mut [u8]);
}

/// A PKCS#8 DER private key. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(pub Vec<u8>);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StorageError(pub String);

#[derive(Debug, thiserror::Error)]
#[error("http: {0}")]
pub struct HttpError(pub String);

#[derive(Debug, thiserror::Error)]
#[error("crypto: {0}")]
pub struct CryptoError(pub String);

/// The runtime's implementations of the ports, named once: flows are
/// generic over one `R: Runtime` rather than over each port.
pub trait Runtime {
    type Store: KeyValue;
    type Http: HttpClient;
    type Crypto: Crypto;
}

/// Everything a flow needs from the runtime, for one request.
pub struct Ports<'a, R: Runtime> {
    /// Platform registrations (`PLATFORMS`).
    pub platforms: &'a R::Store,
    /// Platform keys, the tool's own keys, access tokens and sessions.
    pub store: &'a R::Store,
    /// Logins (`state` and `nonce`), taken once at launch.
    pub logins: &'a R::Store,
    pub http: &'a R::Http,
    pub crypto: &'a R::Crypto,
    pub rng: &'a dyn Rng,
    /// Survives between requests on one isolate.
    pub cache: &'a MemoryCache,
    /// Unix seconds, read once per request.
    pub now: u64,
}
