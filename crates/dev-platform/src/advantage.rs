//! LTI Advantage state shared by the token endpoint, the services and the test API:
//! one ledger per platform, created on first use.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::Value;

use crate::ags;
use crate::http::Incoming;
use crate::platform::lock;
use crate::registry;
use crate::tool_keys::ToolKeys;

/// Default `expires_in` of access tokens, in seconds.
const DEFAULT_EXPIRES_IN: u64 = 3600;

/// An access token the token endpoint issued.
pub(crate) struct Grant {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: SystemTime,
}

/// One AGS/NRPS request as the test API reports it.
pub(crate) type ServiceRequest = (String, String, Option<String>, Option<String>);

/// Everything one platform remembers about its LTI Advantage traffic.
pub(crate) struct Ledger {
    pub issuer: String,
    pub token_requests: usize,
    pub token_failure: Option<(u16, String)>,
    pub expires_in: u64,
    pub grants: HashMap<String, Grant>,
    pub seen_jtis: HashSet<String>,
    pub last_assertion: Option<(Value, Value)>,
    pub line_items: Vec<Value>,
    /// Number of the next line item created (ids end in `/{n}`).
    pub next_line_item: usize,
    pub scores: Vec<(String, Value)>,
    pub service_log: Vec<ServiceRequest>,
    /// The query of every membership request, in order.
    pub membership_queries: Vec<Vec<(String, String)>>,
    /// `(path, User-Agent)` of every server-to-server request (JWKS, token, services,
    /// Dynamic Registration).
    pub user_agents: Vec<(String, Option<String>)>,
}

impl Ledger {
    fn new(issuer: String) -> Ledger {
        let line_items = ags::seed_line_items(&issuer);
        Ledger {
            next_line_item: line_items.len() + 1,
            line_items,
            issuer,
            token_requests: 0,
            token_failure: None,
            expires_in: DEFAULT_EXPIRES_IN,
            grants: HashMap::new(),
            seen_jtis: HashSet::new(),
            last_assertion: None,
            scores: Vec::new(),
            service_log: Vec::new(),
            membership_queries: Vec::new(),
            user_agents: Vec::new(),
        }
    }
}

pub(crate) struct Advantage {
    base_url: String,
    ledgers: Mutex<HashMap<String, Ledger>>,
    deep_links: Mutex<Vec<Value>>,
    pub tool_keys: ToolKeys,
}

impl Advantage {
    pub fn new(base_url: &str, tool_base: &str) -> Advantage {
        Advantage {
            base_url: base_url.to_string(),
            ledgers: Mutex::default(),
            deep_links: Mutex::default(),
            tool_keys: ToolKeys::new(tool_base),
        }
    }

    /// Runs `f` on the platform's ledger under the lock (so: no network inside `f`).
    /// Panics on an unknown platform: callers of the test API name a profile.
    pub fn with<R>(&self, platform: &str, f: impl FnOnce(&mut Ledger) -> R) -> R {
        assert!(
            registry::kind_of(platform).is_some(),
            "unknown platform {platform:?} (expected one of the profiles, e.g. \"a\")"
        );
        let mut ledgers = lock(&self.ledgers);
        let ledger = ledgers
            .entry(platform.to_string())
            .or_insert_with(|| Ledger::new(registry::issuer(&self.base_url, platform)));
        f(ledger)
    }

    pub fn log_service_request(&self, platform: &str, req: &Incoming) {
        let entry = (
            req.method.clone(),
            req.url.clone(),
            req.header("content-type").map(str::to_string),
            req.header("accept").map(str::to_string),
        );
        self.with(platform, |ledger| ledger.service_log.push(entry));
        self.record_user_agent(platform, req);
    }

    /// Kept for every server-to-server request, so tests can check the worker names itself.
    pub fn record_user_agent(&self, platform: &str, req: &Incoming) {
        let entry = (
            req.path.clone(),
            req.header("user-agent").map(str::to_string),
        );
        self.with(platform, |ledger| ledger.user_agents.push(entry));
    }

    pub fn record_deep_link(&self, claims: Value) {
        lock(&self.deep_links).push(claims);
    }

    pub fn deep_links(&self) -> Vec<Value> {
        lock(&self.deep_links).clone()
    }

    pub fn expire_tokens(&self, platform: &str) {
        let now = SystemTime::now();
        self.with(platform, |ledger| {
            for grant in ledger.grants.values_mut() {
                grant.expires_at = now;
            }
        });
    }
}
