//! The worker's public keys, fetched from its JWKS: what client assertions and deep
//! linking responses are verified against.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::keys::{decode_segment, verify_rs256};
use crate::platform::lock;

/// The worker's JWK Set, cached and fetched again when a token names an unknown `kid`
/// (the worker may have created or rotated its key since).
pub(crate) struct ToolKeys {
    tool_base: String,
    cached: Mutex<Option<Value>>,
}

impl ToolKeys {
    pub fn new(tool_base: &str) -> ToolKeys {
        ToolKeys {
            tool_base: tool_base.to_string(),
            cached: Mutex::default(),
        }
    }

    /// Checks the RS256 signature by `kid`; returns `(header, claims)`.
    pub fn verify(&self, token: &str) -> Result<(Value, Value), String> {
        let header = decode_segment(token, 0)?;
        let kid = header["kid"].as_str().ok_or("header: no kid")?;
        let jwks = self.set_with(kid)?;
        verify_rs256(token, &jwks)
    }

    /// The cached set if it knows `kid`, else a fresh one (never held locked while fetching).
    fn set_with(&self, kid: &str) -> Result<Value, String> {
        let cached = lock(&self.cached).clone();
        if let Some(set) = cached.filter(|set| has_kid(set, kid)) {
            return Ok(set);
        }
        let fresh = fetch_jwks(&self.tool_base)?;
        *lock(&self.cached) = Some(fresh.clone());
        Ok(fresh)
    }
}

fn has_kid(jwks: &Value, kid: &str) -> bool {
    jwks["keys"]
        .as_array()
        .is_some_and(|keys| keys.iter().any(|key| key["kid"] == kid))
}

/// `GET {tool_base}/.well-known/jwks.json`, as JSON.
pub(crate) fn fetch_jwks(tool_base: &str) -> Result<Value, String> {
    let url = format!("{tool_base}/.well-known/jwks.json");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let body = agent
        .get(&url)
        .call()
        .map_err(|e| format!("JWKS fetch failed: {e}"))?
        .into_string()
        .map_err(|e| format!("reading {url}: {e}"))?;
    serde_json::from_str(&body).map_err(|e| format!("{url} is not JSON: {e}"))
}
