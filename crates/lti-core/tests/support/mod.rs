//! In-memory ports and fixture keys for native flow tests.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};

use lti_core::assertion::{
    issue_assertion, verify_assertion, AssertedLaunch, AssertionClaims, AssertionConfig,
};
use lti_core::b64;
use lti_core::cache::MemoryCache;
use lti_core::jwk::PublicJwk;
use lti_core::keys::{parse_pkcs8_pems, thumbprint, SigningKey};
use lti_core::launch::{
    settle_launch, verify_launch, ClientId, DeploymentId, Issuer, LaunchPlatform, LaunchRequest,
    VerifiedLaunch,
};
use lti_core::login::{initiate_login, save_login, LoginRequest};
use lti_core::ports::*;
use lti_core::registration::find_registration;
use lti_core::rust_crypto::RustCrypto;
use lti_core::session::{load_session, new_session_id, store_session, Session, DEFAULT_TTL};
use lti_core::Error;
use serde_json::{json, Value};
use url::Url;

/// The runtime of native tests: memory stores, pure-Rust crypto, `H` for HTTP.
pub struct Native<H>(std::marker::PhantomData<H>);

impl<H: HttpClient> Runtime for Native<H> {
    type Store = MemoryKv;
    type Http = H;
    type Crypto = RustCrypto;
}

pub const PLATFORM_PEM: &str = include_str!("../fixtures/platform.pem");
pub const PLATFORM2_PEM: &str = include_str!("../fixtures/platform2.pem");
pub const ATTACKER_PEM: &str = include_str!("../fixtures/attacker.pem");
pub const TOOL_PEM: &str = include_str!("../fixtures/tool.pem");
pub const TOOL_P256_PEM: &str = include_str!("../fixtures/tool-p256.pem");
pub const WEAK_PEM: &str = include_str!("../fixtures/weak.pem");

pub const ISSUER: &str = "https://lms.example.edu";
pub const CLIENT_ID: &str = "client-1";
pub const DEPLOYMENT: &str = "dep-1";
pub const TOOL: &str = "https://tool.example.com";
pub const JWKS_URI: &str = "https://lms.example.edu/jwks";
pub const NOW: u64 = 1_800_000_000;

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// A KV store in memory, with TTLs ignored and every call counted.
#[derive(Default)]
pub struct MemoryKv {
    pub entries: RefCell<BTreeMap<String, String>>,
    pub reads: Cell<usize>,
    pub writes: Cell<usize>,
    pub fail: Cell<bool>,
    /// Another isolate's writes, landing just after this store's put of the
    /// same key: its last write wins.
    pub concurrent_writes: RefCell<BTreeMap<String, String>>,
    /// Another launch takes (or claims) every entry just before this store's
    /// take (or claim).
    pub concurrent_takes: Cell<bool>,
    /// Entries claimed and neither released nor deleted.
    pub claimed: RefCell<BTreeSet<String>>,
}

impl MemoryKv {
    fn check(&self) -> Result<(), StorageError> {
        if self.fail.get() {
            return Err(StorageError("injected failure".into()));
        }
        Ok(())
    }
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.check()?;
        self.reads.set(self.reads.get() + 1);
        Ok(self.entries.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StorageError> {
        self.check()?;
        self.writes.set(self.writes.get() + 1);
        let winner = self.concurrent_writes.borrow().get(key).cloned();
        let value = winner.unwrap_or_else(|| value.into());
        self.entries.borrow_mut().insert(key.into(), value);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.check()?;
        self.entries.borrow_mut().remove(key);
        self.claimed.borrow_mut().remove(key);
        Ok(())
    }
    async fn take(&self, key: &str) -> Result<Option<String>, StorageError> {
        if self.concurrent_takes.get() {
            self.entries.borrow_mut().remove(key);
        }
        get_then_delete(self, key).await
    }
    /// As a Durable Object claims: one claimer until released.
    async fn claim(&self, key: &str) -> Result<Option<String>, StorageError> {
        if self.concurrent_takes.get() || !self.claimed.borrow_mut().insert(key.into()) {
            self.check()?;
            return Ok(None);
        }
        self.get(key).await
    }
    async fn release(&self, key: &str) -> Result<(), StorageError> {
        self.claimed.borrow_mut().remove(key);
        Ok(())
    }
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        self.check()?;
        self.reads.set(self.reads.get() + 1);
        let entries = self.entries.borrow();
        Ok(entries
            .keys()
            .filter(|k| k.starts_with(prefix))
            .take(limit)
            .cloned()
            .collect())
    }
}

/// An HTTP client that serves a JWKS document and counts requests.
pub struct FakeHttp {
    pub jwks: RefCell<Value>,
    pub requests: Cell<usize>,
    pub down: Cell<bool>,
}

impl FakeHttp {
    pub fn serving(keys: &[&str]) -> Self {
        Self {
            jwks: RefCell::new(jwks(keys)),
            requests: Cell::new(0),
            down: Cell::new(false),
        }
    }
}

impl HttpClient for FakeHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        assert_eq!(
            request.url, JWKS_URI,
            "only the registration's jwks_uri is fetched"
        );
        self.requests.set(self.requests.get() + 1);
        if self.down.get() {
            return Err(HttpError("connection refused".into()));
        }
        Ok(HttpResponse {
            status: 200,
            headers: vec![("cache-control".into(), "max-age=600".into())],
            body: self.jwks.borrow().to_string().into_bytes(),
        })
    }
}

/// Counter-based randomness: distinct, repeatable values.
#[derive(Default)]
pub struct SeqRng(Cell<u8>);

impl Rng for SeqRng {
    fn fill(&self, dest: &mut [u8]) {
        self.0.set(self.0.get().wrapping_add(1));
        dest.fill(self.0.get());
    }
}

pub fn signing_key(pem: &str) -> SigningKey {
    let private = parse_pkcs8_pems(pem).unwrap().remove(0);
    let mut public = block_on(RustCrypto.public_jwk(&private)).unwrap();
    let kid = thumbprint(&public);
    public.kid = Some(kid.clone());
    SigningKey {
        kid,
        private,
        public,
    }
}

pub fn public_jwk(pem: &str) -> PublicJwk {
    signing_key(pem).public
}

pub fn jwks(pems: &[&str]) -> Value {
    json!({ "keys": pems.iter().map(|p| public_jwk(p)).collect::<Vec<_>>() })
}

pub fn registration_json() -> String {
    json!({
        "issuer": ISSUER, "client_id": CLIENT_ID,
        "authorization_endpoint": "https://lms.example.edu/auth",
        "token_endpoint": "https://lms.example.edu/token",
        "jwks_uri": JWKS_URI, "deployment_ids": [DEPLOYMENT],
    })
    .to_string()
}

/// The registration and deployment of [`launch_claims`].
pub fn launch_platform() -> LaunchPlatform {
    LaunchPlatform::new(
        Issuer::new(ISSUER),
        ClientId::new(CLIENT_ID),
        DeploymentId::new(DEPLOYMENT),
    )
}

/// The view of a resource link launch with claims `lti`, acting for `platform`.
#[allow(dead_code)]
pub fn view_of(
    lti: &serde_json::value::RawValue,
    platform: &LaunchPlatform,
) -> lti_core::view::LaunchViewJson {
    let message_type = lti_core::launch::MessageType::ResourceLink;
    let claims: Value = serde_json::from_str(lti.get()).unwrap();
    lti_core::view::LaunchView::of(&claims, platform, message_type).to_json()
}

/// Signs arbitrary header and claims with an RSA key (RS256).
pub fn sign(header: &Value, claims: &Value, pem: &str) -> String {
    sign_text(&header.to_string(), &claims.to_string(), pem)
}

/// Signs a payload given as JSON text, formatted as the caller wrote it.
pub fn sign_text(header: &str, payload: &str, pem: &str) -> String {
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let key = signing_key(pem);
    let sig = block_on(RustCrypto.sign(key.algorithm(), &key.private, input.as_bytes())).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

/// A platform-signed id_token with the right `kid`.
pub fn id_token(claims: &Value) -> String {
    let kid = signing_key(PLATFORM_PEM).kid;
    sign(
        &json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
        claims,
        PLATFORM_PEM,
    )
}

/// A valid resource link launch for `nonce`.
pub fn launch_claims(nonce: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": "user-1",
        "iat": NOW, "exp": NOW + 300, "nonce": nonce,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": format!("{TOOL}/course/1"),
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "rl-1"},
        "https://purl.imsglobal.org/spec/lti/claim/roles": [],
        "https://example.com/custom": {"nested": [1, 2.5, "x"]},
    })
}

/// A world with one registration and a platform serving `PLATFORM_PEM`.
pub struct World {
    pub platforms: MemoryKv,
    pub store: MemoryKv,
    pub http: FakeHttp,
    pub rng: SeqRng,
    pub cache: MemoryCache,
    pub now: Cell<u64>,
}

impl World {
    pub fn new() -> Self {
        let platforms = MemoryKv::default();
        platforms
            .entries
            .borrow_mut()
            .insert(format!("{ISSUER}#{CLIENT_ID}"), registration_json());
        Self {
            platforms,
            store: MemoryKv::default(),
            http: FakeHttp::serving(&[PLATFORM_PEM]),
            rng: SeqRng::default(),
            cache: MemoryCache::default(),
            now: Cell::new(NOW),
        }
    }

    pub fn ports(&self) -> Ports<'_, Native<FakeHttp>> {
        Ports {
            platforms: &self.platforms,
            store: &self.store,
            logins: &self.store,
            http: &self.http,
            crypto: &RustCrypto,
            rng: &self.rng,
            cache: &self.cache,
            now: self.now.get(),
        }
    }
}

pub fn tool() -> Url {
    Url::parse(TOOL).unwrap()
}

/// Runs a login and returns (state, nonce).
pub fn login(world: &World) -> (String, String) {
    let params = [
        ("iss", ISSUER),
        ("login_hint", "u1"),
        ("target_link_uri", "https://tool.example.com/course/1"),
        ("lti_message_hint", "hint"),
    ];
    let request = LoginRequest::from_params(params).unwrap();
    let ports = world.ports();
    let reg = block_on(find_registration(&ports.cached_platforms(), ISSUER, None)).unwrap();
    let redirect = initiate_login(&request, &reg, &tool(), ports.rng).unwrap();
    block_on(save_login(ports.store, &redirect)).unwrap();
    (redirect.state, redirect.login_state.nonce)
}

/// Posts `id_token` for `state` to the launch, with the state cookie.
pub fn launch(world: &World, state: &str, id_token: String) -> Result<VerifiedLaunch, Error> {
    let request = LaunchRequest {
        id_token,
        state: state.to_owned(),
    };
    let ports = world.ports();
    let launch = block_on(verify_launch(&request, true, &ports, &tool()))?;
    let session = new_session_id(ports.rng);
    block_on(settle_launch(&ports, &launch, &session, 3600, async {}))?;
    Ok(launch)
}

/// Logs in, then launches with claims edited by `edit`.
pub fn launch_with(edit: impl FnOnce(&mut Value)) -> Result<VerifiedLaunch, Error> {
    let world = World::new();
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    edit(&mut claims);
    launch(&world, &state, id_token(&claims))
}

/// The URI of an LTI core claim.
pub fn lti(name: &str) -> String {
    format!("https://purl.imsglobal.org/spec/lti/claim/{name}")
}

/// Stores a session for `launch` and reads it back, as a later request would.
pub fn stored_session(world: &World, launch: AssertedLaunch<'_>) -> Session {
    let ports = world.ports();
    let id = new_session_id(ports.rng);
    block_on(store_session(ports.store, &id, launch, NOW, DEFAULT_TTL)).unwrap();
    block_on(load_session(ports.store, &id, NOW))
        .unwrap()
        .expect("the session just stored")
}

/// A bearer the worker issued for a launch with claims `lti` on `platform`,
/// as [`verify_assertion`] accepted it: what the services act on comes out
/// of a verified bearer only ([`AssertionClaims::grant`]).
pub fn verified_bearer(
    lti: &serde_json::Map<String, Value>,
    platform: &LaunchPlatform,
) -> AssertionClaims {
    let key = signing_key(TOOL_PEM);
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let text =
        serde_json::value::RawValue::from_string(Value::Object(lti.clone()).to_string()).unwrap();
    let view = view_of(&text, platform);
    let launch = AssertedLaunch {
        lti: &text,
        sub: lti.get("sub").and_then(Value::as_str),
        platform,
        view: &view,
        session_token: None,
    };
    let rng = SeqRng::default();
    let token = block_on(issue_assertion(
        &RustCrypto,
        &key,
        &config,
        launch,
        &rng,
        NOW,
    ))
    .unwrap();
    block_on(verify_assertion(&RustCrypto, &[key], &config, &token, NOW)).unwrap()
}
