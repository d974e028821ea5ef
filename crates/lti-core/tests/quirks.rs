//! Registrations for platforms that depart from LTI 1.3: each quirk loosens
//! only what it names, and the registration and deployment a launch acts for
//! travel with it, so later requests never re-derive them from odd claims.

mod support;

use lti_core::assertion::{issue_assertion, issue_service_token, verify_assertion};
use lti_core::assertion::{AssertionConfig, SERVICE_TOKEN_USE};
use lti_core::deployments::{deployment_key, record_deployment, DeploymentSeen, RECORD_INTERVAL};
use lti_core::launch::{verify_launch, LaunchPlatform, LaunchRequest, MessageType, VerifiedLaunch};
use lti_core::login::{initiate_login, save_login, LoginRequest, LoginState};
use lti_core::registration::{find_registration, PlatformRegistration};
use lti_core::rust_crypto::RustCrypto;
use lti_core::services::token::client_assertion;
use lti_core::session::{check_session_grant, load_session};
use lti_core::{b64, Error, ErrorKind};
use serde_json::{json, Value};
use support::*;

/// SkillsTown puts the customer's company name in `aud`.
const COMPANY: &str = "Acme Corp";
const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

/// A world whose one registration is edited by `edit`.
fn world_with(edit: impl FnOnce(&mut Value)) -> World {
    let world = World::new();
    let mut registration: Value = serde_json::from_str(&registration_json()).unwrap();
    edit(&mut registration);
    world
        .platforms
        .entries
        .borrow_mut()
        .insert(format!("{ISSUER}#{CLIENT_ID}"), registration.to_string());
    world
}

/// SkillsTown's registration: its audience, minimal claims.
fn skillstown() -> World {
    world_with(|r| {
        r["launch_audience"] = json!(COMPANY);
        r["minimal_claims"] = json!(true);
        r["scores_url"] = json!("lineitem");
    })
}

/// A login naming `deployment` (as `lti_deployment_id`) when given.
fn login_for(world: &World, deployment: Option<&str>) -> (String, String) {
    let mut params = vec![
        ("iss", ISSUER),
        ("login_hint", "u1"),
        ("target_link_uri", "https://tool.example.com/skills/7"),
    ];
    params.extend(deployment.map(|d| ("lti_deployment_id", d)));
    let request = LoginRequest::from_params(params).unwrap();
    let ports = world.ports();
    let reg = block_on(find_registration(&ports.cached_platforms(), ISSUER, None)).unwrap();
    let redirect = initiate_login(&request, &reg, &tool(), ports.rng).unwrap();
    block_on(save_login(ports.store, &redirect)).unwrap();
    (redirect.state, redirect.login_state.nonce)
}

/// The claims of a SkillsTown id_token, and nothing more.
fn skillstown_claims(nonce: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": COMPANY, "sub": "learner-9", "nonce": nonce,
        "iat": NOW, "exp": NOW + 300,
        AGS_ENDPOINT: {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": "https://lms.example.edu/courses/3/lineitems/7/scores",
        },
        "https://purl.imsglobal.org/spec/lti/claim/custom": {"course": "safety-101"},
    })
}

fn skillstown_launch(world: &World, deployment: Option<&str>) -> Result<VerifiedLaunch, Error> {
    let (state, nonce) = login_for(world, deployment);
    launch(world, &state, id_token(&skillstown_claims(&nonce)))
}

// ---- launch_audience ----

#[test]
fn launch_audience_is_accepted_in_place_of_the_client_id() {
    let world = world_with(|r| r["launch_audience"] = json!(COMPANY));
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    claims["aud"] = json!(COMPANY);
    launch(&world, &state, id_token(&claims)).expect("aud is the launch audience");

    let (state, nonce) = login(&world);
    claims["nonce"] = json!(nonce);
    claims["aud"] = json!(["someone-else", COMPANY]);
    claims["azp"] = json!(COMPANY);
    launch(&world, &state, id_token(&claims)).expect("azp is the launch audience");

    let (state, nonce) = login(&world);
    launch(&world, &state, id_token(&launch_claims(&nonce))).expect("the client_id still serves");
}

#[test]
fn a_foreign_audience_is_refused_without_launch_audience() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    claims["aud"] = json!(COMPANY);
    let err = launch(&world, &state, id_token(&claims)).unwrap_err();
    assert!(
        matches!(&err, Error::ClaimMismatch { claim: "aud", .. }),
        "{err:?}"
    );

    let world = world_with(|r| r["launch_audience"] = json!(COMPANY));
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    claims["aud"] = json!("Other Corp");
    let err = launch(&world, &state, id_token(&claims)).unwrap_err();
    assert!(
        matches!(&err, Error::ClaimMismatch { claim: "aud", .. }),
        "{err:?}"
    );
}

// ---- minimal_claims ----

#[test]
fn a_minimal_claims_token_launches_as_a_resource_link_for_the_login_deployment() {
    let world = skillstown();
    let launch = skillstown_launch(&world, Some(DEPLOYMENT)).unwrap();
    assert_eq!(launch.message_type(), MessageType::ResourceLink);
    assert_eq!(launch.platform(), &launch_platform());
    assert_eq!(
        launch.target_link_uri().as_str(),
        "https://tool.example.com/skills/7",
        "the login's target"
    );
    let claims: Value = serde_json::from_str(launch.claims().get()).unwrap();
    assert_eq!(claims["aud"], COMPANY, "claims exactly as sent");
}

#[test]
fn a_minimal_claims_token_is_refused_without_the_option() {
    let world = world_with(|r| r["launch_audience"] = json!(COMPANY));
    let err = skillstown_launch(&world, Some(DEPLOYMENT)).unwrap_err();
    assert!(
        matches!(&err, Error::MissingClaim("version")),
        "refused as before: {err:?}"
    );
}

#[test]
fn a_minimal_claims_launch_needs_the_login_to_name_a_registered_deployment() {
    let world = skillstown();
    let err = skillstown_launch(&world, None).unwrap_err();
    assert!(matches!(err, Error::NoDeployment), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);

    // Logins refuse unlisted deployments; one stored anyway is refused at launch.
    let login = LoginState {
        nonce: "n-unlisted".into(),
        registration: lti_core::ids::RegistrationKey::of(ISSUER, CLIENT_ID),
        target_link_uri: format!("{TOOL}/skills/7"),
        lti_deployment_id: Some("dep-9".into()),
        ..LoginState::default()
    };
    let value = serde_json::to_string(&login).unwrap();
    let entries = &world.store.entries;
    entries
        .borrow_mut()
        .insert("login:s-unlisted".into(), value);
    let err = launch(
        &world,
        "s-unlisted",
        id_token(&skillstown_claims("n-unlisted")),
    );
    assert!(
        matches!(&err, Err(Error::UnknownDeployment(d)) if d == "dep-9"),
        "{err:?}"
    );
}

#[test]
fn a_minimal_claims_token_with_some_message_claims_is_checked_in_full() {
    let world = skillstown();
    let (state, nonce) = login_for(&world, Some(DEPLOYMENT));
    let mut claims = skillstown_claims(&nonce);
    claims[lti("version")] = json!("1.1");
    let err = launch(&world, &state, id_token(&claims)).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ClaimMismatch {
                claim: "version",
                ..
            }
        ),
        "{err:?}"
    );

    let (state, nonce) = login_for(&world, Some(DEPLOYMENT));
    let mut claims = skillstown_claims(&nonce);
    claims[lti("deployment_id")] = json!("dep-9");
    claims[lti("version")] = json!("1.3.0");
    let err = launch(&world, &state, id_token(&claims)).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownDeployment(d) if d == "dep-9"),
        "{err:?}"
    );
}

#[test]
fn minimal_claims_loosen_no_security_check() {
    let world = skillstown();
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 4] = [
        ("iss", |c| c["iss"] = json!("https://evil.example.com")),
        ("exp", |c| c["exp"] = json!(NOW - 3600)),
        ("nonce", |c| c["nonce"] = json!("not-ours")),
        ("aud", |c| c["aud"] = json!("Other Corp")),
    ];
    for (name, edit) in cases {
        let (state, nonce) = login_for(&world, Some(DEPLOYMENT));
        let mut claims = skillstown_claims(&nonce);
        edit(&mut claims);
        let err = launch(&world, &state, id_token(&claims)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{name}: {err:?}");
    }
    let (state, nonce) = login_for(&world, Some(DEPLOYMENT));
    let forged = sign(
        &json!({"alg": "RS256", "kid": signing_key(PLATFORM_PEM).kid}),
        &skillstown_claims(&nonce),
        ATTACKER_PEM,
    );
    assert!(matches!(
        launch(&world, &state, forged),
        Err(Error::BadSignature)
    ));
}

// ---- the registration and deployment travel with the launch ----

fn assertion_config() -> AssertionConfig {
    AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    }
}

#[test]
fn a_skillstown_launch_keeps_its_registration_through_assertion_service_token_and_session() {
    let world = skillstown();
    let launch = skillstown_launch(&world, Some(DEPLOYMENT)).unwrap();
    let (key, config) = (signing_key(TOOL_PEM), assertion_config());
    let assertion = block_on(issue_assertion(
        &RustCrypto,
        &key,
        &config,
        launch.asserted(),
        &world.rng,
        NOW,
    ))
    .unwrap();
    let keys = [key];
    let claims = block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &assertion,
        NOW,
    ))
    .unwrap();
    assert_eq!(claims.platform(), &launch_platform());
    assert_eq!(claims.lti()["aud"], COMPANY, "lti as received");
    // No message claims: the view says what the worker made of the launch.
    let view: serde_json::Value = serde_json::from_str(launch.view().get()).unwrap();
    assert_eq!(view["message_type"], "LtiResourceLinkRequest");
    assert_eq!(view["platform"]["deployment_id"], DEPLOYMENT);
    assert!(view["user"].get("roles").is_none(), "no roles claim");
    assert_eq!(
        view["services"],
        serde_json::json!({"grades": true, "line_items": false, "roster": false, "deep_linking": false})
    );
    let platforms = world.ports().cached_platforms();
    let registration = block_on(claims.grant().registration(&platforms)).unwrap();
    assert!(registration.minimal_claims());

    let grant = claims.grant();
    let (token, _) = block_on(issue_service_token(
        &RustCrypto,
        &keys[0],
        &config,
        grant,
        &world.rng,
        NOW,
        3600,
    ))
    .unwrap();
    let service = block_on(verify_assertion(&RustCrypto, &keys, &config, &token, NOW)).unwrap();
    assert_eq!(service.token_use(), Some(SERVICE_TOKEN_USE));
    assert_eq!(service.platform(), &launch_platform());
    assert!(block_on(service.grant().registration(&platforms)).is_ok());
    assert_eq!(
        service.grant().ags().unwrap().lineitem.as_deref(),
        Some("https://lms.example.edu/courses/3/lineitems/7/scores")
    );

    let ports = world.ports();
    let session = stored_session(&world, launch.asserted());
    assert_eq!(session.platform, launch_platform());
    assert_eq!(session.lti.get(), launch.claims().get());
    block_on(check_session_grant(&ports, &session)).unwrap();
}

#[test]
fn tokens_and_sessions_without_the_platform_claim_are_not_honoured() {
    let world = World::new();
    let key = signing_key(TOOL_PEM);
    let config = assertion_config();
    let old = json!({
        "iss": TOOL, "aud": "https://origin", "iat": NOW, "exp": NOW + 300,
        "jti": "j", "lti": launch_claims("n"),
    });
    let kid = key.kid.clone();
    let token = sign(&json!({"alg": "RS256", "kid": kid}), &old, TOOL_PEM);
    let err = block_on(verify_assertion(&RustCrypto, &[key], &config, &token, NOW));
    assert!(
        matches!(err, Err(Error::InvalidAssertion("claims"))),
        "{err:?}"
    );

    let id = "a".repeat(43);
    let stored = json!({"lti": launch_claims("n"), "expires_at": NOW + 60}).to_string();
    let entries = &world.store.entries;
    entries.borrow_mut().insert(format!("session:{id}"), stored);
    let session = block_on(load_session(&world.store, &id, NOW)).unwrap();
    assert!(session.is_none(), "an old session counts as none");
    // Nor one stored before the view was kept: the view is never recomputed.
    let platform = json!({"issuer": ISSUER, "client_id": CLIENT_ID, "deployment_id": DEPLOYMENT});
    let stored = json!({"lti": launch_claims("n"), "platform": platform, "expires_at": NOW + 60});
    entries
        .borrow_mut()
        .insert(format!("session:{id}"), stored.to_string());
    let session = block_on(load_session(&world.store, &id, NOW)).unwrap();
    assert!(
        session.is_none(),
        "a session without the view counts as none"
    );
}

// ---- deployment_ids ["*"] ----

#[test]
fn deployments_seen_under_a_star_registration_are_recorded_once_an_hour() {
    let world = world_with(|r| r["deployment_ids"] = json!(["*"]));
    let launch_as = |deployment: &str| {
        let (state, nonce) = login(&world);
        let mut claims = launch_claims(&nonce);
        claims[lti("deployment_id")] = json!(deployment);
        let now = world.now.get();
        (claims["iat"], claims["exp"]) = (json!(now), json!(now + 300));
        // Verified only: the recording is what is measured below.
        let request = LaunchRequest {
            id_token: id_token(&claims),
            state,
        };
        block_on(verify_launch(&request, true, &world.ports(), &tool())).unwrap()
    };
    // The store round trips of recording a launch's deployment.
    let record = |launch: &VerifiedLaunch| {
        let (reads, writes) = (world.store.reads.get(), world.store.writes.get());
        block_on(record_deployment(&world.ports(), launch)).unwrap();
        (
            world.store.reads.get() - reads,
            world.store.writes.get() - writes,
        )
    };
    let seen = |platform: &LaunchPlatform| -> DeploymentSeen {
        let entries = world.store.entries.borrow();
        serde_json::from_str(&entries[&deployment_key(platform)]).unwrap()
    };
    let (a, b) = (launch_as("course-a"), launch_as("course-b"));
    assert_eq!(record(&a), (1, 1));
    assert_eq!(record(&b), (1, 1));
    let (a, b) = (a.platform().clone(), b.platform().clone());
    assert_eq!(
        deployment_key(&a),
        format!("deployment:{ISSUER}#{CLIENT_ID}#course-a")
    );
    let first = DeploymentSeen {
        first_seen: NOW,
        last_seen: NOW,
    };
    assert_eq!((seen(&a), seen(&b)), (first, first));

    // Within the hour, a warm isolate neither reads nor writes the record.
    world.now.set(NOW + RECORD_INTERVAL - 1);
    assert_eq!(record(&launch_as("course-a")), (0, 0));
    assert_eq!(seen(&a), first);

    world.now.set(NOW + RECORD_INTERVAL);
    assert_eq!(record(&launch_as("course-a")), (1, 1));
    let later = DeploymentSeen {
        first_seen: NOW,
        last_seen: NOW + RECORD_INTERVAL,
    };
    assert_eq!(seen(&a), later, "first_seen kept");
}

#[test]
fn listed_deployments_are_not_recorded() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let launch = launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    let writes = world.store.writes.get();
    block_on(record_deployment(&world.ports(), &launch)).unwrap();
    assert_eq!(world.store.writes.get(), writes);
}

// ---- token_audience ----

/// The claims of the client assertion sent to `registration`'s token endpoint.
fn client_assertion_claims(registration: &PlatformRegistration) -> Value {
    let world = World::new();
    let key = signing_key(TOOL_PEM);
    let jwt = block_on(client_assertion(
        &RustCrypto,
        &key,
        registration,
        &world.rng,
        NOW,
    ))
    .unwrap();
    serde_json::from_slice(&b64::decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[test]
fn client_assertions_name_the_token_audience_else_the_token_endpoint_as_a_string() {
    let key = format!("{ISSUER}#{CLIENT_ID}");
    let plain = PlatformRegistration::parse(&key, &registration_json()).unwrap();
    assert_eq!(
        client_assertion_claims(&plain)["aud"],
        json!("https://lms.example.edu/token")
    );
    let mut with: Value = serde_json::from_str(&registration_json()).unwrap();
    with["token_audience"] = json!("https://auth.brightspace.com/core/connect/token");
    let brightspace = PlatformRegistration::parse(&key, &with.to_string()).unwrap();
    let claims = client_assertion_claims(&brightspace);
    assert_eq!(
        claims["aud"],
        json!("https://auth.brightspace.com/core/connect/token"),
        "a string, never an array"
    );
    assert_eq!(
        (&claims["iss"], &claims["sub"]),
        (&json!(CLIENT_ID), &json!(CLIENT_ID))
    );
}
