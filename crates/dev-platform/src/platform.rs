//! The platform side: shared state and the HTTP routes of both issuers.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::advantage::Advantage;
use crate::claims::{self, Launch, DEEP_LINKING, USER_ID};
use crate::http::{auto_post_form, encode_query, escape, page, param, Incoming, Reply};
use crate::keys::{self, KeyPair};
use crate::registry::{self, Client, PLATFORMS};
use crate::{deep_link, services, token};

const RESOURCE_LINK: &str = "LtiResourceLinkRequest";

pub(crate) type Params = Vec<(String, String)>;

/// Everything the routes and the test API share.
pub(crate) struct State {
    pub base_url: String,
    pub tool_base: String,
    /// Index of the active key per platform (absent = 0).
    active: Mutex<HashMap<String, usize>>,
    jwks_fetches: Mutex<HashMap<String, usize>>,
    /// A misbehaviour of the JWKS endpoint per platform, for fault tests.
    jwks_faults: Mutex<HashMap<String, JwksFault>>,
    authorize_log: Mutex<Vec<Params>>,
    /// Tokens, services and deep linking (LTI Advantage).
    pub advantage: Advantage,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not wedge the mock for the others.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    pub fn new(base_url: String, tool_base: &str) -> State {
        let tool_base = tool_base.trim_end_matches('/').to_string();
        State {
            advantage: Advantage::new(&base_url, &tool_base),
            base_url,
            tool_base,
            active: Mutex::default(),
            jwks_fetches: Mutex::default(),
            jwks_faults: Mutex::default(),
            authorize_log: Mutex::default(),
        }
    }

    pub fn issuer(&self, platform: &str) -> String {
        registry::issuer(&self.base_url, platform)
    }

    pub fn active_key(&self, platform: &str) -> &'static KeyPair {
        let keys = platform_keys(platform);
        let index = lock(&self.active).get(platform).copied().unwrap_or(0);
        &keys[index]
    }

    /// Moves to the platform's next key (wrapping); returns its kid.
    pub fn rotate(&self, platform: &str) -> String {
        let count = platform_keys(platform).len();
        let mut active = lock(&self.active);
        let index = active.entry(platform.to_string()).or_insert(0);
        *index = (*index + 1) % count;
        drop(active);
        self.active_key(platform).kid().to_string()
    }

    pub fn set_jwks_fault(&self, platform: &str, fault: Option<JwksFault>) {
        let mut faults = lock(&self.jwks_faults);
        match fault {
            Some(fault) => faults.insert(platform.to_string(), fault),
            None => faults.remove(platform),
        };
    }

    pub fn jwks_fetches(&self, platform: &str) -> usize {
        lock(&self.jwks_fetches).get(platform).copied().unwrap_or(0)
    }

    pub fn authorize_requests(&self) -> Vec<Params> {
        lock(&self.authorize_log).clone()
    }

    pub fn launch_claims(&self, platform: &str, fields: &LaunchFields<'_>) -> Value {
        let issuer = self.issuer(platform);
        claims::launch_claims(&Launch {
            platform,
            issuer: &issuer,
            client_id: fields.client_id,
            deployment_id: fields.deployment_id,
            message_type: fields.message_type,
            nonce: fields.nonce,
            target_link_uri: fields.target_link_uri,
        })
    }

    pub fn sign_id_token(&self, platform: &str, claims: &Value) -> String {
        let key = self.active_key(platform);
        key.sign(
            &json!({"alg": "RS256", "typ": "JWT", "kid": key.kid()}),
            claims,
        )
    }

    fn default_target(&self, message_type: &str) -> String {
        let path = if message_type == DEEP_LINKING {
            "deep-link/picker"
        } else {
            "course/welcome"
        };
        format!("{}/{path}", self.tool_base)
    }
}

/// The per-launch inputs of `launch_claims`, besides the platform.
pub(crate) struct LaunchFields<'a> {
    pub client_id: &'a str,
    pub deployment_id: &'a str,
    pub message_type: &'a str,
    pub nonce: &'a str,
    pub target_link_uri: &'a str,
}

/// Panics on an unknown platform: callers of the test API name "a" or "b".
fn platform_keys(platform: &str) -> &'static [KeyPair] {
    keys::platform_keys(platform)
        .unwrap_or_else(|| panic!("unknown platform {platform:?} (expected \"a\" or \"b\")"))
}

/// The opaque `lti_message_hint`: what the authorize step needs to rebuild the launch.
#[derive(Serialize, Deserialize)]
struct MessageHint {
    client_id: String,
    deployment_id: String,
    message_type: String,
    target_link_uri: String,
}

impl MessageHint {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("hint serializes"))
    }

    fn decode(text: &str) -> Option<MessageHint> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

pub(crate) fn handle(state: &State, req: &Incoming) -> Reply {
    let path = req.path.trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", [""]) => home(state),
        ("GET", ["attacker", "jwks"]) => jwks(state, "attacker", keys::attacker_key()),
        (_, [platform, rest @ ..]) if registry::clients_of(platform).is_some() => {
            platform_route(state, req, platform, rest)
        }
        _ => Reply::not_found(),
    }
}

fn platform_route(state: &State, req: &Incoming, platform: &str, rest: &[&str]) -> Reply {
    match (req.method.as_str(), rest) {
        ("GET", ["start"]) => start(state, platform, &req.query),
        ("GET" | "POST", ["authorize"]) => authorize(state, platform, req.params()),
        ("GET", ["jwks"]) => jwks(state, platform, state.active_key(platform)),
        ("POST", ["token"]) => token::token(state, platform, req),
        ("POST", ["deep-link-return"]) => deep_link::deep_link_return(state, platform, req),
        (_, ["lineitems" | "memberships", ..]) => services::handle(state, req, platform, rest),
        _ => Reply::not_found(),
    }
}

/// Only the active key is published, so a rotation really retires the old one.
fn jwks(state: &State, counter: &str, key: &KeyPair) -> Reply {
    *lock(&state.jwks_fetches)
        .entry(counter.to_string())
        .or_insert(0) += 1;
    let fault = lock(&state.jwks_faults).get(counter).copied();
    match fault {
        Some(JwksFault::Down) => return Reply::text(503, "maintenance"),
        Some(JwksFault::Garbage) => return Reply::html(200, "<html>not a key set</html>".into()),
        Some(JwksFault::Oversized) => {
            let padding = "x".repeat(5 * 1024 * 1024);
            return Reply::json(json!({"keys": [key.jwk()], "padding": padding}).to_string());
        }
        Some(JwksFault::Redirect) => {
            return Reply::redirect("http://127.0.0.1:9/moved-jwks".into())
        }
        Some(JwksFault::Slow(seconds)) => {
            std::thread::sleep(std::time::Duration::from_secs(seconds))
        }
        None => {}
    }
    Reply::json(json!({"keys": [key.jwk()]}).to_string())
        .with_header("Cache-Control", "max-age=300")
}

/// Ways the JWKS endpoint can misbehave on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksFault {
    /// `503`.
    Down,
    /// A `200` that is not a JWK Set.
    Garbage,
    /// A valid set padded past any sane size.
    Oversized,
    /// The valid set, after this many seconds.
    Slow(u64),
    /// A `302` elsewhere (a moved endpoint, or one turned to plain http).
    Redirect,
}

/// Third-party login initiation towards the tool.
fn start(state: &State, platform: &str, query: &[(String, String)]) -> Reply {
    let (Some(client_id), Some(deployment_id)) =
        (param(query, "client_id"), param(query, "deployment_id"))
    else {
        return Reply::text(400, "start: client_id and deployment_id are required\n");
    };
    let message_type = param(query, "message_type").unwrap_or(RESOURCE_LINK);
    let target_link_uri = param(query, "target_link_uri")
        .map_or_else(|| state.default_target(message_type), str::to_string);
    let hint = MessageHint {
        client_id: client_id.to_string(),
        deployment_id: deployment_id.to_string(),
        message_type: message_type.to_string(),
        target_link_uri: target_link_uri.clone(),
    };
    let fields = [
        ("iss", state.issuer(platform)),
        ("login_hint", USER_ID.to_string()),
        ("target_link_uri", target_link_uri),
        ("lti_message_hint", hint.encode()),
        ("client_id", client_id.to_string()),
        ("lti_deployment_id", deployment_id.to_string()),
    ];
    let login = format!("{}/lti/login", state.tool_base);
    if param(query, "method") == Some("post") {
        Reply::html(200, auto_post_form("Starting LTI launch", &login, &fields))
    } else {
        Reply::redirect(format!("{login}?{}", encode_query(&fields)))
    }
}

/// OIDC authorization endpoint: checks the request, answers with a signed launch.
fn authorize(state: &State, platform: &str, params: Params) -> Reply {
    lock(&state.authorize_log).push(params.clone());
    match check_authorize(state, platform, &params) {
        Ok(request) => Reply::html(200, launch_form(state, platform, &request)),
        Err(failure) => Reply::text(400, format!("invalid authorization request: {failure}\n")),
    }
}

/// The parts of a valid authorization request the launch is built from.
struct AuthorizeRequest<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    hint: MessageHint,
    nonce: &'a str,
    state: &'a str,
}

fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    param(params, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name}: missing"))
}

fn check_fixed(params: &[(String, String)]) -> Result<(), String> {
    let fixed = [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
    ];
    for (name, expected) in fixed {
        let value = required(params, name)?;
        if value != expected {
            return Err(format!("{name}: expected {expected:?}, got {value:?}"));
        }
    }
    Ok(())
}

fn check_authorize<'a>(
    state: &State,
    platform: &str,
    params: &'a [(String, String)],
) -> Result<AuthorizeRequest<'a>, String> {
    check_fixed(params)?;
    let client_id = required(params, "client_id")?;
    let registered = registry::clients_of(platform)
        .unwrap_or_default()
        .iter()
        .any(|(id, _)| *id == client_id);
    if !registered {
        return Err(format!("client_id: {client_id:?} is not registered here"));
    }
    let redirect_uri = required(params, "redirect_uri")?;
    let expected = format!("{}/lti/launch", state.tool_base);
    if redirect_uri != expected {
        return Err(format!(
            "redirect_uri: expected {expected:?}, got {redirect_uri:?}"
        ));
    }
    if required(params, "login_hint")? != USER_ID {
        return Err("login_hint: unknown user".into());
    }
    let hint = check_hint(required(params, "lti_message_hint")?, client_id)?;
    Ok(AuthorizeRequest {
        client_id,
        redirect_uri,
        hint,
        nonce: required(params, "nonce")?,
        state: required(params, "state")?,
    })
}

fn check_hint(text: &str, client_id: &str) -> Result<MessageHint, String> {
    let hint = MessageHint::decode(text).ok_or("lti_message_hint: not decodable")?;
    if hint.client_id != client_id {
        return Err("lti_message_hint: issued for another client_id".into());
    }
    Ok(hint)
}

fn launch_form(state: &State, platform: &str, request: &AuthorizeRequest<'_>) -> String {
    let claims = state.launch_claims(
        platform,
        &LaunchFields {
            client_id: request.client_id,
            deployment_id: &request.hint.deployment_id,
            message_type: &request.hint.message_type,
            nonce: request.nonce,
            target_link_uri: &request.hint.target_link_uri,
        },
    );
    let fields = [
        ("id_token", state.sign_id_token(platform, &claims)),
        ("state", request.state.to_string()),
    ];
    auto_post_form("Launching tool", request.redirect_uri, &fields)
}

fn home(state: &State) -> Reply {
    let sections: String = PLATFORMS
        .iter()
        .map(|(platform, clients)| platform_section(state, platform, clients))
        .collect();
    let body = format!(
        "<h1>lti-edge dev platform</h1>\n<p class=\"muted\">A mock LMS with two issuers. \
         Tool under test: <code>{}</code></p>\n{sections}",
        escape(&state.tool_base)
    );
    Reply::html(200, page("lti-edge dev platform", &body))
}

fn platform_section(state: &State, platform: &str, clients: &[Client]) -> String {
    let issuer = state.issuer(platform);
    let rows: String = clients
        .iter()
        .flat_map(|(client, deps)| {
            deps.iter()
                .map(move |dep| launch_row(platform, client, dep))
        })
        .collect();
    format!(
        "<h2>Platform {p}</h2>\n<p>Issuer <code>{iss}</code> · <a href=\"{iss}/jwks\">JWKS</a></p>\n\
         <p class=\"muted\">LTI Advantage: token <code>{iss}/token</code> · AGS \
         <code>{iss}/lineitems/ctx-1</code> · NRPS <code>{iss}/memberships/ctx-1</code> · \
         deep linking return <code>{iss}/deep-link-return</code></p>\n\
         <table><tr><th>client_id</th><th>deployment_id</th><th></th></tr>\n{rows}</table>\n",
        p = escape(&platform.to_uppercase()),
        iss = escape(&issuer),
    )
}

fn launch_row(platform: &str, client_id: &str, deployment_id: &str) -> String {
    let link = |message_type: &str| {
        let query = encode_query(&[
            ("client_id", client_id.to_string()),
            ("deployment_id", deployment_id.to_string()),
            ("message_type", message_type.to_string()),
        ]);
        escape(&format!("/{platform}/start?{query}"))
    };
    format!(
        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>\
         <a class=\"button\" href=\"{}\">Launch (resource link)</a> \
         <a class=\"button alt\" href=\"{}\">Deep linking launch</a></td></tr>\n",
        escape(client_id),
        escape(deployment_id),
        link(RESOURCE_LINK),
        link(DEEP_LINKING)
    )
}
