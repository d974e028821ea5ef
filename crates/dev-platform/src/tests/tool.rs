//! A stand-in worker for the LTI Advantage tests: publishes a swappable JWKS and signs
//! client assertions and deep linking responses with fixture keys, like lti-edge would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::{agent, send};
use crate::claims::now;
use crate::http::{Reply, Serving};
use crate::keys::{self, KeyPair};
use crate::platform::lock;
use crate::{DevPlatform, BRIGHTSPACE_TOKEN_AUDIENCE};

/// The worker's key: platform a's rotation key, which platform a does not publish at start.
pub(super) fn tool_key() -> &'static KeyPair {
    &keys::platform_keys("a").expect("platform a")[1]
}

/// A second worker key, for key changes.
pub(super) fn other_tool_key() -> &'static KeyPair {
    &keys::platform_keys("b").expect("platform b")[0]
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(super) struct Tool {
    pub platform: DevPlatform,
    jwks: Arc<Mutex<Value>>,
    serving: Serving,
}

impl Tool {
    /// The fake worker, and a dev platform whose `tool_base` it is.
    pub fn start() -> Tool {
        let jwks = Arc::new(Mutex::new(json!({"keys": [tool_key().jwk()]})));
        let served = Arc::clone(&jwks);
        let serving = Serving::bind(0).expect("tool binds");
        serving.run(Arc::new(move |req| match req.path.as_str() {
            "/.well-known/jwks.json" => Reply::json(lock(&served).to_string()),
            _ => Reply::not_found(),
        }));
        let tool_base = format!("http://127.0.0.1:{}", serving.port());
        let platform = DevPlatform::start(0, &tool_base).expect("platform starts");
        Tool {
            platform,
            jwks,
            serving,
        }
    }

    /// Publishes exactly these keys from now on.
    pub fn publish(&self, keys: &[&KeyPair]) {
        let jwks: Vec<Value> = keys.iter().map(|key| key.jwk()).collect();
        *lock(&self.jwks) = json!({ "keys": jwks });
    }

    /// The stand-in worker's base URL (the platform's `tool_base`).
    pub fn worker_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.serving.port())
    }

    pub fn url(&self, platform: &str, path: &str) -> String {
        format!("{}{path}", self.platform.issuer(platform))
    }

    /// A valid client assertion claim set for `client_id` at the platform's token endpoint
    /// (Brightspace: its documented audience instead of the endpoint URL).
    pub fn assertion_claims(&self, platform: &str, client_id: &str) -> Value {
        let iat = now();
        let aud = match platform {
            "brightspace" => BRIGHTSPACE_TOKEN_AUDIENCE.to_string(),
            _ => self.url(platform, "/token"),
        };
        json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "iat": iat,
            "exp": iat + 300,
            "jti": unique("jti"),
        })
    }

    /// POSTs the form to the token endpoint: `(status, JSON body)`.
    pub fn request_token(&self, platform: &str, fields: &[(&str, String)]) -> (u16, Value) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = send(agent().post(&self.url(platform, "/token")), Some(&fields));
        json_of(response)
    }

    /// A fresh access token of the profile's first client (tool-a1 on platform a) with
    /// these scopes.
    pub fn access_token(&self, platform: &str, scope: &str) -> String {
        let clients = self.platform.clients(platform);
        let client_id = &clients.first().expect("the profile has a client").0;
        self.access_token_of(platform, client_id, scope)
    }

    /// A fresh access token of `client_id` with these scopes.
    pub fn access_token_of(&self, platform: &str, client_id: &str, scope: &str) -> String {
        let assertion = sign(tool_key(), &self.assertion_claims(platform, client_id));
        let (status, body) = self.request_token(platform, &token_form(&assertion, scope));
        assert_eq!(status, 200, "token request failed: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }
}

/// RS256 with the header lti-edge would send.
pub(super) fn sign(key: &KeyPair, claims: &Value) -> String {
    key.sign(
        &json!({"alg": "RS256", "typ": "JWT", "kid": key.kid()}),
        claims,
    )
}

/// The client_credentials form body.
pub(super) fn token_form(assertion: &str, scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_assertion_type", JWT_BEARER.to_string()),
        ("client_assertion", assertion.to_string()),
        ("scope", scope.to_string()),
    ]
}

pub(super) fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

/// `(status, body as JSON)`; `Null` for an empty body.
pub(super) fn json_of(response: ureq::Response) -> (u16, Value) {
    let status = response.status();
    let text = response.into_string().expect("body reads");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

/// One service request with an optional bearer and an optional `(Content-Type, body)`.
pub(super) fn call_service(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> ureq::Response {
    call_service_accepting("application/json", method, url, token, body)
}

/// `call_service` with this `Accept`.
pub(super) fn call_service_accepting(
    accept: &str,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> ureq::Response {
    let mut request = agent().request(method, url).set("Accept", accept);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let result = match body {
        Some((content_type, body)) => request.set("Content-Type", content_type).send_string(body),
        None => request.call(),
    };
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}
