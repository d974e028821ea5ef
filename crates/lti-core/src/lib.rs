//! # lti-core
//!
//! The tool side of LTI 1.3: OIDC login initiation, launch validation and the
//! signed assertion handed to the origin, in pure Rust.
//!
//! ## Design
//! The core does no I/O of its own. The runtime supplies [`ports`]: a
//! key-value store, an HTTP client, RS256 crypto, randomness and the current
//! time, read once per request. Requests are built and responses parsed by
//! pure functions; the async glue between them is a few lines. The same code
//! runs natively in tests and as wasm in a Cloudflare Worker.
//!
//! ## Security
//! - id_tokens: RS256 only, whatever `alg` says; keys only from the
//!   registration's `jwks_uri` (`jku`, `x5u`, `jwk`, `x5c` are never followed);
//!   RSA keys under 2048 bits are refused.
//! - `state` is bound to the browser by a cookie and to its `nonce` in the
//!   store; the pair is consumed on first use. With Workers KV the deletion
//!   reaches other locations only eventually (see [`login::consume_login`]).
//! - Error messages name the failed check and never hold a token or key.

pub mod assertion;
pub mod b64;
pub mod cache;
pub mod cookies;
pub mod error;
pub mod jwks;
pub mod jws;
pub mod keys;
pub mod launch;
pub mod login;
pub mod ports;
pub mod registration;
#[cfg(feature = "rust-crypto")]
pub mod rust_crypto;
pub mod services;
pub mod session;

pub use error::{Error, ErrorKind, Result};
