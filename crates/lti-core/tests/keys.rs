//! The tool's own keys: configured, or generated once and kept.

mod support;

use lti_core::keys::{public_jwks, signing_keys, STORE_KEY};
use support::*;

#[test]
fn configured_key_is_used_and_published() {
    let world = World::new();
    let keys = block_on(signing_keys(&world.ports(), Some(TOOL_PEM))).unwrap();
    assert_eq!(keys[0].kid, signing_key(TOOL_PEM).kid);
    let jwks = public_jwks(&keys);
    let published = &jwks["keys"][0];
    assert_eq!(published["kid"], keys[0].kid.as_str());
    assert_eq!(published["alg"], "RS256");
    assert!(
        published.get("d").is_none() && published.get("p").is_none(),
        "public parts only"
    );
    assert!(
        world.store.entries.borrow().is_empty(),
        "a configured key is not stored"
    );
}

#[test]
fn generated_key_is_kept_and_reused() {
    let world = World::new();
    let first = block_on(signing_keys(&world.ports(), None)).unwrap();
    assert!(world.store.entries.borrow().contains_key(STORE_KEY));
    let cold = World::new();
    *cold.store.entries.borrow_mut() = world.store.entries.borrow().clone();
    let again = block_on(signing_keys(&cold.ports(), None)).unwrap();
    assert_eq!(first, again);
}

#[test]
fn rejects_a_key_that_is_not_pkcs8() {
    let world = World::new();
    let err = block_on(signing_keys(
        &world.ports(),
        Some("-----BEGIN RSA PRIVATE KEY-----"),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("PKCS#8"));
}
