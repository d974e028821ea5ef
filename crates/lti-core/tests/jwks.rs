//! The platform's keys as launches use them: fetched once, refetched when the
//! platform rotates, never fetched by every launch however a client forges
//! `kid`s or however long the platform is down.

mod support;

use lti_core::jwks::REFETCH_COOLDOWN;
use lti_core::Error;
use serde_json::json;
use support::*;

/// A launch signed with `pem` under `kid`, after a fresh login.
fn launch_signed(world: &World, pem: &str, kid: &str) -> Result<(), Error> {
    let (state, nonce) = login(world);
    let header = json!({"alg": "RS256", "kid": kid});
    launch(world, &state, sign(&header, &launch_claims(&nonce), pem)).map(drop)
}

#[test]
fn fetches_jwks_once_and_refetches_on_unknown_kid() {
    let world = World::new();
    for _ in 0..3 {
        let (state, nonce) = login(&world);
        launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    }
    assert_eq!(
        world.http.requests.get(),
        1,
        "cached after the first launch"
    );

    // The platform rotates to a new key: the unknown kid triggers one refetch,
    // at once (an ordinary fetch does not start the cooldown).
    *world.http.jwks.borrow_mut() = jwks(&[PLATFORM2_PEM]);
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
    assert_eq!(world.http.requests.get(), 2);

    // A kid nobody publishes: no refetch so soon after the last one...
    let forged = launch_signed(&world, PLATFORM2_PEM, "nope");
    assert!(matches!(forged, Err(Error::UnknownKey(_))));
    assert_eq!(
        world.http.requests.get(),
        2,
        "forged kids cannot cause a refetch storm"
    );
    // ...and exactly one more fetch after the cooldown, then a clear error.
    world.now.set(NOW + REFETCH_COOLDOWN);
    let forged = launch_signed(&world, PLATFORM2_PEM, "nope");
    assert!(matches!(forged, Err(Error::UnknownKey(_))));
    assert_eq!(world.http.requests.get(), 3);
}

#[test]
fn a_key_rotated_just_after_a_fetch_is_found_at_once() {
    let world = World::new();
    launch_signed(&world, PLATFORM_PEM, &signing_key(PLATFORM_PEM).kid).unwrap();
    *world.http.jwks.borrow_mut() = jwks(&[PLATFORM_PEM, PLATFORM2_PEM]);
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
    assert_eq!(world.http.requests.get(), 2, "the fetch, then one refetch");

    for i in 0..100 {
        let forged = launch_signed(&world, ATTACKER_PEM, &format!("forged-{i}"));
        assert!(matches!(forged, Err(Error::UnknownKey(_))), "{forged:?}");
    }
    assert!(
        world.http.requests.get() <= 3,
        "100 forged kids cost at most one more fetch, not {}",
        world.http.requests.get() - 2
    );
    // Both keys still serve.
    launch_signed(&world, PLATFORM_PEM, &signing_key(PLATFORM_PEM).kid).unwrap();
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
}

#[test]
fn serves_stale_keys_while_the_platform_is_down() {
    let world = World::new();
    let (state, nonce) = login(&world);
    launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    world.now.set(NOW + 7200);
    world.http.down.set(true);
    let mut claims = launch_claims("");
    claims["iat"] = json!(NOW + 7200);
    claims["exp"] = json!(NOW + 7500);
    for _ in 0..10 {
        let (state, nonce) = login(&world);
        claims["nonce"] = json!(nonce);
        launch(&world, &state, id_token(&claims)).unwrap();
    }
    assert_eq!(
        world.http.requests.get(),
        2,
        "a failed fetch stands for the cooldown: the platform is not asked by every launch"
    );
    // A key it never saw cannot be served stale.
    let unseen = launch_signed(&world, PLATFORM2_PEM, "new");
    assert!(
        matches!(unseen, Err(Error::JwksUnavailable(_))),
        "{unseen:?}"
    );
    assert_eq!(world.http.requests.get(), 2);
    // After the cooldown the platform is asked again, once.
    world.now.set(NOW + 7200 + REFETCH_COOLDOWN);
    let unseen = launch_signed(&world, PLATFORM2_PEM, "new");
    assert!(
        matches!(unseen, Err(Error::JwksUnavailable(_))),
        "{unseen:?}"
    );
    assert_eq!(world.http.requests.get(), 3);
}
