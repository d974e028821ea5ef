//! Native micro-benchmarks of the protocol core: login initiation, launch
//! verification end to end (in-memory KV, a fake platform serving a JWKS,
//! pure-Rust RS256, warm memory cache) and assertion signing.
//!
//! `cargo bench -p lti-core` (a short run: small samples, ~1 s per benchmark).
//! The worker itself uses WebCrypto for RSA, so the `rs256/*` figures (pure
//! Rust `rsa` crate) are an upper bound for the crypto share of a launch, and
//! the rest (`launch/verify_launch` minus `rs256/verify`) is the protocol's
//! own work: parsing, JSON, KV glue, claim checks.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use lti_core::assertion::{issue_assertion, AssertionConfig};
use lti_core::b64;
use lti_core::cache::MemoryCache;
use lti_core::jwks::RsaPublicJwk;
use lti_core::keys::{thumbprint, SigningKey};
use lti_core::launch::{verify_launch, LaunchRequest};
use lti_core::login::{initiate_login, save_login, LoginRequest, LoginState};
use lti_core::ports::*;
use lti_core::registration::find_registration;
use lti_core::rust_crypto::RustCrypto;
use serde_json::{json, Map, Value};
use url::Url;

const PLATFORM_PEM: &str = include_str!("../tests/fixtures/platform.pem");
const TOOL_PEM: &str = include_str!("../tests/fixtures/tool.pem");

const ISSUER: &str = "https://lms.example.edu";
const CLIENT_ID: &str = "client-1";
const DEPLOYMENT: &str = "dep-1";
const TOOL: &str = "https://tool.example.com";
const JWKS_URI: &str = "https://lms.example.edu/jwks";
const NOW: u64 = 1_800_000_000;
const STATE: &str = "bench-state-0123456789abcdefghijklmnopqrstu";
const NONCE: &str = "bench-nonce-0123456789abcdefghijklmnopqrstu";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

// ---- in-memory ports (after tests/support/mod.rs) ----

#[derive(Default)]
struct MemoryKv {
    entries: RefCell<BTreeMap<String, String>>,
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(self.entries.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StorageError> {
        self.entries.borrow_mut().insert(key.into(), value.into());
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        let entries = self.entries.borrow();
        Ok(entries
            .keys()
            .filter(|k| k.starts_with(prefix))
            .take(limit)
            .cloned()
            .collect())
    }
}

/// Serves the platform's JWKS; counts fetches (a warm cache makes none).
struct FakeHttp {
    jwks: String,
    requests: Cell<usize>,
}

impl HttpClient for FakeHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        assert_eq!(request.url, JWKS_URI);
        self.requests.set(self.requests.get() + 1);
        Ok(HttpResponse {
            status: 200,
            headers: vec![("cache-control".into(), "max-age=600".into())],
            body: self.jwks.clone().into_bytes(),
        })
    }
}

/// Counter-based randomness: cheap and distinct (the worker uses getrandom).
#[derive(Default)]
struct SeqRng(Cell<u64>);

impl Rng for SeqRng {
    fn fill(&self, dest: &mut [u8]) {
        self.0.set(self.0.get().wrapping_add(1));
        for (i, b) in dest.iter_mut().enumerate() {
            *b = (self.0.get() >> ((i % 8) * 8)) as u8 ^ i as u8;
        }
    }
}

/// The DER of a PKCS#8 PEM (kept here so the bench does not follow the
/// crate's key-loading API).
fn pkcs8_der(pem: &str) -> PrivateKey {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    PrivateKey(
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .expect("fixture PEM"),
    )
}

fn signing_key(pem: &str) -> SigningKey {
    let private = pkcs8_der(pem);
    let mut public = block_on(RustCrypto.public_jwk(&private)).unwrap();
    let kid = thumbprint(&public);
    public.kid = Some(kid.clone());
    SigningKey {
        kid,
        private,
        public,
    }
}

fn registration_json() -> String {
    json!({
        "issuer": ISSUER, "client_id": CLIENT_ID,
        "authorization_endpoint": "https://lms.example.edu/auth",
        "token_endpoint": "https://lms.example.edu/token",
        "jwks_uri": JWKS_URI, "deployment_ids": [DEPLOYMENT],
    })
    .to_string()
}

/// A realistic resource link launch (Canvas-like size, ~1.5 KB of claims).
fn launch_claims(nonce: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": "a8b7c6d5-user-1",
        "iat": NOW, "exp": NOW + 300, "nonce": nonce,
        "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
        "email": "ada@example.edu", "locale": "en",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": format!("{TOOL}/course/1"),
        "https://purl.imsglobal.org/spec/lti/claim/resource_link":
            {"id": "rl-1", "title": "Week 1 quiz", "description": null},
        "https://purl.imsglobal.org/spec/lti/claim/roles": [
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"],
        "https://purl.imsglobal.org/spec/lti/claim/context":
            {"id": "ctx-42", "label": "CS101", "title": "Intro to CS",
             "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
        "https://purl.imsglobal.org/spec/lti/claim/tool_platform":
            {"guid": "lms.example.edu", "name": "Example LMS", "product_family_code": "canvas"},
        "https://purl.imsglobal.org/spec/lti/claim/launch_presentation":
            {"document_target": "iframe", "return_url": "https://lms.example.edu/courses/42"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                      "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitems": "https://lms.example.edu/api/lti/courses/42/line_items"},
        "https://purl.imsglobal.org/spec/lti/claim/custom": {"canvas_user_id": "1234"},
    })
}

/// Signs `claims` as the platform (RS256, with the JWKS's `kid`).
fn id_token(platform: &SigningKey, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": platform.kid});
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string()),
        b64::encode(claims.to_string())
    );
    let sig = block_on(RustCrypto.sign_rs256(&platform.private, input.as_bytes())).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

struct World {
    platforms: MemoryKv,
    store: MemoryKv,
    http: FakeHttp,
    rng: SeqRng,
    cache: MemoryCache,
}

impl World {
    fn new(platform: &SigningKey) -> Self {
        let platforms = MemoryKv::default();
        platforms
            .entries
            .borrow_mut()
            .insert(format!("{ISSUER}#{CLIENT_ID}"), registration_json());
        let jwks = json!({ "keys": [platform.public] }).to_string();
        Self {
            platforms,
            store: MemoryKv::default(),
            http: FakeHttp {
                jwks,
                requests: Cell::new(0),
            },
            rng: SeqRng::default(),
            cache: MemoryCache::default(),
        }
    }

    fn ports(&self) -> Ports<'_, MemoryKv, FakeHttp, RustCrypto> {
        Ports {
            platforms: &self.platforms,
            store: &self.store,
            logins: &self.store,
            http: &self.http,
            crypto: &RustCrypto,
            rng: &self.rng,
            cache: &self.cache,
            now: NOW,
        }
    }

    /// Stores a login for `state`, as `/lti/login` would; a launch consumes it.
    fn remember_login(&self, state: &str) {
        let login = LoginState {
            nonce: NONCE.into(),
            registration: format!("{ISSUER}#{CLIENT_ID}"),
            target_link_uri: format!("{TOOL}/course/1"),
        };
        self.store.entries.borrow_mut().insert(
            format!("login:{state}"),
            serde_json::to_string(&login).unwrap(),
        );
    }
}

const LOGIN_PARAMS: [(&str, &str); 6] = [
    ("iss", ISSUER),
    ("login_hint", "a8b7c6d5-user-1"),
    ("target_link_uri", "https://tool.example.com/course/1"),
    (
        "lti_message_hint",
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.hint",
    ),
    ("client_id", CLIENT_ID),
    ("lti_deployment_id", DEPLOYMENT),
];

fn benches(c: &mut Criterion) {
    let tool = Url::parse(TOOL).unwrap();
    let platform = signing_key(PLATFORM_PEM);
    let world = World::new(&platform);
    let registration =
        block_on(find_registration(&world.platforms, ISSUER, Some(CLIENT_ID))).unwrap();

    // ---- login ----
    c.bench_function("login/from_params+initiate_login", |b| {
        b.iter(|| {
            let request = LoginRequest::from_params(black_box(LOGIN_PARAMS)).unwrap();
            initiate_login(&request, &registration, &tool, &world.rng).unwrap()
        })
    });
    c.bench_function("login/full (cached registration, KV put)", |b| {
        b.iter(|| {
            let ports = world.ports();
            let request = LoginRequest::from_params(black_box(LOGIN_PARAMS)).unwrap();
            let reg = block_on(find_registration(
                &ports.cached_platforms(),
                &request.iss,
                request.client_id.as_deref(),
            ))
            .unwrap();
            let redirect = initiate_login(&request, &reg, &tool, ports.rng).unwrap();
            block_on(save_login(ports.store, &redirect)).unwrap();
            redirect
        })
    });
    world.store.entries.borrow_mut().clear();

    // ---- launch ----
    let token = id_token(&platform, &launch_claims(NONCE));
    let request = LaunchRequest {
        id_token: token.clone(),
        state: STATE.into(),
    };
    // Warm the memory cache (registration, JWKS) the way a warm isolate has it.
    world.remember_login(STATE);
    let warm = block_on(verify_launch(&request, true, &world.ports(), &tool)).unwrap();
    let fetches = world.http.requests.get();
    // Each launch consumes its login: the (untimed) setup stores a fresh one
    // under a distinct state; the token's nonce matches them all.
    let counter = Cell::new(0u64);
    c.bench_function("launch/verify_launch (warm cache)", |b| {
        b.iter_batched(
            || {
                counter.set(counter.get() + 1);
                let state = format!("{STATE}-{}", counter.get());
                world.remember_login(&state);
                LaunchRequest {
                    id_token: token.clone(),
                    state,
                }
            },
            |request| block_on(verify_launch(&request, true, &world.ports(), &tool)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    assert!(
        !world
            .store
            .entries
            .borrow()
            .keys()
            .any(|k| k.starts_with("login:")),
        "every login consumed"
    );
    assert_eq!(
        world.http.requests.get(),
        fetches,
        "a warm cache fetches no JWKS"
    );

    // ---- assertion ----
    let tool_key = signing_key(TOOL_PEM);
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://app.example.com".into(),
    };
    let lti: Map<String, Value> = warm.claims.clone();
    c.bench_function("assertion/issue_assertion", |b| {
        b.iter(|| {
            block_on(issue_assertion(
                &RustCrypto,
                &tool_key,
                &config,
                black_box(&lti),
                &world.rng,
                NOW,
            ))
            .unwrap()
        })
    });

    // ---- the RSA primitives alone, to read the figures above ----
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = b64::decode(sig).unwrap();
    let public: RsaPublicJwk = platform.public.clone();
    c.bench_function("rs256/verify (rsa crate)", |b| {
        b.iter(|| {
            assert!(block_on(RustCrypto.verify_rs256(&public, input.as_bytes(), &sig)).unwrap())
        })
    });
    c.bench_function("rs256/sign (rsa crate)", |b| {
        b.iter(|| block_on(RustCrypto.sign_rs256(&tool_key.private, input.as_bytes())).unwrap())
    });
}

criterion_group! {
    name = core;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .nresamples(10_000)
        .without_plots();
    targets = benches
}
criterion_main!(core);
