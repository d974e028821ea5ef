//! A mock LTI 1.3 platform (LMS) for lti-edge demos and end-to-end tests, plus a demo
//! origin app. Blocking and threaded; binds to 127.0.0.1 only.
//!
//! One issuer per profile, `{base_url}/{profile}`: `a` and `b` follow the specifications;
//! `canvas`, `brightspace`, `skillstown`, `moodle` and `dynreg` behave like those real
//! platforms, quirks included (see `registry.rs`), so the worker meets them here first.
//!
//! Each issuer also hosts the LTI Advantage platform side: an OAuth 2.0 token endpoint
//! (client_credentials with a JWT client assertion), AGS 2.0 line items, scores and
//! results, NRPS 2.0 memberships, and the Deep Linking 2.0 return endpoint. Client
//! assertions and deep linking responses are verified against the worker's JWKS.
//!
//! The signing keys are committed fixtures (see `keys/README.md`): public test keys only.

mod advantage;
mod ags;
mod api;
mod canvas;
mod checks;
mod claims;
mod course;
mod deep_link;
mod directory;
mod dynreg;
mod home;
pub mod http;
mod keys;
mod launch;
mod nrps;
pub mod origin;
mod platform;
mod registry;
mod services;
mod skillstown;
mod token;
mod tool_keys;

#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;

use serde_json::Value;

pub use course::{CoursePage, PlatformStorage, IMPOSTOR_HOST, TOOL_FRAME};
pub use dynreg::{ReceivedRegistration, RegistrationMode};
pub use keys::{hs256, verify_rs256, verify_rs256_or_es256};
pub use origin::DemoOrigin;
pub use registry::{BRIGHTSPACE_TOKEN_AUDIENCE, SKILLSTOWN_AUDIENCE};

use http::Serving;
pub use platform::JwksFault;
use platform::{LaunchFields, State};

/// The key `sign_raw` signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKeyChoice {
    /// The platform's currently active (published) key.
    Active(String),
    /// A platform key by index, published or not (`("a", 1)` is the rotation key).
    Platform(String, usize),
    /// A key no platform publishes (also served at `/attacker/jwks`, for `jku` attacks).
    Attacker,
}

/// A running mock platform serving one issuer per profile, `{base_url}/{profile}`
/// (`a`, `b`, `canvas`, `brightspace`, `skillstown`, `moodle`, `dynreg`).
/// The server stops on `stop()` or when this value is dropped.
pub struct DevPlatform {
    state: Arc<State>,
    serving: Serving,
}

impl DevPlatform {
    /// Starts the server on 127.0.0.1 (`port` 0 = any free port). `tool_base` is the
    /// worker's base URL, e.g. `http://127.0.0.1:8787`.
    pub fn start(port: u16, tool_base: &str) -> io::Result<DevPlatform> {
        let serving = Serving::bind(port)?;
        let state = Arc::new(State::new(base_url(serving.port()), tool_base));
        let handler_state = Arc::clone(&state);
        serving.run(Arc::new(move |req| platform::handle(&handler_state, req)));
        Ok(DevPlatform { state, serving })
    }

    /// Stops answering; the port is released once this value is dropped.
    pub fn stop(&self) {
        self.serving.stop();
    }

    /// `http://127.0.0.1:{port}`
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The issuer of a profile (`"a"`, `"b"`, `"canvas"`...).
    pub fn issuer(&self, platform: &str) -> String {
        self.state.issuer(platform)
    }

    /// All registrations, in the KV value shape of the interface.
    pub fn registrations(&self) -> Vec<Value> {
        registry::registrations(&self.state.base_url)
    }

    /// A `wrangler kv bulk put` file for the registrations.
    pub fn kv_bulk_json(&self) -> String {
        registry::kv_bulk_json(&self.state.base_url)
    }

    /// A complete, valid launch claim set (`iat` now, `exp` in 300 s), for any profile,
    /// client and deployment (also ones the platform never made). An
    /// `LtiSubmissionReviewRequest` gets `for_user` and the AGS claim's `lineitem`.
    pub fn launch_claims(
        &self,
        platform: &str,
        client_id: &str,
        deployment_id: &str,
        message_type: &str,
        nonce: &str,
        target_link_uri: &str,
    ) -> Value {
        let fields = LaunchFields {
            client_id,
            deployment_id,
            message_type,
            nonce,
            target_link_uri,
        };
        self.state.launch_claims(platform, &fields)
    }

    /// RS256 with the platform's active key; header `{alg, typ: "JWT", kid}`.
    pub fn sign_id_token(&self, platform: &str, claims: &Value) -> String {
        self.state.sign_id_token(platform, claims)
    }

    /// RS256 over exactly this header and these claims, with the chosen key.
    pub fn sign_raw(&self, header: &Value, claims: &Value, key: SigningKeyChoice) -> String {
        self.key(&key).sign(header, claims)
    }

    /// The `kid` of a key, e.g. to put an unpublished key's kid in a forged header.
    pub fn key_id(&self, key: SigningKeyChoice) -> String {
        self.key(&key).kid().to_string()
    }

    /// The public JWK of a key (with kid, alg, use).
    pub fn public_jwk(&self, key: SigningKeyChoice) -> Value {
        self.key(&key).jwk()
    }

    /// The active key's public key as SPKI PEM.
    pub fn public_key_pem(&self, platform: &str) -> String {
        self.state.active_key(platform).public_pem()
    }

    /// Switches the platform to its next key (platform "a": the second one) and publishes
    /// only that key; returns its kid. With one key (platform "b") nothing changes.
    pub fn rotate_key(&self, platform: &str) -> String {
        self.state.rotate(platform)
    }

    /// Makes the platform's JWKS endpoint misbehave (`None`: behave again).
    pub fn set_jwks_fault(&self, platform: &str, fault: Option<JwksFault>) {
        self.state.set_jwks_fault(platform, fault);
    }

    /// How many times the platform's JWKS was served (`"attacker"` for `/attacker/jwks`).
    pub fn jwks_fetches(&self, platform: &str) -> usize {
        self.state.jwks_fetches(platform)
    }

    /// The parameters of every authorization request so far, valid or not, in order.
    pub fn authorize_requests(&self) -> Vec<Vec<(String, String)>> {
        self.state.authorize_requests()
    }

    /// How many `POST {issuer}/token` requests arrived, accepted or not.
    pub fn token_requests(&self, platform: &str) -> usize {
        self.state
            .advantage
            .with(platform, |ledger| ledger.token_requests)
    }

    /// `Some((status, error_code))`: the token endpoint answers every request with that
    /// status and `{"error": error_code, ...}` (still counted). `None` restores normal service.
    pub fn set_token_failure(&self, platform: &str, failure: Option<(u16, String)>) {
        self.state
            .advantage
            .with(platform, |ledger| ledger.token_failure = failure);
    }

    /// `expires_in` of access tokens issued from now on (default 3600 s).
    pub fn set_token_expires_in(&self, platform: &str, seconds: u64) {
        self.state
            .advantage
            .with(platform, |ledger| ledger.expires_in = seconds);
    }

    /// Every access token issued so far expires now (the services answer `401`).
    pub fn expire_tokens(&self, platform: &str) {
        self.state.advantage.expire_tokens(platform);
    }

    /// Every accepted score, in order: `(line item URL, score JSON as posted)`.
    pub fn scores(&self, platform: &str) -> Vec<(String, Value)> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.scores.clone())
    }

    /// Every AGS/NRPS request, answered or refused, in order:
    /// `(method, path and query, Content-Type, Accept)`.
    pub fn service_requests(
        &self,
        platform: &str,
    ) -> Vec<(String, String, Option<String>, Option<String>)> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.service_log.clone())
    }

    /// The claims of every verified deep linking response (both platforms), in order.
    pub fn deep_link_responses(&self) -> Vec<Value> {
        self.state.advantage.deep_links()
    }

    /// `(header, claims)` of the latest client assertion sent to the token endpoint,
    /// decoded whether or not it was accepted.
    pub fn last_client_assertion(&self, platform: &str) -> Option<(Value, Value)> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.last_assertion.clone())
    }

    fn key(&self, choice: &SigningKeyChoice) -> &'static keys::KeyPair {
        match choice {
            SigningKeyChoice::Active(platform) => self.state.active_key(platform),
            SigningKeyChoice::Platform(platform, index) => keys::platform_keys(platform)
                .and_then(|keys| keys.get(*index))
                .unwrap_or_else(|| panic!("no key {index} on platform {platform:?}")),
            SigningKeyChoice::Attacker => keys::attacker_key(),
        }
    }
}

fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// The `wrangler kv bulk put` file for a platform that is (or will be) on `port`,
/// without starting it.
pub fn kv_bulk_json_for_port(port: u16) -> String {
    registry::kv_bulk_json(&base_url(port))
}
