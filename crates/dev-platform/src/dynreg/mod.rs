//! The platform side of 1EdTech LTI Dynamic Registration 1.0 on the `dynreg` profile:
//! `GET {issuer}/.well-known/openid-configuration` and `POST {issuer}/register`.
//!
//! A registration that passes every check becomes a client of the profile at once (its
//! launch row appears on the home page, the token endpoint knows it), as on a real
//! platform where the administrator's click is the whole install.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::directory::KnownClient;
use crate::http::{encode_query, Incoming, Reply};
use crate::platform::{lock, State};

mod config;
mod validate;

pub(crate) use config::SCOPES_SUPPORTED;

/// The profile that hosts Dynamic Registration.
pub(crate) const PROFILE: &str = "dynreg";
const TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";

/// How the registration side behaves; settable from tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationMode {
    /// The platform issued this registration token: both the configuration fetch and the
    /// registration must carry it as `Authorization: Bearer` (`401` otherwise).
    WithToken(String),
    /// No registration token (Brightspace): neither request needs a bearer.
    NoToken,
    /// The registration endpoint refuses, Canvas style: `422 {"errors": [{"message"}]}`.
    Fail,
    /// The configuration names its issuer on another host (`localhost`).
    IssuerMismatch,
    /// Registers, but answers without a `deployment_id` in the tool configuration.
    NoDeploymentId,
}

/// One `POST {issuer}/register` as received, accepted or not.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRegistration {
    /// The `Authorization: Bearer` token, if one was sent.
    pub bearer: Option<String>,
    /// The body as JSON (a JSON string holding the raw text when it was not JSON).
    pub body: Value,
    /// The client_id assigned, when the registration was accepted.
    pub client_id: Option<String>,
}

pub(crate) struct DynReg {
    /// The token every mode but `WithToken` and `NoToken` expects: random per start,
    /// like a real platform's, so no test can depend on a guessed value.
    default_token: String,
    mode: Mutex<RegistrationMode>,
    config_requests: Mutex<Vec<Option<String>>>,
    received: Mutex<Vec<ReceivedRegistration>>,
    registered: AtomicUsize,
}

impl DynReg {
    pub fn new(default_token: String) -> DynReg {
        DynReg {
            mode: Mutex::new(RegistrationMode::WithToken(default_token.clone())),
            default_token,
            config_requests: Mutex::default(),
            received: Mutex::default(),
            registered: AtomicUsize::new(0),
        }
    }

    pub fn set_mode(&self, mode: RegistrationMode) {
        *lock(&self.mode) = mode;
    }

    pub fn mode(&self) -> RegistrationMode {
        lock(&self.mode).clone()
    }

    /// The bearer the platform expects, `None` when it issued no token.
    pub fn token(&self) -> Option<String> {
        match self.mode() {
            RegistrationMode::WithToken(token) => Some(token),
            RegistrationMode::NoToken => None,
            _ => Some(self.default_token.clone()),
        }
    }

    pub fn config_requests(&self) -> Vec<Option<String>> {
        lock(&self.config_requests).clone()
    }

    pub fn received(&self) -> Vec<ReceivedRegistration> {
        lock(&self.received).clone()
    }
}

impl State {
    pub fn openid_configuration_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer(PROFILE))
    }

    /// What the "Register the tool" button opens; `None` without a registration secret.
    pub fn registration_url(&self) -> Option<String> {
        let secret = lock(&self.registration_secret).clone()?;
        let mut query = vec![("openid_configuration", self.openid_configuration_url())];
        if let Some(token) = self.dynreg.token() {
            query.push(("registration_token", token));
        }
        let base = &self.tool_base;
        Some(format!(
            "{base}/lti/register/{secret}?{}",
            encode_query(&query)
        ))
    }
}

/// The bearer of a request, if any.
fn bearer(req: &Incoming) -> Option<String> {
    let value = req.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// `401` unless the request carries the token the platform issued (if it issued one).
fn check_bearer(state: &State, sent: Option<&str>) -> Result<(), Reply> {
    match (state.dynreg.token(), sent) {
        (None, _) => Ok(()),
        (Some(expected), Some(sent)) if sent == expected => Ok(()),
        (Some(_), sent) => {
            let reason = match sent {
                None => "a registration token is required",
                Some(_) => "the registration token is not valid",
            };
            let body = json!({"error": "invalid_token", "error_description": reason});
            Err(Reply::typed(401, "application/json", body.to_string())
                .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\""))
        }
    }
}

/// `GET {issuer}/.well-known/openid-configuration`.
pub(crate) fn configuration(state: &State, req: &Incoming) -> Reply {
    state.advantage.record_user_agent(PROFILE, req);
    let sent = bearer(req);
    lock(&state.dynreg.config_requests).push(sent.clone());
    if let Err(reply) = check_bearer(state, sent.as_deref()) {
        return reply;
    }
    let mismatch = state.dynreg.mode() == RegistrationMode::IssuerMismatch;
    Reply::json(config::configuration(state, mismatch).to_string())
}

/// `POST {issuer}/register`: checks, records, and answers the registration.
pub(crate) fn register(state: &State, req: &Incoming) -> Reply {
    state.advantage.record_user_agent(PROFILE, req);
    let sent = bearer(req);
    let body = serde_json::from_str(&req.body).unwrap_or_else(|_| json!(req.body));
    let index = {
        let mut received = lock(&state.dynreg.received);
        received.push(ReceivedRegistration {
            bearer: sent.clone(),
            body: body.clone(),
            client_id: None,
        });
        received.len() - 1
    };
    match accept(state, req, sent.as_deref(), &body) {
        Ok(answer) => {
            let client_id = answer["client_id"].as_str().map(str::to_string);
            lock(&state.dynreg.received)[index].client_id = client_id;
            Reply::json(answer.to_string())
        }
        Err(reply) => reply,
    }
}

fn accept(state: &State, req: &Incoming, sent: Option<&str>, body: &Value) -> Result<Value, Reply> {
    check_bearer(state, sent)?;
    if state.dynreg.mode() == RegistrationMode::Fail {
        let message = "The developer key could not be created: LTI registrations are disabled \
                       for this account";
        let body = json!({"errors": [{"message": message}]});
        return Err(Reply::typed(422, "application/json", body.to_string()));
    }
    let invalid = |description: String| {
        let body = json!({"error": "invalid_client_metadata", "error_description": description});
        Reply::typed(400, "application/json", body.to_string())
    };
    if req.media_type().as_deref() != Some("application/json") {
        return Err(invalid("Content-Type must be application/json".into()));
    }
    validate::check_registration(body, &state.tool_base).map_err(invalid)?;
    Ok(install(state, body))
}

/// Creates the client (and its deployment) and builds the answer: the registration
/// echoed with `client_id` and the tool configuration's `deployment_id`.
fn install(state: &State, body: &Value) -> Value {
    let n = state.dynreg.registered.fetch_add(1, Ordering::SeqCst) + 1;
    let client_id = format!("dynreg-client-{n}");
    let deployment_id = format!("dynreg-dep-{n}");
    // The platform makes the deployment either way; it just may not say so.
    state.directory.add_client(
        PROFILE,
        KnownClient {
            client_id: client_id.clone(),
            deployments: vec![deployment_id.clone()],
        },
    );
    let mut answer = body.clone();
    answer["client_id"] = json!(client_id);
    if state.dynreg.mode() != RegistrationMode::NoDeploymentId {
        answer[TOOL_CONFIGURATION]["deployment_id"] = json!(deployment_id);
    }
    answer
}
