//! An axum extractor for lti-edge's `Lti-Jwt-Assertion`: `jsonwebtoken` checks the
//! signature and claims against the worker's JWK Set, which is cached here.
#![allow(dead_code)] // the view's members are there for your handlers

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{StatusCode, request::Parts};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde::Deserialize;
use serde_json::Value;

const ALLOWED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// The verified assertion: the normalized view, and the raw `lti` claim.
#[derive(Debug, Deserialize)]
pub struct Assertion {
    pub user: User,
    pub services: Services,
    pub message_type: String,
    pub lti: Value,
    /// The assertion itself: the bearer for the worker's services.
    #[serde(skip)]
    pub token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub role_uris: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Services {
    pub grades: bool,
    pub line_items: bool,
    pub roster: bool,
    pub deep_linking: bool,
}

/// The worker's issuer and JWK Set, and the origin's audience; shared app state.
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

struct Inner {
    worker_url: String,
    audience: String,
    jwks: Mutex<(JwkSet, Option<Instant>)>,
}

impl Verifier {
    pub fn new(worker_url: &str, audience: &str) -> Self {
        Self(Arc::new(Inner {
            worker_url: worker_url.trim_end_matches('/').to_owned(),
            audience: audience.to_owned(),
            jwks: Mutex::new((JwkSet { keys: vec![] }, None)),
        }))
    }

    pub fn worker_url(&self) -> &str {
        &self.0.worker_url
    }

    pub async fn verify(&self, token: &str) -> Result<Assertion, String> {
        let header = decode_header(token).map_err(|e| format!("malformed: {e}"))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(format!("alg {:?} is not allowed", header.alg));
        }
        let key = self.key(&header.kid.ok_or("no kid")?).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.0.worker_url]);
        validation.set_audience(&[&self.0.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = 30; // seconds of clock skew allowed on exp
        let claims = decode::<Value>(token, &key, &validation).map_err(|e| e.to_string())?;
        if !claims.claims["iat"].is_number() {
            return Err("missing required claim iat".into());
        }
        let mut assertion: Assertion =
            serde_json::from_value(claims.claims).map_err(|e| format!("claims: {e}"))?;
        assertion.token = token.to_owned();
        Ok(assertion)
    }

    /// The key named `kid`; an unknown kid refetches the JWK Set, at most every 30 s.
    async fn key(&self, kid: &str) -> Result<DecodingKey, String> {
        let stale = {
            let (set, fetched) = &*self.0.jwks.lock().unwrap();
            if let Some(jwk) = set.find(kid) {
                return DecodingKey::from_jwk(jwk).map_err(|e| e.to_string());
            }
            fetched.is_none_or(|at| at.elapsed() > Duration::from_secs(30))
        };
        if stale {
            let url = format!("{}/.well-known/jwks.json", self.0.worker_url);
            let set = tokio::task::spawn_blocking(move || fetch_json::<JwkSet>(&url))
                .await
                .map_err(|e| e.to_string())??;
            *self.0.jwks.lock().unwrap() = (set, Some(Instant::now()));
        }
        let (set, _) = &*self.0.jwks.lock().unwrap();
        let jwk = set.find(kid).ok_or(format!("unknown kid {kid}"))?;
        DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())
    }
}

fn fetch_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    ureq::get(url)
        .config()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .call()
        .and_then(|mut reply| reply.body_mut().read_json())
        .map_err(|e| format!("fetching {url}: {e}"))
}

/// Handlers take an `Assertion` argument; without a valid one they never run (401).
impl<S: Send + Sync> FromRequestParts<S> for Assertion
where
    Verifier: FromRef<S>,
{
    type Rejection = (StatusCode, String);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let unauthorized = |why: String| {
            (
                StatusCode::UNAUTHORIZED,
                format!("invalid assertion: {why}"),
            )
        };
        let token = parts
            .headers
            .get("lti-jwt-assertion")
            .ok_or_else(|| unauthorized("none".into()))?;
        let token = token.to_str().map_err(|e| unauthorized(e.to_string()))?;
        Verifier::from_ref(state)
            .verify(token)
            .await
            .map_err(unauthorized)
    }
}
