//! The login -> launch -> assertion flow, natively, with in-memory ports.

mod support;

use lti_core::assertion::{issue_assertion, verify_assertion, AssertedLaunch, AssertionConfig};
use lti_core::launch::{settle_launch, verify_launch, LaunchRequest, MessageType, VerifiedLaunch};
use lti_core::login::{initiate_login, LoginRequest};
use lti_core::registration::find_registration;
use lti_core::rust_crypto::RustCrypto;
use lti_core::Error;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use support::*;
use url::Url;

#[test]
fn login_redirects_with_every_parameter() {
    let world = World::new();
    let request = LoginRequest::from_params([
        ("iss", ISSUER),
        ("login_hint", "u1"),
        ("target_link_uri", "https://tool.example.com/x"),
        ("client_id", CLIENT_ID),
        ("deployment_id", DEPLOYMENT),
    ])
    .unwrap();
    assert_eq!(request.lti_deployment_id.as_deref(), Some(DEPLOYMENT));
    let reg = block_on(find_registration(&world.platforms, ISSUER, Some(CLIENT_ID))).unwrap();
    let redirect = initiate_login(&request, &reg, &tool(), &world.rng).unwrap();
    let url = Url::parse(&redirect.location).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["scope"], "openid");
    assert_eq!(query["response_type"], "id_token");
    assert_eq!(query["response_mode"], "form_post");
    assert_eq!(query["prompt"], "none");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], "https://tool.example.com/lti/launch");
    assert_eq!(query["login_hint"], "u1");
    assert_eq!(query["state"], redirect.state);
    assert_eq!(query["nonce"], redirect.login_state.nonce);
    assert!(!query.contains_key("lti_message_hint"));
    assert_ne!(redirect.state, redirect.login_state.nonce);
    assert_eq!(redirect.state.len(), 43, "256 bits, base64url");
}

#[test]
fn logins_without_client_id_list_the_registrations_once_per_isolate() {
    let world = World::new();
    let ports = world.ports();
    for _ in 0..3 {
        let reg = block_on(find_registration(&ports.cached_platforms(), ISSUER, None)).unwrap();
        assert_eq!(reg.client_id(), CLIENT_ID);
    }
    assert_eq!(
        world.platforms.reads.get(),
        2,
        "one list and one get, then memory"
    );
}

#[test]
fn login_rejects_missing_parameters_and_foreign_targets() {
    let err = LoginRequest::from_params([("iss", ISSUER), ("login_hint", "u")]).unwrap_err();
    assert!(matches!(err, Error::MissingParameter("target_link_uri")));
    let world = World::new();
    let reg = block_on(find_registration(&world.platforms, ISSUER, None)).unwrap();
    for target in [
        "https://evil.example.com/x",
        "http://tool.example.com/x",
        "/relative",
    ] {
        let request = LoginRequest::from_params([
            ("iss", ISSUER),
            ("login_hint", "u"),
            ("target_link_uri", target),
        ])
        .unwrap();
        let err = initiate_login(&request, &reg, &tool(), &world.rng).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ForeignTarget(_) | Error::InvalidParameter { .. }
            ),
            "{target}"
        );
    }
}

#[test]
fn login_needs_client_id_when_an_issuer_has_several_registrations() {
    let world = World::new();
    let second = registration_json().replace(CLIENT_ID, "client-2");
    world
        .platforms
        .entries
        .borrow_mut()
        .insert(format!("{ISSUER}#client-2"), second);
    let err = block_on(find_registration(&world.platforms, ISSUER, None)).unwrap_err();
    assert!(matches!(err, Error::AmbiguousPlatform(_)));
    let reg = block_on(find_registration(
        &world.platforms,
        ISSUER,
        Some("client-2"),
    ))
    .unwrap();
    assert_eq!(reg.client_id(), "client-2");
    let err = block_on(find_registration(&world.platforms, "https://other", None)).unwrap_err();
    assert!(matches!(err, Error::UnknownPlatform { .. }));
}

#[test]
fn accepts_a_valid_launch_with_claims_exactly_as_received() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let claims = launch_claims(&nonce);
    let launch = launch(&world, &state, id_token(&claims)).unwrap();
    assert_eq!(launch.message_type(), MessageType::ResourceLink);
    assert_eq!(launch.platform(), &launch_platform());
    assert_eq!(launch.sub(), Some("user-1"));
    assert_eq!(
        launch.target_link_uri().as_str(),
        "https://tool.example.com/course/1"
    );
    assert_eq!(launch.claims().get(), claims.to_string());
}

#[test]
fn claims_reach_the_assertion_byte_for_byte() {
    let world = World::new();
    let (state, nonce) = login(&world);
    // Layout, key order and number spelling a re-serialization would change.
    let pretty = serde_json::to_string_pretty(&launch_claims(&nonce)).unwrap();
    let payload = format!("{{ \"score\": 1.50, \"name\": \"\\u00e9\",{}", &pretty[1..]);
    let kid = signing_key(PLATFORM_PEM).kid;
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string();
    let token = sign_text(&header, &payload, PLATFORM_PEM);
    let launch = launch(&world, &state, token).unwrap();
    assert_eq!(launch.claims().get(), payload);

    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let key = signing_key(TOOL_PEM);
    let assertion = block_on(issue_assertion(
        &RustCrypto,
        &key,
        &config,
        launch.asserted(),
        &world.rng,
        NOW,
    ))
    .unwrap();
    let body = lti_core::b64::decode(assertion.split('.').nth(1).unwrap()).unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains(&format!("\"lti\":{payload}")), "{body}");
    assert!(body.contains(r#""sub":"user-1""#), "{body}");
}

#[test]
fn rejects_replayed_launch() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let token = id_token(&launch_claims(&nonce));
    launch(&world, &state, token.clone()).unwrap();
    assert!(matches!(
        launch(&world, &state, token.clone()),
        Err(Error::StateUnknown)
    ));
    // A fresh login does not make the old token's nonce valid again.
    let (state2, _) = login(&world);
    assert!(matches!(
        launch(&world, &state2, token),
        Err(Error::NonceMismatch)
    ));
}

#[test]
fn rejects_launch_without_state_cookie() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let request = LaunchRequest {
        id_token: id_token(&launch_claims(&nonce)),
        state,
    };
    let err = block_on(verify_launch(&request, false, &world.ports(), &tool())).unwrap_err();
    assert!(matches!(err, Error::StateCookieMissing));
}

#[test]
fn rejects_foreign_nonce() {
    let err = launch_with(|c| c["nonce"] = json!("not-ours")).unwrap_err();
    assert!(matches!(err, Error::NonceMismatch));
    assert!(matches!(
        launch_with(|c| c["nonce"] = json!(null)),
        Err(Error::NonceMismatch)
    ));
}

#[test]
fn rejects_bad_times() {
    let expired = launch_with(|c| c["exp"] = json!(NOW - 61)).unwrap_err();
    assert!(matches!(expired, Error::Expired));
    assert!(
        launch_with(|c| c["exp"] = json!(NOW - 30)).is_ok(),
        "within leeway"
    );
    let future = launch_with(|c| c["iat"] = json!(NOW + 3600)).unwrap_err();
    assert!(matches!(future, Error::NotYetValid("iat")));
    let nbf = launch_with(|c| c["nbf"] = json!(NOW + 3600)).unwrap_err();
    assert!(matches!(nbf, Error::NotYetValid("nbf")));
    let no_exp = launch_with(|c| c["exp"] = json!("soon")).unwrap_err();
    assert!(matches!(no_exp, Error::MissingClaim("exp")));
}

#[test]
fn rejects_wrong_audience_and_azp() {
    let aud = launch_with(|c| c["aud"] = json!("other")).unwrap_err();
    assert!(matches!(aud, Error::ClaimMismatch { claim: "aud", .. }));
    let many = launch_with(|c| c["aud"] = json!([CLIENT_ID, "other"])).unwrap_err();
    assert!(matches!(many, Error::MissingClaim("azp")));
    let azp = launch_with(|c| {
        c["aud"] = json!([CLIENT_ID, "other"]);
        c["azp"] = json!("other");
    });
    assert!(matches!(
        azp,
        Err(Error::ClaimMismatch { claim: "azp", .. })
    ));
    let ok = launch_with(|c| {
        c["aud"] = json!(["other", CLIENT_ID]);
        c["azp"] = json!(CLIENT_ID);
    });
    assert!(ok.is_ok());
}

#[test]
fn rejects_wrong_issuer_deployment_version_and_message() {
    let iss = launch_with(|c| c["iss"] = json!("https://evil.example.com")).unwrap_err();
    assert!(matches!(iss, Error::ClaimMismatch { claim: "iss", .. }));
    let dep = launch_with(|c| c[lti("deployment_id")] = json!("dep-9")).unwrap_err();
    assert!(matches!(dep, Error::UnknownDeployment(_)));
    let ver = launch_with(|c| c[lti("version")] = json!("1.1")).unwrap_err();
    assert!(matches!(
        ver,
        Error::ClaimMismatch {
            claim: "version",
            ..
        }
    ));
    let msg = launch_with(|c| c[lti("message_type")] = json!("LtiStartProctoring"));
    assert!(matches!(msg, Err(Error::UnsupportedMessageType(_))));
    let link = launch_with(|c| c[lti("resource_link")] = json!({})).unwrap_err();
    assert!(matches!(
        link,
        Error::MissingMessageClaim {
            claim: "resource_link.id",
            ..
        }
    ));
    assert_eq!(link.kind(), lti_core::ErrorKind::BadRequest);
    let roles = launch_with(|c| {
        c.as_object_mut()
            .unwrap()
            .remove(&lti("roles"))
            .map(drop)
            .unwrap()
    });
    assert!(matches!(
        roles,
        Err(Error::MissingMessageClaim { claim: "roles", .. })
    ));
    let target = launch_with(|c| c[lti("target_link_uri")] = json!("https://evil.example.com/"));
    assert!(matches!(
        target,
        Err(Error::ForeignTarget("target_link_uri"))
    ));
}

#[test]
fn accepts_deep_linking_without_target_link_uri() {
    let launch = launch_with(|c| {
        let c = c.as_object_mut().unwrap();
        c.remove(&lti("target_link_uri"));
        c.remove(&lti("resource_link"));
        c.insert(lti("message_type"), json!("LtiDeepLinkingRequest"));
        c.insert(
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
            json!({"deep_link_return_url": "https://lms.example.edu/dl"}),
        );
    })
    .unwrap();
    assert_eq!(launch.message_type(), MessageType::DeepLinking);
    assert_eq!(
        launch.target_link_uri().as_str(),
        "https://tool.example.com/course/1",
        "the login's"
    );
    let missing = launch_with(|c| c[lti("message_type")] = json!("LtiDeepLinkingRequest"));
    assert!(matches!(
        missing,
        Err(Error::MissingMessageClaim {
            message_type: "LtiDeepLinkingRequest",
            claim: "deep_linking_settings.deep_link_return_url",
        })
    ));
}

#[test]
fn rejects_forged_signatures_and_algorithms() {
    let world = World::new();
    let kid = signing_key(PLATFORM_PEM).kid;
    type Forge<'a> = Box<dyn Fn(&Value) -> String + 'a>;
    let cases: Vec<(&str, Forge)> = vec![
        (
            "tampered",
            Box::new(|c| {
                let token = id_token(c);
                let (rest, sig) = token.rsplit_once('.').unwrap();
                let mut sig = lti_core::b64::decode(sig).unwrap();
                sig[10] ^= 1;
                format!("{rest}.{}", lti_core::b64::encode(sig))
            }),
        ),
        (
            "alg none",
            Box::new(|c| {
                format!(
                    "{}.{}.",
                    lti_core::b64::encode(r#"{"alg":"none"}"#),
                    lti_core::b64::encode(c.to_string())
                )
            }),
        ),
        ("HS256 with the public key", Box::new(hs256_with_public_key)),
        (
            "attacker key under the platform kid",
            Box::new(|c| sign(&json!({"alg": "RS256", "kid": kid}), c, ATTACKER_PEM)),
        ),
        (
            "attacker key with jku",
            Box::new(|c| {
                let kid = signing_key(ATTACKER_PEM).kid;
                sign(
                    &json!({"alg": "RS256", "kid": kid, "jku": "https://evil/jwks"}),
                    c,
                    ATTACKER_PEM,
                )
            }),
        ),
        (
            "weak key",
            Box::new(|c| {
                let kid = signing_key(WEAK_PEM).kid;
                sign(&json!({"alg": "RS256", "kid": kid}), c, WEAK_PEM)
            }),
        ),
    ];
    *world.http.jwks.borrow_mut() = jwks(&[PLATFORM_PEM, WEAK_PEM]);
    for (name, forge) in cases {
        let (state, nonce) = login(&world);
        let err = launch(&world, &state, forge(&launch_claims(&nonce))).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadSignature | Error::AlgorithmNotAllowed(_) | Error::UnknownKey(_)
            ),
            "{name}: {err:?}"
        );
    }
}

fn hs256_with_public_key(claims: &Value) -> String {
    use hmac::{Hmac, Mac};
    let input = format!(
        "{}.{}",
        lti_core::b64::encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        lti_core::b64::encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(PLATFORM_PEM.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        lti_core::b64::encode(mac.finalize().into_bytes())
    )
}

#[test]
fn rejects_malformed_tokens_before_touching_storage() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let reads = world.store.reads.get();
    for token in ["", "a.b", "a.b.c", "!!.??.##", "e30.e30.e30.e30"] {
        let err = launch(&world, &state, token.into()).unwrap_err();
        assert!(matches!(err, Error::MalformedToken(_)), "{token}: {err:?}");
    }
    assert_eq!(world.store.reads.get(), reads, "no storage read");
    launch(&world, &state, id_token(&launch_claims(&nonce))).expect("the state is intact");
    let request =
        LaunchRequest::from_params([("id_token", "x".repeat(40_000).as_str()), ("state", "s")]);
    assert!(matches!(request, Err(Error::TooLarge { .. })));
    let platform_error = LaunchRequest::from_params([("error", "login_required")]).unwrap_err();
    assert!(matches!(platform_error, Error::PlatformError { .. }));
}

#[test]
fn a_launch_that_fails_a_check_does_not_burn_the_state() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let claims = launch_claims(&nonce);
    let genuine = id_token(&claims);
    let (rest, sig) = genuine.rsplit_once('.').unwrap();
    let mut sig = lti_core::b64::decode(sig).unwrap();
    sig[10] ^= 1;
    let forged = format!("{rest}.{}", lti_core::b64::encode(sig));
    let alg_none = format!(
        "{}.{}.",
        lti_core::b64::encode(r#"{"alg":"none"}"#),
        lti_core::b64::encode(claims.to_string())
    );
    // Signed by the platform, but for another login: its nonce is not this state's.
    let other_login = id_token(&launch_claims("another-login's-nonce"));
    let err = launch(&world, &state, forged).unwrap_err();
    assert!(matches!(err, Error::BadSignature), "{err:?}");
    let err = launch(&world, &state, alg_none).unwrap_err();
    assert!(matches!(err, Error::AlgorithmNotAllowed(_)), "{err:?}");
    let err = launch(&world, &state, other_login).unwrap_err();
    assert!(matches!(err, Error::NonceMismatch), "{err:?}");
    launch(&world, &state, genuine.clone()).expect("the state still serves its launch");
    assert!(matches!(
        launch(&world, &state, genuine),
        Err(Error::StateUnknown)
    ));
}

#[test]
fn a_launch_that_loses_the_claim_to_a_concurrent_one_fails() {
    let world = World::new();
    let (state, nonce) = login(&world);
    world.store.concurrent_takes.set(true);
    let err = launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap_err();
    assert!(matches!(err, Error::StateUnknown), "{err:?}");
}

#[test]
fn a_warm_isolate_reads_only_the_login_state_per_launch() {
    let world = World::new();
    let (state, nonce) = login(&world);
    launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    let (p, s, w) = (
        world.platforms.reads.get(),
        world.store.reads.get(),
        world.store.writes.get(),
    );
    let (state, nonce) = login(&world);
    assert_eq!(world.store.writes.get() - w, 1, "a login writes once");
    assert_eq!(
        world.platforms.reads.get() - p + world.store.reads.get() - s,
        0,
        "and reads nothing"
    );
    let (p, s) = (world.platforms.reads.get(), world.store.reads.get());
    launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    assert_eq!(world.platforms.reads.get() - p, 0);
    // One read: the login's claim. Its removal, like the session's write,
    // runs beside the origin request (`settle_launch`).
    assert_eq!(world.store.reads.get() - s, 1, "only the login state");
}

/// Verifies a fresh launch, for `settle_launch`.
fn verified(world: &World) -> VerifiedLaunch {
    let (state, nonce) = login(world);
    let request = LaunchRequest {
        id_token: id_token(&launch_claims(&nonce)),
        state,
    };
    block_on(verify_launch(&request, true, &world.ports(), &tool())).unwrap()
}

#[test]
fn a_launch_asks_the_origin_while_its_writes_are_under_way() {
    let world = World::new();
    let launch = verified(&world);
    let login_key = format!("login:{}", launch.login().unwrap());
    // The origin request, polled until the session is stored: it completes
    // only if the writes run while it waits.
    let mut polls = 0;
    let origin = std::future::poll_fn(|cx| {
        polls += 1;
        let stored = world.store.entries.borrow().contains_key("session:s1");
        if stored || polls > 3 {
            return std::task::Poll::Ready(stored);
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    });
    let stored = block_on(settle_launch(&world.ports(), &launch, "s1", 3600, origin)).unwrap();
    assert!(
        stored,
        "the session was written while the origin request waited"
    );
    assert!(!world.store.entries.borrow().contains_key(&login_key));
}

#[test]
fn a_failed_write_fails_the_launch_though_the_origin_answered() {
    let world = World::new();
    let launch = verified(&world);
    world.store.fail.set(true);
    let asked = std::cell::Cell::new(false);
    let origin = async { asked.set(true) };
    let err = block_on(settle_launch(&world.ports(), &launch, "s1", 3600, origin)).unwrap_err();
    assert_eq!(err.kind(), lti_core::ErrorKind::StorageUnavailable);
    assert!(asked.get());
}

#[test]
fn storage_failure_accepts_nothing() {
    let world = World::new();
    let (state, nonce) = login(&world);
    world.store.fail.set(true);
    let err = launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap_err();
    assert_eq!(err.kind(), lti_core::ErrorKind::StorageUnavailable);
}

#[test]
fn assertion_round_trip() {
    let world = World::new();
    let key = signing_key(TOOL_PEM);
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let lti = launch_claims("n").as_object().unwrap().clone();
    let text = RawValue::from_string(Value::Object(lti.clone()).to_string()).unwrap();
    let platform = launch_platform();
    let view = view_of(&text, &platform);
    let launch = AssertedLaunch {
        lti: &text,
        sub: Some("user-1"),
        platform: &platform,
        view: &view,
        session_token: None,
    };
    let token = block_on(issue_assertion(
        &RustCrypto,
        &key,
        &config,
        launch,
        &world.rng,
        NOW,
    ))
    .unwrap();
    let keys = [key];
    let claims = block_on(verify_assertion(&RustCrypto, &keys, &config, &token, NOW)).unwrap();
    assert_eq!(claims.sub(), Some("user-1"));
    assert_eq!(claims.lti(), &lti);
    assert_eq!(claims.platform(), &platform, "the platform claim");
    assert_eq!(claims.expires_at() - claims.issued_at(), 300);
    let later = block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &token,
        NOW + 300,
    ));
    assert!(matches!(later, Err(Error::InvalidAssertion("expired"))));
    let other = AssertionConfig {
        audience: "https://elsewhere".into(),
        ..config
    };
    let wrong = block_on(verify_assertion(&RustCrypto, &keys, &other, &token, NOW));
    assert!(matches!(wrong, Err(Error::InvalidAssertion("audience"))));
}

/// The payload of a compact JWS, as JSON.
fn payload(token: &str) -> Value {
    let body = lti_core::b64::decode(token.split('.').nth(1).unwrap()).unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn the_view_is_computed_at_launch_and_kept_with_the_session() {
    let world = World::new();
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    claims["name"] = json!("Ada Lovelace");
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] =
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]);
    claims["https://purl.imsglobal.org/spec/lti/claim/tool_platform"] = json!({"guid": "g-1"});
    let launch = launch(&world, &state, id_token(&claims)).unwrap();
    let (key, config) = (
        signing_key(TOOL_PEM),
        AssertionConfig {
            issuer: TOOL.into(),
            audience: "https://origin".into(),
        },
    );
    let issue = |asserted| {
        block_on(issue_assertion(
            &RustCrypto,
            &key,
            &config,
            asserted,
            &world.rng,
            NOW,
        ))
        .unwrap()
    };
    let at_launch = payload(&issue(launch.asserted()));
    assert_eq!(at_launch["user"]["name"], "Ada Lovelace");
    assert_eq!(at_launch["user"]["roles"], json!(["Learner"]));
    assert_eq!(
        at_launch["platform"],
        json!({"issuer": ISSUER, "client_id": CLIENT_ID, "deployment_id": DEPLOYMENT, "guid": "g-1"})
    );
    assert_eq!(at_launch["resource_link"], json!({"id": "rl-1"}));
    assert_eq!(at_launch["message_type"], "LtiResourceLinkRequest");
    assert_eq!(at_launch["lti"], claims, "lti as received, beside the view");

    let session = stored_session(&world, launch.asserted());
    assert_eq!(
        session.view.get(),
        launch.view().get(),
        "stored, not recomputed"
    );
    let sub = session.sub();
    let later = payload(&issue(session.asserted(sub.as_deref())));
    for member in [
        "user",
        "platform",
        "resource_link",
        "services",
        "lti",
        "sub",
    ] {
        assert_eq!(later[member], at_launch[member], "{member}");
    }
    let keys = [key.clone()];
    let verified = block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &issue(launch.asserted()),
        NOW,
    ))
    .unwrap();
    assert_eq!(
        verified.platform(),
        &launch_platform(),
        "read back as before"
    );
}

#[test]
fn service_tokens_carry_no_view() {
    use lti_core::assertion::issue_service_token;
    let world = World::new();
    let (state, nonce) = login(&world);
    let mut claims = launch_claims(&nonce);
    claims["name"] = json!("Ada Lovelace");
    claims["email"] = json!("ada@example.edu");
    let launch = launch(&world, &state, id_token(&claims)).unwrap();
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let lti = claims.as_object().unwrap().clone();
    let bearer = verified_bearer(&lti, launch.platform());
    let grant = bearer.grant();
    let (token, _) = block_on(issue_service_token(
        &RustCrypto,
        &signing_key(TOOL_PEM),
        &config,
        grant,
        &world.rng,
        NOW,
        60,
    ))
    .unwrap();
    let service = payload(&token);
    let members: Vec<&String> = service.as_object().unwrap().keys().collect();
    assert_eq!(
        members,
        [
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "lti",
            "platform",
            "sub",
            "token_use"
        ]
    );
    assert_eq!(
        service["platform"],
        json!({"issuer": ISSUER, "client_id": CLIENT_ID, "deployment_id": DEPLOYMENT})
    );
    assert!(
        !token_text(&token).contains("Ada"),
        "no names in service tokens"
    );
}

fn token_text(token: &str) -> String {
    String::from_utf8(lti_core::b64::decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}
