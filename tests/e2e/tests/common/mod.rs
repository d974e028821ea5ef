//! Steps shared by the tests: a login, a launch, and the checks on a rejection.

use std::sync::Mutex;

use lti_edge_e2e::{Browser, Login, Reply, Stack};
use serde_json::Value;

pub const RESOURCE_LINK: &str = "LtiResourceLinkRequest";

/// Every credential the tests saw; none may appear in the worker's log.
pub static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn remember(secret: &str) {
    SECRETS.lock().unwrap().push(secret.to_owned());
}

/// A target on the worker whose path only this test uses.
pub fn target(stack: &Stack, name: &str) -> String {
    stack.url(&format!("/t/{name}"))
}

/// A GET login for `client_id` on `platform`; returns (state, nonce).
pub fn login(
    stack: &Stack,
    browser: &Browser,
    platform: &str,
    client_id: &str,
    target: &str,
) -> (String, String) {
    let login = Login::new(stack, platform, target).with("client_id", client_id);
    let reply = browser.get(&login.url());
    assert_eq!(reply.status, 302, "login: {}", reply.body);
    let query = reply.location_query();
    (query["state"].clone(), query["nonce"].clone())
}

/// Valid claims for a resource link launch of `tool-a1`.
pub fn claims(stack: &Stack, nonce: &str, target: &str) -> Value {
    stack
        .platform
        .launch_claims("a", "tool-a1", "a1-dep-1", RESOURCE_LINK, nonce, target)
}

pub fn launch(stack: &Stack, browser: &Browser, state: &str, id_token: &str) -> Reply {
    remember(id_token);
    browser.post_form(
        &stack.url("/lti/launch"),
        &[("id_token", id_token), ("state", state)],
    )
}

/// Who launches: a registration, one of its deployments, a message type.
pub struct As<'a> {
    pub platform: &'a str,
    pub client_id: &'a str,
    pub deployment_id: &'a str,
    pub message_type: &'a str,
}

/// `tool-a1` on platform a, resource link.
pub const A1: As = As {
    platform: "a",
    client_id: "tool-a1",
    deployment_id: "a1-dep-1",
    message_type: RESOURCE_LINK,
};

/// Logs in as `who` into `/t/<name>`, edits valid claims, signs them with the
/// platform's key, launches.
pub fn launch_as(stack: &Stack, who: &As, name: &str, edit: impl FnOnce(&mut Value)) -> Reply {
    launch_in(stack, &Browser::default(), who, name, edit)
}

/// [`launch_as`] in `browser`, which keeps the cookies.
pub fn launch_in(
    stack: &Stack,
    browser: &Browser,
    who: &As,
    name: &str,
    edit: impl FnOnce(&mut Value),
) -> Reply {
    let target = target(stack, name);
    let (state, nonce) = login(stack, browser, who.platform, who.client_id, &target);
    let platform = &stack.platform;
    let mut claims = platform.launch_claims(
        who.platform,
        who.client_id,
        who.deployment_id,
        who.message_type,
        &nonce,
        &target,
    );
    edit(&mut claims);
    launch(
        stack,
        browser,
        &state,
        &platform.sign_id_token(who.platform, &claims),
    )
}

/// The assertion the origin received for a launch as `who` into `/t/<name>`,
/// its claims edited by `edit`.
pub fn assertion_as(stack: &Stack, who: &As, name: &str, edit: impl FnOnce(&mut Value)) -> String {
    assertion_in(stack, &Browser::default(), who, name, edit)
}

/// [`assertion_as`] in `browser`, which keeps the session: the one way tests
/// launch and read what the origin got.
pub fn assertion_in(
    stack: &Stack,
    browser: &Browser,
    who: &As,
    name: &str,
    edit: impl FnOnce(&mut Value),
) -> String {
    let reply = launch_in(stack, browser, who, name, edit);
    assert_eq!(reply.status, 200, "{}", reply.body);
    if let Some(session) = browser.cookies.borrow().get("__Host-lti_session") {
        remember(session);
    }
    // Exactly this path: `/t/<name>-...` may have been asked for before.
    let path = format!("/t/{name}");
    let seen = stack.origin.requests_to(&path);
    let launched = seen.iter().find(|r| r.url.split('?').next() == Some(&path));
    let assertion = launched.expect("the origin saw the launch").assertion();
    let assertion = assertion.expect("an assertion").to_owned();
    remember(&assertion);
    assertion
}

/// The JSON of one base64url segment of a JWS (header or claims), unverified.
pub fn segment_json(segment: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// `launch_as` for `tool-a1`'s resource link.
pub fn launch_with(stack: &Stack, name: &str, edit: impl FnOnce(&mut Value)) -> Reply {
    launch_as(stack, &A1, name, edit)
}

/// A rejection: the status, a page naming the check, and nothing at the origin.
pub fn assert_rejected(stack: &Stack, reply: &Reply, status: u16, check: &str, name: &str) {
    assert_eq!(reply.status, status, "body: {}", reply.body);
    assert!(
        reply.body.contains(check),
        "page should name `{check}`: {}",
        reply.body
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(
        stack.origin.requests_to(&format!("/t/{name}")).is_empty(),
        "the origin was reached"
    );
}
