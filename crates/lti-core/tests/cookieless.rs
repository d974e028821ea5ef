//! Launches without cookies, natively: a login through LTI platform storage,
//! a launch without the state cookie held until the browser proves the login
//! was its own, and the refusal (with a new window) when it cannot.

mod support;

use lti_core::launch::{accept_launch, LaunchDecision, LaunchRequest, VerifiedLaunch};
use lti_core::login::{initiate_login, save_login, LoginRequest, LoginState};
use lti_core::platform_storage::held::{redeem_held_launch, LaunchProof};
use lti_core::platform_storage::{proof_matches, HELD_LAUNCH_TTL};
use lti_core::ports::KeyValue;
use lti_core::registration::find_registration;
use lti_core::Error;
use support::*;

/// A login as `/lti/login` with `lti_storage_target` (or without, when
/// `None`) makes it: (state, nonce, proof).
fn login_with_storage(world: &World, target: Option<&str>) -> (String, String, Option<String>) {
    let mut params = vec![
        ("iss", ISSUER),
        ("login_hint", "u1"),
        ("target_link_uri", "https://tool.example.com/course/1"),
        ("lti_message_hint", "hint"),
        ("lti_deployment_id", DEPLOYMENT),
    ];
    params.extend(target.map(|t| ("lti_storage_target", t)));
    let request = LoginRequest::from_params(params).unwrap();
    let ports = world.ports();
    let reg = block_on(find_registration(&ports.cached_platforms(), ISSUER, None)).unwrap();
    let redirect = initiate_login(&request, &reg, &tool(), ports.rng).unwrap();
    block_on(save_login(ports.store, &redirect)).unwrap();
    let proof = redirect.proof.map(|p| p.expose().to_owned());
    (redirect.state, redirect.login_state.nonce, proof)
}

fn launch_without_cookie(
    world: &World,
    state: &str,
    id_token: String,
) -> Result<LaunchDecision, Error> {
    let request = LaunchRequest {
        id_token,
        state: state.to_owned(),
    };
    block_on(accept_launch(&request, false, &world.ports(), &tool()))
}

/// A cookieless launch through platform storage, held: (held launch id, proof).
fn held_launch(world: &World) -> (String, String) {
    let (state, nonce, proof) = login_with_storage(world, Some("post_message_forwarding"));
    let decision = launch_without_cookie(world, &state, id_token(&launch_claims(&nonce))).unwrap();
    let LaunchDecision::ConfirmInBrowser(page) = decision else {
        panic!("not held: {decision:?}");
    };
    let marker = r#"name="launch" value=""#;
    let start = page.html.find(marker).unwrap() + marker.len();
    let id = &page.html[start..start + 43];
    (id.to_owned(), proof.unwrap())
}

fn confirm(world: &World, launch: &str, proof: &str) -> Result<VerifiedLaunch, Error> {
    let form = LaunchProof::from_params([("launch", launch), ("proof", proof)]).unwrap();
    block_on(redeem_held_launch(&form, &world.ports()))
}

fn stored_login(world: &World, state: &str) -> Option<LoginState> {
    let value = block_on(world.store.get(&format!("login:{state}"))).unwrap()?;
    serde_json::from_str(&value).ok()
}

fn held_count(world: &World) -> usize {
    let entries = world.store.entries.borrow();
    entries
        .keys()
        .filter(|k| k.starts_with("held_launch:"))
        .count()
}

#[test]
fn login_with_storage_keeps_the_proof_hash_target_and_hints() {
    let world = World::new();
    let (state, _, proof) = login_with_storage(&world, Some("_parent"));
    let proof = proof.unwrap();
    let login = stored_login(&world, &state).unwrap();
    let (target, proof_sha256) = login.platform_storage().unwrap();
    assert_eq!(target, "_parent");
    assert!(proof_matches(&proof, proof_sha256));
    let stored = world.store.entries.borrow()[&format!("login:{state}")].clone();
    assert!(stored.contains(&format!(r#""platform_storage":"{proof_sha256} _parent""#)));
    assert!(!stored.contains(&proof), "the store never holds the proof");
    let query = login.restart_query.as_deref().unwrap();
    assert!(query.contains("&login_hint=u1&") && query.contains("&lti_message_hint=hint&"));
    assert!(query.contains("&client_id=client-1&"), "{query}");
}

#[test]
fn logins_stored_before_platform_storage_still_parse() {
    let world = World::new();
    let old = format!(
        r#"{{"nonce":"n","registration":"{ISSUER}#{CLIENT_ID}","target_link_uri":"{TOOL}/a"}}"#
    );
    world
        .store
        .entries
        .borrow_mut()
        .insert("login:old".into(), old);
    let login = stored_login(&world, "old").unwrap();
    assert!(login.platform_storage().is_none() && login.restart_query.is_none());
    assert!(login.new_window_url(&tool()).is_none());
}

#[test]
fn cookieless_launch_is_held_and_confirmed_once_with_its_proof() {
    let world = World::new();
    let (id, proof) = held_launch(&world);
    assert_eq!(held_count(&world), 1);
    assert!(
        !world
            .store
            .entries
            .borrow()
            .keys()
            .any(|k| k.starts_with("login:")),
        "the login is taken when the launch is held"
    );
    let launch = confirm(&world, &id, &proof).unwrap();
    assert_eq!(launch.sub(), Some("user-1"));
    assert_eq!(launch.platform(), &launch_platform());
    assert_eq!(
        launch.target_link_uri().as_str(),
        "https://tool.example.com/course/1"
    );
    let claims: serde_json::Value = serde_json::from_str(launch.claims().get()).unwrap();
    assert_eq!(claims, launch_claims(claims["nonce"].as_str().unwrap()));
    assert_eq!(held_count(&world), 0);
    assert!(
        matches!(confirm(&world, &id, &proof), Err(Error::HeldLaunchUnknown)),
        "replay"
    );
}

#[test]
fn wrong_proof_is_refused_and_burns_the_held_launch() {
    let world = World::new();
    let (id, proof) = held_launch(&world);
    let err = confirm(&world, &id, "not-the-proof").unwrap_err();
    assert!(matches!(err, Error::LaunchProofMismatch));
    assert_eq!(err.code(), "invalid_launch_proof");
    assert_eq!(err.kind(), lti_core::ErrorKind::Unauthorized);
    assert!(matches!(
        confirm(&world, &id, &proof),
        Err(Error::HeldLaunchUnknown)
    ));
}

#[test]
fn expired_held_launch_is_refused() {
    let world = World::new();
    let (id, proof) = held_launch(&world);
    world.now.set(NOW + HELD_LAUNCH_TTL);
    assert!(matches!(
        confirm(&world, &id, &proof),
        Err(Error::HeldLaunchUnknown)
    ));
}

#[test]
fn unknown_or_malformed_held_launch_ids_are_refused_without_a_store_read() {
    let world = World::new();
    let reads = world.store.reads.get();
    for id in ["short", "../../login:x", &"a".repeat(44)] {
        assert!(
            matches!(confirm(&world, id, "p"), Err(Error::HeldLaunchUnknown)),
            "{id}"
        );
    }
    assert_eq!(world.store.reads.get(), reads);
    assert!(matches!(
        confirm(&world, &"a".repeat(43), "p"),
        Err(Error::HeldLaunchUnknown)
    ));
    assert!(matches!(
        LaunchProof::from_params([("launch", "x"), ("proof", "")]),
        Err(Error::MissingParameter("proof"))
    ));
    assert!(format!(
        "{:?}",
        LaunchProof::from_params([("launch", "x"), ("proof", "secret")]).unwrap()
    )
    .contains("[redacted]"));
}

#[test]
fn a_registration_removed_meanwhile_confirms_nothing() {
    let world = World::new();
    let (id, proof) = held_launch(&world);
    world.platforms.entries.borrow_mut().clear();
    world.now.set(NOW + 61); // past the registration cache
    assert!(matches!(
        confirm(&world, &id, &proof),
        Err(Error::UnknownPlatform { .. })
    ));
}

#[test]
fn cookieless_launch_that_fails_a_check_holds_nothing_and_keeps_the_login() {
    let world = World::new();
    let (state, nonce, _) = login_with_storage(&world, Some("_parent"));
    let mut claims = launch_claims(&nonce);
    claims["aud"] = "someone-else".into();
    let err = launch_without_cookie(&world, &state, id_token(&claims)).unwrap_err();
    assert!(
        matches!(err, Error::ClaimMismatch { claim: "aud", .. }),
        "{err:?}"
    );
    let forged = sign(
        &serde_json::json!({"alg": "RS256"}),
        &launch_claims(&nonce),
        ATTACKER_PEM,
    );
    assert!(launch_without_cookie(&world, &state, forged).is_err());
    assert_eq!(held_count(&world), 0);
    assert!(stored_login(&world, &state).is_some());
}

#[test]
fn without_cookie_and_storage_the_launch_is_refused_with_a_new_window() {
    let world = World::new();
    let (state, nonce, _) = login_with_storage(&world, None);
    let decision = launch_without_cookie(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    let LaunchDecision::RefuseWithoutCookie {
        new_window: Some(url),
    } = decision
    else {
        panic!("{decision:?}");
    };
    assert_eq!(
        url.as_str(),
        "https://tool.example.com/lti/login?iss=https%3A%2F%2Flms.example.edu&login_hint=u1\
         &target_link_uri=https%3A%2F%2Ftool.example.com%2Fcourse%2F1&lti_message_hint=hint\
         &client_id=client-1&lti_deployment_id=dep-1"
    );
    assert!(stored_login(&world, &state).is_some(), "read, not taken");
    assert_eq!(held_count(&world), 0);
}

#[test]
fn without_cookie_an_unknown_state_is_refused_as_before() {
    let world = World::new();
    let decision = launch_without_cookie(&world, "unknown", id_token(&launch_claims("n"))).unwrap();
    assert!(matches!(
        decision,
        LaunchDecision::RefuseWithoutCookie { new_window: None }
    ));
    assert!(matches!(
        launch_without_cookie(&world, "unknown", "garbage".into()),
        Err(Error::MalformedToken(_))
    ));
}

#[test]
fn with_the_cookie_a_storage_login_launches_as_ever() {
    let world = World::new();
    let (state, nonce, _) = login_with_storage(&world, Some("_parent"));
    let request = LaunchRequest {
        id_token: id_token(&launch_claims(&nonce)),
        state,
    };
    let decision = block_on(accept_launch(&request, true, &world.ports(), &tool())).unwrap();
    assert!(matches!(decision, LaunchDecision::Forward(_)));
    assert_eq!(held_count(&world), 0);
}

#[test]
fn a_concurrent_confirmation_that_took_the_launch_first_wins_alone() {
    // An atomic store (a Durable Object): another confirmation's take came
    // first, and this one finds nothing.
    let world = World::new();
    let (id, proof) = held_launch(&world);
    world.store.concurrent_takes.set(true);
    assert!(matches!(
        confirm(&world, &id, &proof),
        Err(Error::HeldLaunchUnknown)
    ));
}

#[test]
fn on_workers_kv_a_second_location_may_confirm_before_the_take_reaches_it() {
    // What "once" means on KV, pinned: a take is a read then a delete, and
    // the delete reaches other locations only eventually (up to 60 s). Each
    // location still requires the proof, which only the browser that stored
    // it can read back, so only that browser can race itself.
    let world = World::new();
    let (id, proof) = held_launch(&world);
    let elsewhere = World::new();
    *elsewhere.store.entries.borrow_mut() = world.store.entries.borrow().clone();
    assert!(confirm(&world, &id, &proof).is_ok());
    assert!(
        confirm(&elsewhere, &id, &proof).is_ok(),
        "the delete had not arrived"
    );
    assert!(confirm(&world, &id, &proof).is_err());
}
