//! Requests after a launch: sessions, forged headers, cookies, redirects, logs.

use std::time::{Duration, Instant};

use lti_edge_e2e::{Browser, Stack};

use crate::common::*;
use crate::launch::verify_assertion;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "passthrough::without_session_goes_bare",
        without_session_goes_bare,
    ),
    (
        "passthrough::forged_assertion_headers_never_reach_the_origin",
        forged_assertion_headers_are_stripped,
    ),
    (
        "passthrough::session_brings_a_fresh_assertion",
        session_brings_a_fresh_assertion,
    ),
    (
        "passthrough::unknown_session_goes_bare",
        unknown_session_goes_bare,
    ),
    (
        "passthrough::worker_cookies_stay_with_the_worker",
        worker_cookies_stay_with_the_worker,
    ),
    (
        "passthrough::origin_redirects_point_at_the_worker",
        origin_redirects_point_at_the_worker,
    ),
    (
        "faults::origin_down_gives_502",
        crate::faults::origin_down_gives_502,
    ),
    (
        "passthrough::logs_hold_no_credentials",
        logs_hold_no_credentials,
    ),
];

/// A browser that has launched into `/t/<name>`; returns the launch assertion.
fn launched(stack: &Stack, browser: &Browser, name: &str) -> String {
    let assertion = assertion_in(stack, browser, &A1, name, |_| {});
    let cookies = browser.cookies.borrow();
    assert!(cookies.contains_key("__Host-lti_session"), "session cookie");
    assertion
}

fn without_session_goes_bare(stack: &Stack) {
    let reply = Browser::default().get(&stack.url("/t/bare?x=1"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "origin saw /t/bare");
    let seen = stack.origin.requests_to("/t/bare");
    assert_eq!(seen[0].url, "/t/bare?x=1");
    assert!(seen[0].assertion().is_none());
}

fn forged_assertion_headers_are_stripped(stack: &Stack) {
    for (i, name) in [
        "Lti-Jwt-Assertion",
        "lti-jwt-assertion",
        "LTI-JWT-ASSERTION",
        "lTi-JwT-aSsErTiOn",
    ]
    .iter()
    .enumerate()
    {
        let path = format!("/t/forged-{i}");
        Browser::default().get_with(&stack.url(&path), &[(name, "forged.by.client")]);
        let seen = stack.origin.requests_to(&path);
        assert_eq!(seen.len(), 1);
        assert!(seen[0].assertion().is_none(), "{name} reached the origin");
    }
    // With a session, the origin gets the worker's assertion and only that.
    let browser = Browser::default();
    launched(stack, &browser, "forged-session");
    browser.get_with(
        &stack.url("/t/forged-with-session"),
        &[("Lti-Jwt-Assertion", "forged.by.client")],
    );
    let seen = stack.origin.requests_to("/t/forged-with-session");
    let values: Vec<_> = seen[0]
        .headers
        .iter()
        .filter(|(n, _)| n == "lti-jwt-assertion")
        .collect();
    assert_eq!(values.len(), 1);
    verify_assertion(stack, &values[0].1);
}

fn session_brings_a_fresh_assertion(stack: &Stack) {
    let browser = Browser::default();
    let first = launched(stack, &browser, "session");
    let reply = browser.post_raw(
        &stack.url("/t/session-next?page=2"),
        "application/json",
        r#"{"answer":42}"#,
    );
    assert_eq!(reply.status, 200);
    let seen = stack.origin.requests_to("/t/session-next");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].body, r#"{"answer":42}"#, "the body passes through");
    let next = seen[0].assertion().expect("a fresh assertion");
    assert_ne!(next, first);
    let (a, b) = (
        verify_assertion(stack, &first),
        verify_assertion(stack, next),
    );
    assert_ne!(a["jti"], b["jti"]);
    assert_eq!(a["lti"], b["lti"], "the same launch claims");
}

fn unknown_session_goes_bare(stack: &Stack) {
    let browser = Browser::default();
    for id in [
        "not-a-session",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        browser
            .cookies
            .borrow_mut()
            .insert("__Host-lti_session".into(), id.into());
        let path = format!("/t/bad-session-{}", id.len());
        assert_eq!(browser.get(&stack.url(&path)).status, 200);
        assert!(stack.origin.requests_to(&path)[0].assertion().is_none());
    }
}

fn worker_cookies_stay_with_the_worker(stack: &Stack) {
    let browser = Browser::default();
    launched(stack, &browser, "cookies");
    browser
        .cookies
        .borrow_mut()
        .insert("app_pref".into(), "dark".into());
    browser
        .cookies
        .borrow_mut()
        .insert("__Host-lti_state_leftover".into(), "1".into());
    browser.get(&stack.url("/t/cookies-next"));
    let seen = stack.origin.requests_to("/t/cookies-next");
    assert_eq!(seen[0].header("cookie"), Some("app_pref=dark"));
    assert_eq!(
        seen[0].header("x-forwarded-host"),
        Some(stack.worker.trim_start_matches("http://"))
    );
}

fn origin_redirects_point_at_the_worker(stack: &Stack) {
    let reply = Browser::default().get(&stack.url("/redirect"));
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("location"),
        Some(stack.url("/after-redirect?x=1").as_str())
    );
}

/// Runs last, and alone as well: nothing secret the tests saw may be in the
/// worker's log. It puts credentials and failures there itself, whatever ran
/// before: launches with their sessions (the origin may be down by now, after
/// `faults::origin_down_gives_502`), and rejected launches.
fn logs_hold_no_credentials(stack: &Stack) {
    let rejections = launch_rejections(stack);
    for i in 0..11 {
        let (browser, name) = (Browser::default(), format!("logs-{i}"));
        let reply = launch_in(stack, &browser, &A1, &name, |_| {});
        assert!([200, 502].contains(&reply.status), "{}", reply.body);
        if let Some(session) = browser.cookies.borrow().get("__Host-lti_session") {
            remember(session);
        }
        if let Some(seen) = stack.origin.requests_to(&format!("/t/{name}")).first() {
            remember(seen.assertion().expect("an assertion"));
        }
        let name = format!("logs-rejected-{i}");
        let reply = launch_with(stack, &name, |c| c["aud"] = "tool-a2".into());
        assert_rejected(stack, &reply, 401, "aud", &name);
    }
    // wrangler writes the log on its own time: wait for these rejections.
    let deadline = Instant::now() + Duration::from_secs(10);
    while launch_rejections(stack) < rejections + 11 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(stack.log_path()).expect("wrangler log");
    assert!(log.contains("LTI launch failed"), "rejections are logged");
    let secrets = SECRETS.lock().unwrap();
    assert!(secrets.len() > 20);
    for secret in secrets.iter().filter(|s| s.len() > 40) {
        let probe = &secret[secret.len() - 40..];
        assert!(!log.contains(probe), "a credential is in the log");
    }
    assert!(!log.contains("PRIVATE KEY"));
}

/// How many launches the worker's log says it refused with a 401 so far.
fn launch_rejections(stack: &Stack) -> usize {
    let log = std::fs::read_to_string(stack.log_path()).unwrap_or_default();
    log.matches("LTI launch failed: 401").count()
}
