//! The platform side: shared state and the HTTP routes of every profile's issuer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};

use crate::advantage::Advantage;
use crate::claims::{self, Launch, DEEP_LINKING, SUBMISSION_REVIEW};
use crate::directory::Directory;
use crate::dynreg::DynReg;
use crate::http::{Incoming, Reply};
use crate::keys::{self, KeyPair};
use crate::registry::{self, Kind};
use crate::{course, deep_link, dynreg, home, launch, services, token};

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
    pub authorize_log: Mutex<Vec<Params>>,
    /// Tokens, services and deep linking (LTI Advantage).
    pub advantage: Advantage,
    /// The clients and deployments known at run time.
    pub directory: Directory,
    /// The Dynamic Registration side of the `dynreg` profile.
    pub dynreg: DynReg,
    /// The worker's `REGISTRATION_SECRET`, for the "Register the tool" button.
    pub registration_secret: Mutex<Option<String>>,
    /// Number of course installs made so far (Canvas profile).
    course_installs: AtomicUsize,
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
            directory: Directory::new(),
            dynreg: DynReg::new(format!("reg-{}", token::random_token())),
            registration_secret: Mutex::default(),
            course_installs: AtomicUsize::new(0),
        }
    }

    pub fn issuer(&self, platform: &str) -> String {
        registry::issuer(&self.base_url, platform)
    }

    /// Panics on an unknown platform: callers name a profile.
    pub fn kind(&self, platform: &str) -> Kind {
        registry::kind_of(platform).unwrap_or_else(|| panic!("unknown platform {platform:?}"))
    }

    /// A new course-level install of a Canvas client: a deployment id never used before.
    pub fn new_course_deployment(&self, client_id: &str) -> String {
        let n = self.course_installs.fetch_add(1, Ordering::SeqCst) + 1;
        let deployment = format!("canvas-course-{n}");
        self.directory
            .add_deployment("canvas", client_id, &deployment);
        deployment
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

    pub fn default_target(&self, message_type: &str) -> String {
        let path = match message_type {
            DEEP_LINKING => "deep-link/picker",
            SUBMISSION_REVIEW => "course/submission-review",
            _ => "course/welcome",
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

/// Panics on an unknown platform: callers of the test API name a profile.
fn platform_keys(platform: &str) -> &'static [KeyPair] {
    keys::platform_keys(platform)
        .unwrap_or_else(|| panic!("unknown platform {platform:?} (expected a profile, e.g. \"a\")"))
}

pub(crate) fn handle(state: &State, req: &Incoming) -> Reply {
    let path = req.path.trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", [""]) => home::home(state),
        ("GET", ["attacker", "jwks"]) => jwks(state, "attacker", keys::attacker_key()),
        (_, [platform, rest @ ..]) if registry::kind_of(platform).is_some() => {
            platform_route(state, req, platform, rest)
        }
        _ => Reply::not_found(),
    }
}

fn platform_route(state: &State, req: &Incoming, platform: &str, rest: &[&str]) -> Reply {
    let registration = state.kind(platform) == Kind::DynReg;
    match (req.method.as_str(), rest) {
        ("GET", ["start"]) => launch::start(state, platform, &req.query),
        ("GET", ["course"]) => course::course(state, platform, &req.query),
        ("GET", ["storage-frame"]) => course::storage_frame(state, &req.query),
        ("GET" | "POST", ["authorize"]) => launch::authorize(state, platform, req.params()),
        ("GET", ["jwks"]) => {
            state.advantage.record_user_agent(platform, req);
            jwks(state, platform, state.active_key(platform))
        }
        ("GET", [".well-known", "openid-configuration"]) if registration => {
            dynreg::configuration(state, req)
        }
        ("POST", ["register"]) if registration => dynreg::register(state, req),
        ("POST", ["token"]) => token::token(state, platform, req),
        ("POST", ["deep-link-return"]) => deep_link::deep_link_return(state, platform, req),
        (_, ["lineitems" | "memberships" | "courses", ..]) => {
            services::handle(state, req, platform, rest)
        }
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
