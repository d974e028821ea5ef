//! The tool's own keys: configured, or generated once and kept.

mod support;

use lti_core::keys::{public_jwks, signing_keys, STORE_KEY};
use lti_core::{b64, Error};
use serde_json::json;
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
    let algorithms: Vec<_> = first.iter().map(|k| k.algorithm().name()).collect();
    assert_eq!(
        algorithms,
        ["ES256", "RS256"],
        "P-256 for the origin, RSA for platforms"
    );
    let cold = World::new();
    *cold.store.entries.borrow_mut() = world.store.entries.borrow().clone();
    let again = block_on(signing_keys(&cold.ports(), None)).unwrap();
    assert_eq!(first, again);
}

#[test]
fn an_isolate_that_loses_the_generation_race_signs_with_the_winners_keys() {
    let world = World::new();
    // Another isolate generated at the same time, and its write landed last.
    let winner = [signing_key(TOOL_P256_PEM), signing_key(TOOL_PEM)];
    let stored: Vec<_> = winner
        .iter()
        .map(|k| json!({"kid": k.kid, "pkcs8": b64::encode(&k.private.0), "public": k.public}))
        .collect();
    world
        .store
        .concurrent_writes
        .borrow_mut()
        .insert(STORE_KEY.into(), json!({ "keys": stored }).to_string());
    let first = block_on(signing_keys(&world.ports(), None)).unwrap();
    assert_eq!(first.as_slice(), &winner);
    let second = block_on(signing_keys(&world.ports(), None)).unwrap();
    assert_eq!(
        second.as_slice(),
        &winner,
        "the isolate's memory holds the winner's keys, not its own"
    );
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
    use lti_core::assertion::{issue_assertion, verify_assertion, AssertedLaunch, AssertionConfig};
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
    let platform = launch_platform();
    let view = view_of(&lti, &platform);
    let launch = AssertedLaunch {
        lti: &lti,
        sub: None,
        platform: &platform,
        view: &view,
        session_token: None,
    };
    let old = block_on(issue_assertion(
        &RustCrypto,
        &keys[0],
        &config,
        launch,
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

#[test]
fn a_p256_key_signs_for_the_origin_and_rsa_for_platforms() {
    use lti_core::assertion::{issue_assertion, issue_service_token, verify_assertion};
    use lti_core::assertion::{AssertedLaunch, AssertionConfig};
    use lti_core::keys::{origin_key, platform_key};
    use lti_core::ports::Alg;
    use lti_core::rust_crypto::RustCrypto;
    let world = World::new();
    let both = format!("{TOOL_P256_PEM}\n{TOOL_PEM}");
    let keys = block_on(signing_keys(&world.ports(), Some(&both))).unwrap();
    assert_eq!(origin_key(&keys).algorithm(), Alg::Es256);
    assert_eq!(platform_key(&keys).kid, signing_key(TOOL_PEM).kid);
    let published = public_jwks(&keys);
    let ec = &published["keys"][0];
    assert_eq!(
        (&ec["kty"], &ec["crv"], &ec["alg"]),
        (&json!("EC"), &json!("P-256"), &json!("ES256"))
    );
    assert_eq!(
        ec["x"].as_str().map(str::len),
        Some(43),
        "32 bytes, base64url"
    );

    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let lti = serde_json::value::RawValue::from_string(r#"{"sub":"u"}"#.into()).unwrap();
    let platform = launch_platform();
    let view = view_of(&lti, &platform);
    let launch = AssertedLaunch {
        lti: &lti,
        sub: Some("u"),
        platform: &platform,
        view: &view,
        session_token: None,
    };
    let token = block_on(issue_assertion(
        &RustCrypto,
        origin_key(&keys),
        &config,
        launch,
        &world.rng,
        NOW,
    ))
    .unwrap();
    let header = lti_core::b64::decode(token.split('.').next().unwrap()).unwrap();
    assert!(String::from_utf8(header)
        .unwrap()
        .contains(r#""alg":"ES256""#));
    let claims = block_on(verify_assertion(&RustCrypto, &keys, &config, &token, NOW)).unwrap();
    assert_eq!(claims.sub(), Some("u"));
    let (service, _) = block_on(issue_service_token(
        &RustCrypto,
        origin_key(&keys),
        &config,
        verified_bearer(&serde_json::Map::new(), &platform).grant(),
        &world.rng,
        NOW,
        60,
    ))
    .unwrap();
    assert!(block_on(verify_assertion(&RustCrypto, &keys, &config, &service, NOW)).is_ok());

    // A header claiming RS256 for the P-256 key is refused before any crypto.
    let (_, rest) = token.split_once('.').unwrap();
    let kid = &origin_key(&keys).kid;
    let header = lti_core::b64::encode(format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#));
    let confused = format!("{header}.{rest}");
    assert!(matches!(
        block_on(verify_assertion(
            &RustCrypto,
            &keys,
            &config,
            &confused,
            NOW
        )),
        Err(Error::InvalidAssertion("algorithm"))
    ));
}

#[test]
fn a_secret_without_an_rsa_key_is_refused() {
    let world = World::new();
    let err = block_on(signing_keys(&world.ports(), Some(TOOL_P256_PEM))).unwrap_err();
    assert!(err.to_string().contains("no RSA key"), "{err}");
}
