//! Registrations as the store holds them now: unknown platforms cost little,
//! and sessions of a removed platform or deployment reach nothing.

mod support;

use lti_core::assertion::AssertedLaunch;
use lti_core::cache::store::ABSENT_TTL;
use lti_core::ports::KeyValue;
use lti_core::registration::find_registration;
use lti_core::session::{check_session_grant, Session};
use lti_core::Error;
use serde_json::json;
use serde_json::value::RawValue;
use support::*;

const UNKNOWN: &str = "https://unknown.example.edu";

fn unknown_login(world: &World, client_id: Option<&str>) -> Result<(), Error> {
    let platforms = world.ports().cached_platforms();
    block_on(find_registration(&platforms, UNKNOWN, client_id)).map(drop)
}

#[test]
fn logins_for_an_unknown_platform_cost_one_read_per_window() {
    let world = World::new();
    for _ in 0..20 {
        let without = unknown_login(&world, None);
        assert!(matches!(without, Err(Error::UnknownPlatform { .. })));
        let with = unknown_login(&world, Some("c"));
        assert!(matches!(with, Err(Error::UnknownPlatform { .. })));
    }
    assert_eq!(
        world.platforms.reads.get(),
        2,
        "one list (no client_id) and one get (with client_id)"
    );

    // Registered during the window, seen once it is over.
    let registration = registration_json().replace(ISSUER, UNKNOWN);
    world
        .platforms
        .entries
        .borrow_mut()
        .insert(format!("{UNKNOWN}#{CLIENT_ID}"), registration);
    assert!(unknown_login(&world, None).is_err(), "within the window");
    world.now.set(NOW + ABSENT_TTL);
    assert!(unknown_login(&world, None).is_ok());
    assert!(unknown_login(&world, Some(CLIENT_ID)).is_ok());
}

#[test]
fn keys_absent_from_the_store_are_not_remembered() {
    let world = World::new();
    let store = world.ports().cached_store();
    assert_eq!(block_on(store.get("jwks:x")).unwrap(), None);
    world
        .store
        .entries
        .borrow_mut()
        .insert("jwks:x".into(), "v".into());
    assert_eq!(block_on(store.get("jwks:x")).unwrap().as_deref(), Some("v"));
}

/// Past the minute registrations stay in an isolate's memory.
const LATER: u64 = NOW + 61;

/// A session for a launch with `claims`, as the browser would present it.
fn session(world: &World, claims: serde_json::Value) -> Session {
    let lti = RawValue::from_string(claims.to_string()).unwrap();
    let platform = launch_platform();
    let view = view_of(&lti, &platform);
    let launch = AssertedLaunch {
        lti: &lti,
        sub: None,
        platform: &platform,
        view: &view,
        session_token: None,
    };
    stored_session(world, launch)
}

fn check(world: &World, session: &Session) -> Result<(), Error> {
    block_on(check_session_grant(&world.ports(), session))
}

#[test]
fn a_session_of_a_registered_deployment_is_granted() {
    let world = World::new();
    assert!(check(&world, &session(&world, launch_claims("n"))).is_ok());
    let mut listed = launch_claims("n");
    listed["aud"] = json!(["other", CLIENT_ID]);
    listed["azp"] = json!(CLIENT_ID);
    assert!(
        check(&world, &session(&world, listed)).is_ok(),
        "the client is azp"
    );
}

#[test]
fn a_session_whose_registration_was_removed_gets_nothing() {
    let world = World::new();
    let session = session(&world, launch_claims("n"));
    check(&world, &session).unwrap();
    world.platforms.entries.borrow_mut().clear();
    world.now.set(LATER);
    let err = check(&world, &session).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownPlatform { issuer, client_id: Some(c) } if issuer == ISSUER && c == CLIENT_ID),
        "{err:?}"
    );
}

#[test]
fn a_session_whose_deployment_was_removed_gets_nothing() {
    let world = World::new();
    let session = session(&world, launch_claims("n"));
    check(&world, &session).unwrap();
    let without = registration_json().replace(DEPLOYMENT, "dep-2");
    world
        .platforms
        .entries
        .borrow_mut()
        .insert(format!("{ISSUER}#{CLIENT_ID}"), without);
    world.now.set(LATER);
    let err = check(&world, &session).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownDeployment(d) if d == DEPLOYMENT),
        "{err:?}"
    );
}
