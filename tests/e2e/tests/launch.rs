//! `/lti/launch`: a real browser flow, then every rejection, each proving the
//! origin received nothing.

use dev_platform::{verify_rs256_or_es256, SigningKeyChoice};
use lti_edge_e2e::{forge, Browser, Reply, Stack};
use serde_json::{json, Value};

use crate::common::*;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "launch::browser_flow_through_the_dev_platform",
        browser_flow_through_the_dev_platform,
    ),
    (
        "launch::origin_gets_a_verifiable_assertion",
        origin_gets_a_verifiable_assertion,
    ),
    (
        "launch::second_launch_does_not_fetch_jwks",
        second_launch_does_not_fetch_jwks,
    ),
    (
        "launch::deep_linking_launch_reaches_its_target",
        deep_linking_launch_reaches_its_target,
    ),
    (
        "launch::two_client_ids_on_one_issuer",
        two_client_ids_on_one_issuer,
    ),
    ("launch::rejects_replayed_token", rejects_replayed_token),
    (
        "launch::rejects_missing_state_cookie",
        rejects_missing_state_cookie,
    ),
    (
        "launch::rejects_state_of_another_login",
        rejects_state_of_another_login,
    ),
    ("launch::rejects_unknown_state", rejects_unknown_state),
    ("launch::rejects_foreign_nonce", rejects_foreign_nonce),
    ("launch::rejects_expired_token", rejects_expired_token),
    ("launch::rejects_future_iat", rejects_future_iat),
    ("launch::rejects_wrong_aud", rejects_wrong_aud),
    (
        "launch::rejects_several_aud_without_azp",
        rejects_several_aud_without_azp,
    ),
    ("launch::rejects_wrong_azp", rejects_wrong_azp),
    ("launch::rejects_wrong_issuer", rejects_wrong_issuer),
    (
        "launch::rejects_unknown_deployment",
        rejects_unknown_deployment,
    ),
    ("launch::rejects_wrong_version", rejects_wrong_version),
    ("launch::rejects_missing_claims", rejects_missing_claims),
    (
        "launch::rejects_unsupported_message_type",
        rejects_unsupported_message_type,
    ),
    (
        "launch::rejects_foreign_target_link_uri",
        rejects_foreign_target_link_uri,
    ),
    (
        "launch::rejects_tampered_signature",
        rejects_tampered_signature,
    ),
    ("launch::rejects_alg_none", rejects_alg_none),
    (
        "launch::rejects_hs256_keyed_with_public_key",
        rejects_hs256_keyed_with_public_key,
    ),
    (
        "launch::rejects_unknown_kid_after_one_refetch",
        rejects_unknown_kid_after_one_refetch,
    ),
    (
        "launch::rejects_another_platforms_key",
        rejects_another_platforms_key,
    ),
    ("launch::rejects_jku_header", rejects_jku_header),
    ("launch::rejects_malformed_tokens", rejects_malformed_tokens),
    ("launch::rejects_oversized_bodies", rejects_oversized_bodies),
    ("launch::reports_platform_errors", reports_platform_errors),
    (
        "launch::follows_platform_key_rotation",
        follows_platform_key_rotation,
    ),
];

/// Start → login → authorize → launch, following the pages as a browser would.
fn browser_flow_through_the_dev_platform(stack: &Stack) {
    let browser = Browser::default();
    let start = format!(
        "{}/a/start?client_id=tool-a1&deployment_id=a1-dep-1&message_type=LtiResourceLinkRequest",
        stack.platform.base_url()
    );
    let to_login = browser.get(&start);
    let to_authorize = browser.get(
        to_login
            .header("location")
            .expect("start redirects to login"),
    );
    assert_eq!(to_authorize.status, 302, "{}", to_authorize.body);
    let form = browser.get(to_authorize.header("location").unwrap());
    assert_eq!(
        form.status, 200,
        "authorize accepted the request: {}",
        form.body
    );
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = form
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name}"))
            + marker.len();
        form.body[start..].split('"').next().unwrap().to_owned()
    };
    let reply = launch(stack, &browser, &field("state"), &field("id_token"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "origin saw /course/welcome");
    assert!(reply
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("__Host-lti_session=")));
    let seen = stack.origin.requests_to("/course/welcome");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].assertion().is_some());
}

/// The worker's published keys.
pub fn worker_jwks(stack: &Stack) -> Value {
    let reply = Browser::default().get(&stack.url("/.well-known/jwks.json"));
    serde_json::from_str(&reply.body).unwrap()
}

/// Verifies an assertion as an origin would, and returns its claims.
pub fn verify_assertion(stack: &Stack, assertion: &str) -> Value {
    remember(assertion);
    let (header, claims) =
        verify_rs256_or_es256(assertion, &worker_jwks(stack)).expect("assertion verifies");
    assert_eq!(
        header["alg"], "ES256",
        "signed with the generated P-256 key"
    );
    assert_eq!(claims["iss"], stack.worker);
    assert_eq!(claims["aud"], stack.origin.base_url());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 300);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    claims
}

fn origin_gets_a_verifiable_assertion(stack: &Stack) {
    let browser = Browser::default();
    let target = format!("{}?section=2&q=a%20b", target(stack, "assertion"));
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let id_claims = claims(stack, &nonce, &target);
    let reply = launch(
        stack,
        &browser,
        &state,
        &stack.platform.sign_id_token("a", &id_claims),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("x-origin"),
        Some("1"),
        "the origin's headers pass back"
    );
    let cache_control = reply.header("cache-control");
    assert_eq!(
        cache_control,
        Some("no-store"),
        "a launch answer is never cached"
    );
    let seen = stack.origin.requests_to("/t/assertion");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].url, "/t/assertion?section=2&q=a%20b",
        "path and query of target_link_uri"
    );
    let claims = verify_assertion(stack, seen[0].assertion().unwrap());
    assert_eq!(claims["sub"], "user-123");
    assert_eq!(
        claims["lti"], id_claims,
        "every claim of the id_token, as received"
    );
    let session = reply
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-lti_session="))
        .unwrap();
    for attribute in ["Secure", "HttpOnly", "SameSite=None", "Partitioned"] {
        assert!(
            session.contains(attribute),
            "session cookie lacks {attribute}"
        );
    }
    assert!(
        reply
            .set_cookies()
            .iter()
            .any(|c| c.contains(&state) && c.contains("Max-Age=0")),
        "the state cookie is cleared"
    );
}

fn second_launch_does_not_fetch_jwks(stack: &Stack) {
    let before = stack.platform.jwks_fetches("a");
    for name in ["cached-1", "cached-2"] {
        let reply = launch_with(stack, name, |_| {});
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(
        stack.platform.jwks_fetches("a"),
        before,
        "keys come from the cache"
    );
}

fn deep_linking_launch_reaches_its_target(stack: &Stack) {
    let deep_linking = As {
        message_type: "LtiDeepLinkingRequest",
        ..A1
    };
    let reply = launch_as(stack, &deep_linking, "deep-link", |_| {});
    assert_eq!(reply.status, 200, "{}", reply.body);
    let seen = stack.origin.requests_to("/t/deep-link");
    let lti = verify_assertion(stack, seen[0].assertion().unwrap())["lti"].clone();
    assert_eq!(
        lti["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingRequest"
    );
}

fn two_client_ids_on_one_issuer(stack: &Stack) {
    let a2 = As {
        client_id: "tool-a2",
        deployment_id: "a2-dep-1",
        ..A1
    };
    let reply = launch_as(stack, &a2, "client-a2", |_| {});
    assert_eq!(reply.status, 200, "{}", reply.body);
    // tool-a1's deployment is not tool-a2's.
    let wrong = As {
        deployment_id: "a1-dep-1",
        ..a2
    };
    let reply = launch_as(stack, &wrong, "client-a2-wrong", |_| {});
    assert_rejected(stack, &reply, 403, "unknown deployment", "client-a2-wrong");
}

fn rejects_replayed_token(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "replay");
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let token = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    assert_eq!(launch(stack, &browser, &state, &token).status, 200);
    // The browser lost its state cookie with the first launch; put it back.
    browser
        .cookies
        .borrow_mut()
        .insert(format!("__Host-lti_state_{state}"), "1".into());
    let replay = launch(stack, &browser, &state, &token);
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(replay.body.contains("state"));
    // A fresh login does not revive the nonce either.
    let (state2, _) = login(stack, &browser, "a", "tool-a1", &target);
    let replay = launch(stack, &browser, &state2, &token);
    assert_eq!(replay.status, 401);
    assert!(replay.body.contains("nonce"), "{}", replay.body);
    assert_eq!(
        stack.origin.requests_to("/t/replay").len(),
        1,
        "only the first launch got through"
    );
}

fn rejects_missing_state_cookie(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "no-cookie");
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let token = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    let reply = launch(stack, &Browser::default(), &state, &token);
    assert_rejected(stack, &reply, 401, "state", "no-cookie");
}

fn rejects_state_of_another_login(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "state-mix");
    let (_, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let (other_state, _) = login(stack, &browser, "a", "tool-a1", &target);
    let token = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    let reply = launch(stack, &browser, &other_state, &token);
    assert_rejected(stack, &reply, 401, "nonce", "state-mix");
}

fn rejects_unknown_state(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "state-unknown");
    let (_, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    browser
        .cookies
        .borrow_mut()
        .insert("__Host-lti_state_forged".into(), "1".into());
    let token = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    let reply = launch(stack, &browser, "forged", &token);
    assert_rejected(stack, &reply, 401, "state", "state-unknown");
}

fn rejects_foreign_nonce(stack: &Stack) {
    let reply = launch_with(stack, "nonce", |c| c["nonce"] = json!("minted-elsewhere"));
    assert_rejected(stack, &reply, 401, "nonce", "nonce");
}

fn rejects_expired_token(stack: &Stack) {
    let reply = launch_with(stack, "expired", |c| {
        let now = c["iat"].as_u64().unwrap();
        c["iat"] = json!(now - 3600);
        c["exp"] = json!(now - 600);
    });
    assert_rejected(stack, &reply, 401, "expired", "expired");
}

fn rejects_future_iat(stack: &Stack) {
    let reply = launch_with(stack, "future", |c| {
        let now = c["iat"].as_u64().unwrap();
        c["iat"] = json!(now + 3600);
        c["exp"] = json!(now + 3900);
    });
    assert_rejected(stack, &reply, 401, "iat", "future");
}

fn rejects_wrong_aud(stack: &Stack) {
    let reply = launch_with(stack, "aud", |c| c["aud"] = json!("tool-a2"));
    assert_rejected(stack, &reply, 401, "aud", "aud");
}

fn rejects_several_aud_without_azp(stack: &Stack) {
    let reply = launch_with(stack, "azp-missing", |c| {
        c["aud"] = json!(["tool-a1", "other"])
    });
    assert_rejected(stack, &reply, 401, "azp", "azp-missing");
}

fn rejects_wrong_azp(stack: &Stack) {
    let reply = launch_with(stack, "azp", |c| {
        c["aud"] = json!(["tool-a1", "other"]);
        c["azp"] = json!("other");
    });
    assert_rejected(stack, &reply, 401, "azp", "azp");
}

fn rejects_wrong_issuer(stack: &Stack) {
    let issuer_b = stack.platform.issuer("b");
    let reply = launch_with(stack, "iss", |c| c["iss"] = json!(issuer_b));
    assert_rejected(stack, &reply, 401, "iss", "iss");
}

fn lti(name: &str) -> String {
    format!("https://purl.imsglobal.org/spec/lti/claim/{name}")
}

fn rejects_unknown_deployment(stack: &Stack) {
    let reply = launch_with(stack, "deployment", |c| {
        c[lti("deployment_id")] = json!("a1-dep-9")
    });
    assert_rejected(stack, &reply, 403, "unknown deployment", "deployment");
}

fn rejects_wrong_version(stack: &Stack) {
    let reply = launch_with(stack, "version", |c| c[lti("version")] = json!("1.1.0"));
    assert_rejected(stack, &reply, 401, "version", "version");
}

/// A claim the message type requires is a malformed message (400); the
/// others fail verification (401).
fn rejects_missing_claims(stack: &Stack) {
    for (claim, shown, status) in [
        (lti("message_type"), "message_type", 401),
        (lti("version"), "version", 401),
        (lti("deployment_id"), "deployment_id", 401),
        (lti("resource_link"), "resource_link.id", 400),
        (lti("roles"), "roles", 400),
        (lti("target_link_uri"), "target_link_uri", 400),
        ("exp".to_owned(), "exp", 401),
        ("iat".to_owned(), "iat", 401),
        ("aud".to_owned(), "aud", 401),
    ] {
        let name = format!("missing-{shown}");
        let reply = launch_with(stack, &name, |c| {
            c.as_object_mut().unwrap().remove(&claim);
        });
        assert_rejected(stack, &reply, status, shown, &name);
    }
}

fn rejects_unsupported_message_type(stack: &Stack) {
    let reply = launch_with(stack, "msg", |c| {
        c[lti("message_type")] = json!("LtiStartProctoring")
    });
    assert_rejected(stack, &reply, 400, "message_type", "msg");
}

fn rejects_foreign_target_link_uri(stack: &Stack) {
    let reply = launch_with(stack, "target", |c| {
        c[lti("target_link_uri")] = json!("https://evil.example.com/t/target")
    });
    assert_rejected(stack, &reply, 400, "target_link_uri", "target");
}

/// Logs in and launches a token made by `forge` from valid claims.
fn forged_launch(stack: &Stack, name: &str, forge: impl FnOnce(&Value) -> String) -> Reply {
    let browser = Browser::default();
    let target = target(stack, name);
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    launch(
        stack,
        &browser,
        &state,
        &forge(&claims(stack, &nonce, &target)),
    )
}

fn rejects_tampered_signature(stack: &Stack) {
    // The same header and signature over other claims.
    let reply = forged_launch(stack, "tampered", |c| {
        forge::tampered(&stack.platform, "a", c)
    });
    assert_rejected(stack, &reply, 401, "signature", "tampered");
}

fn rejects_alg_none(stack: &Stack) {
    let reply = forged_launch(stack, "alg-none", forge::alg_none);
    assert_rejected(stack, &reply, 401, "algorithm", "alg-none");
}

fn rejects_hs256_keyed_with_public_key(stack: &Stack) {
    let reply = forged_launch(stack, "hs256", |c| {
        forge::hs256_with_public_key(&stack.platform, "a", c)
    });
    assert_rejected(stack, &reply, 401, "algorithm", "hs256");
}

/// Unknown `kid`s refetch at most once per this long.
fn wait_for_refetch_cooldown() {
    std::thread::sleep(std::time::Duration::from_secs(6));
}

fn rejects_unknown_kid_after_one_refetch(stack: &Stack) {
    wait_for_refetch_cooldown();
    let before = stack.platform.jwks_fetches("a");
    for i in 0..4 {
        let name = format!("kid-{i}");
        let reply = forged_launch(stack, &name, |c| {
            let header = json!({"alg": "RS256", "kid": format!("no-such-kid-{i}")});
            stack
                .platform
                .sign_raw(&header, c, SigningKeyChoice::Active("a".into()))
        });
        assert_rejected(stack, &reply, 401, &format!("no-such-kid-{i}"), &name);
    }
    assert_eq!(
        stack.platform.jwks_fetches("a"),
        before + 1,
        "one refetch, then no storm"
    );
}

fn rejects_another_platforms_key(stack: &Stack) {
    let reply = forged_launch(stack, "other-key", |c| {
        let kid = stack.platform.key_id(SigningKeyChoice::Active("a".into()));
        stack.platform.sign_raw(
            &json!({"alg": "RS256", "kid": kid}),
            c,
            SigningKeyChoice::Active("b".into()),
        )
    });
    assert_rejected(stack, &reply, 401, "signature", "other-key");
}

fn rejects_jku_header(stack: &Stack) {
    let before = stack.platform.jwks_fetches("attacker");
    let reply = forged_launch(stack, "jku", |c| {
        let header = json!({
            "alg": "RS256",
            "kid": stack.platform.key_id(SigningKeyChoice::Attacker),
            "jku": format!("{}/attacker/jwks", stack.platform.base_url()),
        });
        stack
            .platform
            .sign_raw(&header, c, SigningKeyChoice::Attacker)
    });
    assert_rejected(stack, &reply, 401, "key", "jku");
    assert_eq!(
        stack.platform.jwks_fetches("attacker"),
        before,
        "jku is never followed"
    );
}

fn rejects_malformed_tokens(stack: &Stack) {
    for (i, token) in forge::malformed().iter().enumerate() {
        let name = format!("malformed-{i}");
        let reply = forged_launch(stack, &name, |_| token.to_string());
        assert_rejected(stack, &reply, 400, "malformed", &name);
    }
    let browser = Browser::default();
    let reply = browser.post_form(&stack.url("/lti/launch"), &[("state", "s")]);
    assert_rejected(stack, &reply, 400, "id_token", "none");
    let reply = browser.post_form(&stack.url("/lti/launch"), &[("id_token", "a.b.c")]);
    assert_rejected(stack, &reply, 400, "state", "none");
}

fn rejects_oversized_bodies(stack: &Stack) {
    let browser = Browser::default();
    let huge = format!("state=s&id_token={}", "a".repeat(100 * 1024));
    let reply = browser.post_raw(
        &stack.url("/lti/launch"),
        "application/x-www-form-urlencoded",
        &huge,
    );
    assert_rejected(stack, &reply, 413, "too large", "none");
    let long_token = format!("state=s&id_token={}", "a".repeat(40 * 1024));
    let reply = browser.post_raw(
        &stack.url("/lti/launch"),
        "application/x-www-form-urlencoded",
        &long_token,
    );
    assert_rejected(stack, &reply, 400, "id_token is too large", "none");
}

fn reports_platform_errors(stack: &Stack) {
    let reply = Browser::default().post_form(
        &stack.url("/lti/launch"),
        &[
            ("error", "login_required"),
            ("error_description", "<script>x</script>"),
            ("state", "s"),
        ],
    );
    assert_rejected(stack, &reply, 403, "login_required", "none");
    assert!(!reply.body.contains("<script>"), "platform text is escaped");
}

/// Runs last among launches: it changes platform a's signing key.
fn follows_platform_key_rotation(stack: &Stack) {
    wait_for_refetch_cooldown();
    let before = stack.platform.jwks_fetches("a");
    stack.platform.rotate_key("a");
    let reply = launch_with(stack, "rotated", |_| {});
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        stack.platform.jwks_fetches("a"),
        before + 1,
        "the new kid caused one refetch"
    );
    let reply = launch_with(stack, "rotated-2", |_| {});
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(stack.platform.jwks_fetches("a"), before + 1);
}
