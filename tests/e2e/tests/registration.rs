//! LTI Dynamic Registration against the dev platform's `dynreg` profile: the
//! secret URL, the platform's token (or none), its failures, an existing
//! client, a foreign issuer, and a launch of the registration just made.

use dev_platform::RegistrationMode;
use lti_edge_e2e::{Browser, Reply, Stack};

use crate::common::*;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "registration::wrong_secret_is_404_and_fetches_nothing",
        wrong_secret_is_404_and_fetches_nothing,
    ),
    (
        "registration::with_a_token_registers_and_launches",
        with_a_token_registers_and_launches,
    ),
    (
        "registration::without_a_token_sends_no_bearer",
        without_a_token_sends_no_bearer,
    ),
    (
        "registration::platform_errors_are_shown_and_store_nothing",
        platform_errors_are_shown_and_store_nothing,
    ),
    (
        "registration::an_existing_client_is_never_replaced",
        an_existing_client_is_never_replaced,
    ),
    (
        "registration::an_issuer_on_another_host_is_refused",
        an_issuer_on_another_host_is_refused,
    ),
];

/// Opens the registration URL as the platform's administrator page would.
fn register(stack: &Stack) -> Reply {
    let url = stack
        .platform
        .registration_url()
        .expect("a registration URL");
    Browser::default().get(&url)
}

/// The registrations of the `dynreg` issuer the worker has stored.
fn stored(stack: &Stack) -> Vec<String> {
    let issuer = stack.platform.issuer("dynreg");
    stack.kv_keys("PLATFORMS", &format!("{issuer}#"))
}

fn wrong_secret_is_404_and_fetches_nothing(stack: &Stack) {
    let fetched = stack.platform.config_requests().len();
    let config = stack.platform.openid_configuration_url();
    for path in [
        "/lti/register/wrong-secret",
        "/lti/register/",
        "/lti/register",
    ] {
        let url = url::Url::parse_with_params(
            &stack.url(path),
            [("openid_configuration", config.as_str())],
        )
        .unwrap();
        let reply = Browser::default().get(url.as_str());
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    assert_eq!(stack.platform.config_requests().len(), fetched);
}

fn with_a_token_registers_and_launches(stack: &Stack) {
    let token = stack.platform.registration_token().expect("a token");
    remember(&token);
    let reply = register(stack);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("org.imsglobal.lti.close"));
    assert_eq!(
        stack.platform.config_requests().last(),
        Some(&Some(token.clone()))
    );
    let received = stack.platform.registrations_received();
    let last = received.last().expect("a registration");
    assert_eq!(last.bearer.as_deref(), Some(token.as_str()));
    let client_id = last.client_id.clone().expect("registered");
    assert_eq!(last.body["initiate_login_uri"], stack.url("/lti/login"));
    assert_eq!(last.body["redirect_uris"][0], stack.url("/lti/launch"));
    assert_eq!(last.body["jwks_uri"], stack.url("/.well-known/jwks.json"));
    let issuer = stack.platform.issuer("dynreg");
    assert!(stored(stack).contains(&format!("{issuer}#{client_id}")));

    // Launches from the new registration work at once.
    let clients = stack.platform.clients("dynreg");
    let (_, deployments) = clients.iter().find(|(c, _)| *c == client_id).unwrap();
    let who = As {
        platform: "dynreg",
        client_id: &client_id,
        deployment_id: &deployments[0],
        message_type: RESOURCE_LINK,
    };
    let reply = launch_as(stack, &who, "dynreg-launch", |_| {});
    assert_eq!(reply.status, 200, "{}", reply.body);
}

fn without_a_token_sends_no_bearer(stack: &Stack) {
    stack
        .platform
        .set_registration_mode(RegistrationMode::NoToken);
    let reply = register(stack);
    let received = stack.platform.registrations_received();
    stack
        .platform
        .set_registration_mode(RegistrationMode::NoDeploymentId);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(stack.platform.config_requests().last(), Some(&None));
    let last = received.last().unwrap();
    assert_eq!(last.bearer, None);
    // Registered without a deployment id: every deployment of the client counts.
    let reply = register(stack);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let client_id = stack
        .platform
        .registrations_received()
        .last()
        .unwrap()
        .client_id
        .clone()
        .unwrap();
    let issuer = stack.platform.issuer("dynreg");
    let entry = stack.kv(
        "PLATFORMS",
        &["key", "get", &format!("{issuer}#{client_id}")],
    );
    let entry: serde_json::Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(entry["deployment_ids"], serde_json::json!(["*"]));
}

fn platform_errors_are_shown_and_store_nothing(stack: &Stack) {
    stack.platform.set_registration_mode(RegistrationMode::Fail);
    let before = stored(stack);
    let reply = register(stack);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(reply.body.contains("422"), "{}", reply.body);
    assert!(
        reply.body.contains("LTI registrations are disabled"),
        "{}",
        reply.body
    );
    assert_eq!(stored(stack), before);
}

fn an_existing_client_is_never_replaced(stack: &Stack) {
    stack
        .platform
        .set_registration_mode(RegistrationMode::NoDeploymentId);
    // The platform numbers its clients: plant the next one as if registered before.
    let next = stack
        .platform
        .registrations_received()
        .iter()
        .filter(|r| r.client_id.is_some())
        .count()
        + 1;
    let issuer = stack.platform.issuer("dynreg");
    let key = format!("{issuer}#dynreg-client-{next}");
    let planted = serde_json::json!({
        "issuer": issuer,
        "client_id": format!("dynreg-client-{next}"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "deployment_ids": ["kept"],
    })
    .to_string();
    stack.kv("PLATFORMS", &["key", "put", &key, &planted]);
    let reply = register(stack);
    assert_eq!(reply.status, 409, "{}", reply.body);
    let kept = stack.kv("PLATFORMS", &["key", "get", &key]);
    assert!(kept.contains("\"kept\""), "{kept}");
}

fn an_issuer_on_another_host_is_refused(stack: &Stack) {
    stack
        .platform
        .set_registration_mode(RegistrationMode::IssuerMismatch);
    let (posted, before) = (stack.platform.registrations_received().len(), stored(stack));
    let reply = register(stack);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("issuer"), "{}", reply.body);
    assert_eq!(
        stack.platform.registrations_received().len(),
        posted,
        "nothing registered"
    );
    assert_eq!(stored(stack), before);
}
