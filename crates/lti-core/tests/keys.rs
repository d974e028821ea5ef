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
        Some("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("PKCS#8"));
}

#[test]
fn several_configured_keys_rotate_without_a_gap() {
    use lti_core::assertion::{issue_assertion, verify_assertion, AssertionConfig};
    use lti_core::rust_crypto::RustCrypto;
    let world = World::new();
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let lti = serde_json::value::RawValue::from_string("{}".into()).unwrap();
    // Step 1: the current key signs, the next one is published ahead of use.
    let both = format!("{TOOL_PEM}\n{PLATFORM2_PEM}");
    let keys = block_on(signing_keys(&world.ports(), Some(&both))).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(public_jwks(&keys)["keys"].as_array().unwrap().len(), 2);
    let old = block_on(issue_assertion(
        &RustCrypto,
        &keys[0],
        &config,
        &lti,
        None,
        &world.rng,
        NOW,
    ))
    .unwrap();
    // Step 2: the next key signs; the old one stays published, so its tokens still verify.
    let swapped = format!("{PLATFORM2_PEM}\n{TOOL_PEM}");
    let keys = block_on(signing_keys(&world.ports(), Some(&swapped))).unwrap();
    assert_eq!(keys[0].kid, signing_key(PLATFORM2_PEM).kid);
    assert!(block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &old,
        NOW + 10
    ))
    .is_ok());
    // Step 3: the old key is gone, and so is trust in what it signed.
    let keys = block_on(signing_keys(&world.ports(), Some(PLATFORM2_PEM))).unwrap();
    assert!(block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &old,
        NOW + 10
    ))
    .is_err());
}
