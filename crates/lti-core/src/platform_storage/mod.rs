//! Launches without cookies: 1EdTech "OIDC login with LTI client side
//! postMessages" and "LTI Client Side postMessages" (platform storage).
//!
//! Browsers that block third-party cookies drop the state cookie inside the
//! LMS iframe, so the cookie can no longer bind `state` to the browser. When
//! the login carries `lti_storage_target`, the platform offers a key-value
//! store, reached by `postMessage` to a frame it names, that the tool's frame
//! can write at login and read at launch. The flow:
//!
//! 1. Login: [`page::login_page`] stores a fresh random proof under
//!    [`storage_key`]`(state)` (`lti.put_data`), then continues to the
//!    authorization endpoint as the `302` would. The login keeps only the
//!    proof's SHA-256 ([`crate::login::LoginState::platform_storage`]). The state cookie is set too.
//! 2. Launch without the cookie: the id_token is verified completely, the
//!    login taken, and the verified launch held server-side
//!    ([`held::hold_launch`], [`HELD_LAUNCH_TTL`]); [`page::proof_page`] reads
//!    the proof back (`lti.get_data`) and posts it to [`PROOF_PATH`].
//! 3. [`held::redeem_held_launch`] takes the held launch (once), compares the
//!    proof's hash in constant time, and only then gives the launch back for
//!    forwarding.
//!
//! ## Security
//! - The proof is not the `state`: `state` travels in the authorization URL
//!   and the launch form, where a proxy log or the platform may keep it. The
//!   proof only ever sits in the platform's storage (scoped to this tool's
//!   origin by the platform) and in the browser's POST to the worker.
//! - Every message is addressed to the origin of the registration's
//!   `authorization_endpoint` (the spec's `targetOrigin`), and answers are
//!   accepted only from that origin with the request's `message_id`, so no
//!   other frame on the LMS page can read or supply the proof.
//! - A held launch serves one confirmation: it is taken before the proof is
//!   compared, so a wrong proof also burns it (no guessing in a loop). "Once"
//!   is the login store's [`crate::ports::KeyValue::take`]: atomic with a
//!   Durable Object, best effort with Workers KV (as for logins).
//! - Without cookie and without platform storage nothing is accepted; the
//!   refusal offers a new top-level window ([`page::new_window_link`]), where
//!   the worker's cookies are first-party. Not `document.requestStorageAccess()`:
//!   it needs a user gesture and, in Safari, a prior top-level visit, and even
//!   once granted the launch could not be completed, since the platform's
//!   one-time id_token cannot be posted again. A new window runs a fresh login
//!   and needs no permission prompt.

pub mod held;
pub mod page;

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::login::random_token;
use crate::ports::Rng;

/// The route a proof page posts to: form fields `launch` and `proof`.
pub const PROOF_PATH: &str = "/lti/launch/proof";
/// Seconds a verified launch waits for its proof.
pub const HELD_LAUNCH_TTL: u64 = 120;
/// How long the login page waits for `lti.capabilities` (ms). Some platforms
/// never answer it; storage is then tried anyway.
pub(crate) const CAPABILITIES_TIMEOUT_MS: u32 = 1000;
/// How long a page waits for `lti.put_data` or `lti.get_data` (ms).
pub(crate) const STORAGE_TIMEOUT_MS: u32 = 2000;
/// Longest `lti_storage_target` accepted: frame names are short.
const MAX_TARGET_LEN: usize = 256;

/// The platform-storage key of the login with this `state`.
pub(crate) fn storage_key(state: &str) -> String {
    format!("lti_edge_state_{state}")
}

/// `lti_storage_target`: the name of the platform's frame that answers the
/// storage messages, or `_parent` for the tool frame's parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageTarget(String);

impl StorageTarget {
    pub fn parse(value: &str) -> Result<Self> {
        if value.len() > MAX_TARGET_LEN {
            return Err(Error::TooLarge {
                what: "lti_storage_target",
                limit: MAX_TARGET_LEN,
            });
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The random value a login stores in the platform's storage. `Debug` never
/// prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageProof(String);

impl StorageProof {
    fn mint(rng: &dyn Rng) -> Self {
        Self(random_token(rng))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StorageProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageProof([redacted])")
    }
}

/// A fresh proof, and its base64url SHA-256: what the login keeps of it.
pub(crate) fn mint_proof(rng: &dyn Rng) -> (StorageProof, String) {
    let proof = StorageProof::mint(rng);
    let hash = sha256(proof.expose());
    (proof, hash)
}

fn sha256(text: &str) -> String {
    crate::b64::encode(Sha256::digest(text.as_bytes()))
}

/// Whether `proof` hashes to `proof_sha256`. Hashes are compared in constant
/// time, so the time taken says nothing of how much of the hash matched.
pub fn proof_matches(proof: &str, proof_sha256: &str) -> bool {
    let (found, expected) = (sha256(proof), proof_sha256.as_bytes());
    found.len() == expected.len()
        && found
            .bytes()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u8);
    impl Rng for Fixed {
        fn fill(&self, dest: &mut [u8]) {
            dest.fill(self.0);
        }
    }

    #[test]
    fn the_login_keeps_the_proof_hash_and_never_the_proof() {
        let (proof, hash) = mint_proof(&Fixed(7));
        assert_eq!(proof.expose().len(), 43);
        assert_ne!(hash, proof.expose());
        assert!(proof_matches(proof.expose(), &hash));
        assert!(!proof_matches("wrong", &hash));
        assert!(!proof_matches(proof.expose(), ""));
        assert_eq!(format!("{proof:?}"), "StorageProof([redacted])");
    }

    #[test]
    fn refuses_overlong_storage_targets() {
        assert!(StorageTarget::parse(&"f".repeat(256)).is_ok());
        assert!(matches!(
            StorageTarget::parse(&"f".repeat(257)),
            Err(Error::TooLarge { .. })
        ));
    }
}
