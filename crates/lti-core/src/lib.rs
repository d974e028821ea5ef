//! # lti-core
//!
//! The tool side of LTI 1.3 and LTI Advantage, in pure Rust: OIDC login
//! initiation, launch validation, the signed assertion handed to the origin
//! (the launch's claims as received, and a normalized [`view`] of them), and
//! the services an origin calls through the worker (platform access
//! tokens, AGS, NRPS, deep linking responses).
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
//!   store; the pair serves the first launch that passes every check (a
//!   token that fails one leaves it in place), atomically when the store can
//!   (a Durable Object), best effort with Workers KV (see [`login::claim_login`]).
//! - Browsers that block third-party cookies: a login that carries
//!   `lti_storage_target` also stores a random proof in the platform's
//!   storage (LTI client side postMessages); a launch without the state
//!   cookie is verified as completely, held, and forwarded only once the
//!   browser hands the proof back (see [`platform_storage`]). Without cookie
//!   and proof nothing is accepted; the person is offered a new window.
//! - Sessions without cookies: the origin receives the session id as the
//!   assertion's `session_token` claim and sends it back as `?lti_session=` or
//!   `Lti-Session:`, which the worker removes before forwarding (see
//!   [`session`]). A token beside a different cookie session is refused.
//! - One signer and one verifier for every token ([`jws`]): the payload is
//!   readable only once the signature verified, and one time rule applies,
//!   its leeway the clock skew allowed to the signer (60 s for a platform,
//!   none for the worker's own tokens). [`launch::VerifiedLaunch`],
//!   [`assertion::AssertionClaims`] and [`services::Grant`] come only out
//!   of verification: their fields are private, none is `Deserialize`.
//! - Service calls act only within the launch behind the bearer: its
//!   registration, deployment, context and granted scopes.
//! - Error messages name the failed check and never hold a token or key.

pub mod assertion;
pub mod b64;
pub mod cache;
pub mod cookies;
pub mod deployments;
pub mod dynamic_registration;
mod error;
pub mod forwarding;
pub mod html;
pub mod ids;
pub mod jwk;
pub mod jwks;
pub mod jws;
pub mod keys;
pub mod launch;
pub mod login;
pub mod platform_storage;
pub mod ports;
pub mod registration;
#[cfg(feature = "rust-crypto")]
pub mod rust_crypto;
pub mod services;
pub mod session;
pub mod view;

pub use error::{Error, ErrorKind, Result};
