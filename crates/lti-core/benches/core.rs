//! Native micro-benchmarks of the protocol core: login initiation, launch
//! verification end to end (in-memory KV, a fake platform serving a JWKS,
//! pure-Rust RS256, warm memory cache) and assertion signing.
//!
//! `cargo bench -p lti-core` (a short run: small samples, ~1 s per benchmark).
//! The worker itself uses WebCrypto for RSA, so the `rs256/*` figures (pure
//! Rust `rsa` crate) are an upper bound for the crypto share of a launch, and
//! the rest (`launch/verify_launch` minus `rs256/verify`) is the protocol's
//! own work: parsing, JSON, KV glue, claim checks.

#[path = "../tests/support/mod.rs"]
mod support;

use std::cell::Cell;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use lti_core::assertion::{issue_assertion, AssertionConfig};
use lti_core::b64;
use lti_core::ids::RegistrationKey;
use lti_core::launch::{verify_launch, LaunchRequest};
use lti_core::login::{initiate_login, save_login, LoginRequest, LoginState};
use lti_core::ports::{Alg, Crypto};
use lti_core::registration::find_registration;
use lti_core::rust_crypto::RustCrypto;
use serde_json::{json, Value};
use support::*;
use url::Url;

const STATE: &str = "bench-state-0123456789abcdefghijklmnopqrstu";
const NONCE: &str = "bench-nonce-0123456789abcdefghijklmnopqrstu";

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

/// Stores a login for `state`, as `/lti/login` would; a launch consumes it.
fn remember_login(world: &World, state: &str) {
    let login = LoginState {
        nonce: NONCE.into(),
        registration: RegistrationKey::of(ISSUER, CLIENT_ID),
        target_link_uri: format!("{TOOL}/course/1"),
        ..LoginState::default()
    };
    let value = serde_json::to_string(&login).unwrap();
    world
        .store
        .entries
        .borrow_mut()
        .insert(format!("login:{state}"), value);
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
    let world = World::new();
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
    let token = id_token(&launch_claims(NONCE));
    let request = LaunchRequest {
        id_token: token.clone(),
        state: STATE.into(),
    };
    // Warm the memory cache (registration, JWKS) the way a warm isolate has it.
    remember_login(&world, STATE);
    let warm = block_on(verify_launch(&request, true, &world.ports(), &tool)).unwrap();
    let fetches = world.http.requests.get();
    // Each launch claims its login (its removal comes with `settle_launch`,
    // not timed here): the (untimed) setup stores a fresh one under a
    // distinct state; the token's nonce matches them all.
    let counter = Cell::new(0u64);
    c.bench_function("launch/verify_launch (warm cache)", |b| {
        b.iter_batched(
            || {
                counter.set(counter.get() + 1);
                let state = format!("{STATE}-{}", counter.get());
                remember_login(&world, &state);
                LaunchRequest {
                    id_token: token.clone(),
                    state,
                }
            },
            |request| block_on(verify_launch(&request, true, &world.ports(), &tool)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let claimed = world.store.claimed.borrow();
    assert!(
        world
            .store
            .entries
            .borrow()
            .keys()
            .filter(|k| k.starts_with("login:"))
            .all(|k| claimed.contains(k)),
        "every login claimed"
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
    c.bench_function("assertion/issue_assertion", |b| {
        b.iter(|| {
            block_on(issue_assertion(
                &RustCrypto,
                &tool_key,
                &config,
                black_box(warm.asserted()),
                &world.rng,
                NOW,
            ))
            .unwrap()
        })
    });

    // ---- the RSA primitives alone, to read the figures above ----
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = b64::decode(sig).unwrap();
    let public = platform.public.clone();
    c.bench_function("rs256/verify (rsa crate)", |b| {
        b.iter(|| {
            assert!(
                block_on(RustCrypto.verify(Alg::Rs256, &public, input.as_bytes(), &sig)).unwrap()
            )
        })
    });
    c.bench_function("rs256/sign (rsa crate)", |b| {
        b.iter(|| {
            block_on(RustCrypto.sign(Alg::Rs256, &tool_key.private, input.as_bytes())).unwrap()
        })
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
