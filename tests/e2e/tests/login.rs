//! `/lti/login` and `/.well-known/jwks.json`.

use lti_edge_e2e::{Browser, Login, Stack};

use crate::common::*;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "login::jwks_publishes_public_keys_only",
        jwks_publishes_public_keys_only,
    ),
    (
        "login::get_redirects_with_every_parameter",
        get_redirects_with_every_parameter,
    ),
    (
        "login::post_form_redirects_and_accepts_deployment_id_alias",
        post_form_redirects,
    ),
    (
        "login::single_registration_needs_no_client_id",
        single_registration_needs_no_client_id,
    ),
    (
        "login::several_registrations_need_client_id",
        several_registrations_need_client_id,
    ),
    (
        "login::rejects_unknown_platform_and_client",
        rejects_unknown_platform_and_client,
    ),
    (
        "login::rejects_missing_parameters",
        rejects_missing_parameters,
    ),
    (
        "login::rejects_foreign_target_link_uri",
        rejects_foreign_target_link_uri,
    ),
    (
        "login::rejects_unknown_deployment",
        rejects_unknown_deployment,
    ),
    (
        "login::rejects_wrong_methods_and_content_types",
        rejects_wrong_methods_and_content_types,
    ),
];

fn jwks_publishes_public_keys_only(stack: &Stack) {
    let reply = Browser::default().get(&stack.url("/.well-known/jwks.json"));
    assert_eq!(reply.status, 200);
    let jwks: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let types: Vec<_> = keys.iter().map(|k| k["kty"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["EC", "RSA"],
        "generated: P-256 for the origin, RSA for platforms"
    );
    for key in keys {
        assert!(
            key["kid"].as_str().is_some_and(|k| !k.is_empty()),
            "every key has a kid"
        );
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "private part `{private}` published"
            );
        }
    }
    let again = Browser::default().get(&stack.url("/.well-known/jwks.json"));
    assert_eq!(again.body, reply.body, "the generated key is kept");
}

fn get_redirects_with_every_parameter(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "login-get");
    let login = Login::new(stack, "a", &target)
        .with("lti_message_hint", "opaque hint")
        .with("client_id", "tool-a2")
        .with("lti_deployment_id", "a2-dep-1");
    let reply = browser.get(&login.url());
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(&format!("{}/authorize?", stack.platform.issuer("a"))));
    let q = reply.location_query();
    for (name, value) in [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", "tool-a2"),
        ("login_hint", "user-123"),
        ("lti_message_hint", "opaque hint"),
    ] {
        assert_eq!(q.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert_eq!(q["redirect_uri"], stack.url("/lti/launch"));
    assert!(
        q["state"].len() >= 22 && q["nonce"].len() >= 22,
        "at least 128 bits each"
    );
    assert_ne!(q["state"], q["nonce"]);
    let cookie = reply
        .set_cookies()
        .into_iter()
        .find(|c| c.contains(&q["state"]))
        .expect("state cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=None", "Partitioned"] {
        assert!(
            cookie.contains(attribute),
            "state cookie lacks {attribute}: {cookie}"
        );
    }
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

fn post_form_redirects(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "login-post");
    let login = Login::new(stack, "a", &target).with("client_id", "tool-a1");
    let known = login.clone().with("deployment_id", "a1-dep-2");
    let reply = browser.post_form(known.endpoint(), &known.fields());
    assert_eq!(reply.status, 302, "{}", reply.body);
    assert_eq!(reply.location_query()["client_id"], "tool-a1");
    let unknown = login.with("deployment_id", "nope");
    let unknown = browser.post_form(unknown.endpoint(), &unknown.fields());
    assert_eq!(
        unknown.status, 403,
        "the alias is checked like lti_deployment_id"
    );
}

fn single_registration_needs_no_client_id(stack: &Stack) {
    let target = target(stack, "login-single");
    let reply = Browser::default().get(&Login::new(stack, "b", &target).url());
    assert_eq!(reply.status, 302, "{}", reply.body);
    assert_eq!(reply.location_query()["client_id"], "tool-b1");
}

fn several_registrations_need_client_id(stack: &Stack) {
    let target = target(stack, "login-ambiguous");
    let reply = Browser::default().get(&Login::new(stack, "a", &target).url());
    assert_rejected(stack, &reply, 400, "client_id", "login-ambiguous");
    assert!(reply.header("location").is_none());
}

fn rejects_unknown_platform_and_client(stack: &Stack) {
    let target = target(stack, "login-unknown");
    for (iss, client) in [
        ("https://unknown.example.edu", "tool-a1"),
        (stack.platform.issuer("a").as_str(), "tool-zz"),
    ] {
        let login = Login::new(stack, "a", &target)
            .with("iss", iss)
            .with("client_id", client);
        let reply = Browser::default().get(&login.url());
        assert_rejected(stack, &reply, 403, "unknown platform", "login-unknown");
        assert!(reply.header("location").is_none());
    }
}

fn rejects_missing_parameters(stack: &Stack) {
    let login = Login::new(stack, "a", &target(stack, "login-missing"));
    for missing in ["iss", "login_hint", "target_link_uri"] {
        let url = login.clone().without(missing).url();
        let reply = Browser::default().get(&url);
        assert_rejected(stack, &reply, 400, missing, "login-missing");
    }
}

fn rejects_foreign_target_link_uri(stack: &Stack) {
    for target in [
        "https://evil.example.com/t/x",
        "http://127.0.0.1:1/t/x",
        "javascript:alert(1)",
        "/t/x",
    ] {
        let reply = Browser::default().get(&Login::new(stack, "b", target).url());
        assert_eq!(reply.status, 400, "{target}: {}", reply.body);
        assert!(reply.body.contains("target_link_uri"));
        assert!(reply.header("location").is_none(), "no open redirect");
    }
}

fn rejects_unknown_deployment(stack: &Stack) {
    let target = target(stack, "login-dep");
    let login = Login::new(stack, "b", &target).with("lti_deployment_id", "not-registered");
    let reply = Browser::default().get(&login.url());
    assert_rejected(stack, &reply, 403, "unknown deployment", "login-dep");
}

fn rejects_wrong_methods_and_content_types(stack: &Stack) {
    let browser = Browser::default();
    let reply = browser.post_raw(
        &stack.url("/lti/login"),
        "application/json",
        r#"{"iss":"x"}"#,
    );
    assert_rejected(stack, &reply, 400, "content-type", "none");
    let reply = browser.get(&stack.url("/lti/launch"));
    assert_eq!(reply.status, 405);
    let reply = browser.get(&stack.url("/lti/unknown"));
    assert_eq!(reply.status, 404);
}
