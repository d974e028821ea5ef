//! Faults: a platform whose keys endpoint is down, slow, garbage or huge, and
//! an origin that is slow or gone. Each gets a clear answer in bounded time.

use std::time::{Duration, Instant};

use dev_platform::{JwksFault, SigningKeyChoice};
use lti_edge_e2e::{Browser, Reply, Stack};
use serde_json::json;

use crate::common::*;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "faults::cached_keys_serve_while_the_platform_is_down",
        cached_keys_serve_while_the_platform_is_down,
    ),
    ("faults::jwks_faults_give_502", jwks_faults_give_502),
    ("faults::slow_origin_gives_504", slow_origin_gives_504),
];

/// A launch on platform b signed with `kid` (its real key, or an unknown id).
fn launch_b(stack: &Stack, name: &str, kid: Option<&str>) -> Reply {
    let browser = Browser::default();
    let target = target(stack, name);
    let (state, nonce) = login(stack, &browser, "b", "tool-b1", &target);
    let claims =
        stack
            .platform
            .launch_claims("b", "tool-b1", "b1-dep-1", RESOURCE_LINK, &nonce, &target);
    let token = match kid {
        None => stack.platform.sign_id_token("b", &claims),
        Some(kid) => stack.platform.sign_raw(
            &json!({"alg": "RS256", "kid": kid}),
            &claims,
            SigningKeyChoice::Active("b".into()),
        ),
    };
    launch(stack, &browser, &state, &token)
}

/// Fetches of one JWKS are spaced by the worker's cooldown.
fn wait_for_refetch_cooldown() {
    std::thread::sleep(Duration::from_secs(6));
}

fn cached_keys_serve_while_the_platform_is_down(stack: &Stack) {
    assert_eq!(
        launch_b(stack, "fault-warm", None).status,
        200,
        "keys cached"
    );
    stack.platform.set_jwks_fault("b", Some(JwksFault::Down));
    let reply = launch_b(stack, "fault-cached", None);
    stack.platform.set_jwks_fault("b", None);
    assert_eq!(
        reply.status, 200,
        "a known key needs no fetch: {}",
        reply.body
    );
}

fn jwks_faults_give_502(stack: &Stack) {
    for (i, (fault, reason)) in [
        (JwksFault::Slow(8), "keys could not be fetched"),
        (JwksFault::Garbage, "not a JWK Set"),
        (JwksFault::Oversized, "too large"),
        (JwksFault::Down, "503"),
        (JwksFault::Redirect, "redirected (HTTP 302)"),
    ]
    .into_iter()
    .enumerate()
    {
        wait_for_refetch_cooldown();
        stack.platform.set_jwks_fault("b", Some(fault));
        let name = format!("fault-jwks-{i}");
        let started = Instant::now();
        let reply = launch_b(stack, &name, Some("rotated-kid"));
        assert_eq!(reply.status, 502, "{fault:?}: {}", reply.body);
        assert!(
            reply.body.contains("platform_unavailable") && reply.body.contains(reason),
            "{fault:?}: {}",
            reply.body
        );
        assert!(
            started.elapsed() < Duration::from_secs(7),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        assert!(stack.origin.requests_to(&format!("/t/{name}")).is_empty());
    }
    // Still down, and within the cooldown: the last failure stands, no new fetch.
    let fetches = stack.platform.jwks_fetches("b");
    let reply = launch_b(stack, "fault-jwks-cooldown", Some("another-kid"));
    stack.platform.set_jwks_fault("b", None);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(
        stack.platform.jwks_fetches("b"),
        fetches,
        "no fetch storm against a failing platform"
    );
}

fn slow_origin_gives_504(stack: &Stack) {
    let started = Instant::now();
    let reply = Browser::default().get(&stack.url("/slow"));
    assert_eq!(reply.status, 504, "{}", reply.body);
    assert!(reply.body.contains("origin_timeout"));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "bounded by ORIGIN_TIMEOUT_MS"
    );
}

/// Runs after everything else that needs the origin: it stops it for good.
/// A stopped origin may refuse connections (502) or leave them hanging (504).
pub fn origin_down_gives_502(stack: &Stack) {
    stack.origin.stop();
    let started = Instant::now();
    let reply = Browser::default().get(&stack.url("/t/after-origin-stopped"));
    assert!(matches!(reply.status, 502 | 504), "{}", reply.body);
    assert!(reply.body.contains("origin_unavailable") || reply.body.contains("origin_timeout"));
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "bounded by ORIGIN_TIMEOUT_MS"
    );
}
