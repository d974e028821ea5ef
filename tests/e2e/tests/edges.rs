//! The edges of the worker: header spellings, cross-site requests, streamed
//! bodies, cookies, proxy headers and caching. Each case proves what reached
//! the origin, or that nothing did.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lti_edge_e2e::{Browser, Stack};

use crate::common::*;
use crate::launch::verify_assertion;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "edges::underscore_spellings_never_reach_the_origin",
        underscore_spellings_never_reach_the_origin,
    ),
    (
        "edges::cross_site_unsafe_requests_never_carry_the_session",
        cross_site_unsafe_requests_never_carry_the_session,
    ),
    (
        "edges::proxy_headers_are_the_workers_own",
        proxy_headers_are_the_workers_own,
    ),
    (
        "edges::foreign_redirects_stay_foreign",
        foreign_redirects_stay_foreign,
    ),
    (
        "edges::session_answers_are_private",
        session_answers_are_private,
    ),
    (
        "edges::two_session_cookies_are_refused",
        two_session_cookies_are_refused,
    ),
    (
        "edges::state_cookies_are_capped_oldest_first",
        state_cookies_are_capped_oldest_first,
    ),
    (
        "edges::forged_token_leaves_the_login_usable",
        forged_token_leaves_the_login_usable,
    ),
    (
        "edges::chunked_bodies_are_cut_at_the_limit",
        chunked_bodies_are_cut_at_the_limit,
    ),
];

/// A browser that has launched into `/t/<name>`.
fn launched(stack: &Stack, name: &str) -> Browser {
    let browser = Browser::default();
    assertion_in(stack, &browser, &A1, name, |_| {});
    browser
}

fn underscore_spellings_never_reach_the_origin(stack: &Stack) {
    let forged = [
        ("Lti_Jwt_Assertion", "forged.by.client"),
        ("LTI-JWT_ASSERTION", "forged.by.client"),
        ("X_Custom", "1"),
    ];
    Browser::default().get_with(&stack.url("/t/underscore-bare"), &forged);
    let seen = &stack.origin.requests_to("/t/underscore-bare")[0];
    assert!(seen.cgi_header("lti-jwt-assertion").is_empty());
    assert!(seen.headers.iter().all(|(n, _)| !n.contains('_')));

    let browser = launched(stack, "underscore");
    browser.get_with(&stack.url("/t/underscore-session"), &forged);
    let seen = &stack.origin.requests_to("/t/underscore-session")[0];
    // What a WSGI or Rack app reads as HTTP_LTI_JWT_ASSERTION: the worker's alone.
    let values = seen.cgi_header("lti-jwt-assertion");
    assert_eq!(values.len(), 1, "{:?}", seen.headers);
    verify_assertion(stack, values[0]);
}

fn cross_site_unsafe_requests_never_carry_the_session(stack: &Stack) {
    let browser = launched(stack, "xsite");
    let lms = "https://lms.example";
    let refused: [&[(&str, &str)]; 4] = [
        &[("sec-fetch-site", "cross-site"), ("origin", lms)],
        &[("sec-fetch-site", "same-site")],
        &[("origin", lms)],
        &[("origin", "null")],
    ];
    for (i, headers) in refused.iter().enumerate() {
        let name = format!("xsite-refused-{i}");
        let reply = browser.request("POST", &target(stack, &name), headers, Some("a=1"));
        assert_rejected(stack, &reply, 403, "another site", &name);
        assert!(reply.body.contains("cross_site_request"));
    }
    let worker = stack.worker.as_str();
    let allowed: [(&str, &[(&str, &str)]); 3] = [
        (
            "POST",
            &[("sec-fetch-site", "same-origin"), ("origin", worker)],
        ),
        ("PUT", &[("origin", worker)]),
        ("GET", &[("sec-fetch-site", "cross-site")]),
    ];
    for (i, (method, headers)) in allowed.iter().enumerate() {
        let name = format!("xsite-allowed-{i}");
        let body = (*method != "GET").then_some("a=1");
        let reply = browser.request(method, &target(stack, &name), headers, body);
        assert_eq!(reply.status, 200, "{method} {headers:?}: {}", reply.body);
        let seen = &stack.origin.requests_to(&format!("/t/{name}"))[0];
        verify_assertion(stack, seen.assertion().expect("assertion"));
    }
    // Without a session there is nothing to ride on: the request goes bare.
    let reply = Browser::default().request(
        "POST",
        &target(stack, "xsite-bare"),
        &[("sec-fetch-site", "cross-site")],
        Some("a=1"),
    );
    assert_eq!(reply.status, 200);
    assert!(stack.origin.requests_to("/t/xsite-bare")[0]
        .assertion()
        .is_none());
}

fn proxy_headers_are_the_workers_own(stack: &Stack) {
    let forged = [
        ("Forwarded", "for=6.6.6.6;host=evil.example;proto=https"),
        ("X-Forwarded-For", "6.6.6.6"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Prefix", "/evil"),
        ("X-Forwarded-Port", "443"),
        ("X-Real-IP", "6.6.6.6"),
        ("X-Original-URL", "/admin"),
        ("X-Rewrite-URL", "/admin"),
    ];
    Browser::default().get_with(&stack.url("/t/proxy-headers"), &forged);
    let seen = &stack.origin.requests_to("/t/proxy-headers")[0];
    for name in [
        "forwarded",
        "x-forwarded-prefix",
        "x-forwarded-port",
        "x-real-ip",
        "x-original-url",
        "x-rewrite-url",
    ] {
        assert_eq!(seen.header(name), None, "{name} passed");
    }
    let host = stack.worker.trim_start_matches("http://");
    assert_eq!(seen.header("x-forwarded-host"), Some(host));
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert!(
        !seen
            .header("x-forwarded-for")
            .unwrap_or_default()
            .contains("6.6.6.6"),
        "{:?}",
        seen.headers
    );
}

fn foreign_redirects_stay_foreign(stack: &Stack) {
    let reply = Browser::default().get(&stack.url("/redirect-foreign"));
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("location"),
        Some("https://elsewhere.example/x")
    );
}

fn session_answers_are_private(stack: &Stack) {
    let reply = Browser::default().get(&stack.url("/cacheable"));
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=60, s-maxage=600"),
        "without a session the origin's caching stands"
    );
    let browser = launched(stack, "private");
    let reply = browser.get(&stack.url("/cacheable"));
    assert_eq!(reply.header("cache-control"), Some("private, max-age=60"));
    let reply = browser.get(&stack.url("/t/private-next"));
    assert_eq!(reply.header("cache-control"), Some("private"));
}

fn two_session_cookies_are_refused(stack: &Stack) {
    let browser = launched(stack, "two-sessions");
    let id = browser.cookies.borrow()["__Host-lti_session"].clone();
    remember(&id);
    let cookie = format!("__Host-lti_session={id}; __Host-lti_session=planted");
    let reply =
        Browser::default().get_with(&target(stack, "two-sessions-next"), &[("cookie", &cookie)]);
    assert_rejected(
        stack,
        &reply,
        400,
        "two session cookies",
        "two-sessions-next",
    );
}

fn state_cookies_are_capped_oldest_first(stack: &Stack) {
    let browser = Browser::default();
    // Eleven logins from long ago (the value is when each began).
    for i in 1..=11 {
        let name = format!("__Host-lti_state_old{i:02}");
        browser.cookies.borrow_mut().insert(name, i.to_string());
    }
    let target = target(stack, "capped");
    let first = login(stack, &browser, "a", "tool-a1", &target);
    let second = login(stack, &browser, "a", "tool-a1", &target);
    let jar = browser.cookies.borrow().clone();
    let states: Vec<&str> = jar
        .keys()
        .filter_map(|n| n.strip_prefix("__Host-lti_state_"))
        .collect();
    assert_eq!(states.len(), 10, "{states:?}");
    assert!(
        !states.contains(&"old03") && states.contains(&"old04"),
        "the oldest went first"
    );
    for (state, nonce) in [first, second] {
        let token = stack
            .platform
            .sign_id_token("a", &claims(stack, &nonce, &target));
        assert_eq!(launch(stack, &browser, &state, &token).status, 200);
    }
}

fn forged_token_leaves_the_login_usable(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "forged-first");
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let genuine = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    let (signed, _) = genuine.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", "A".repeat(342));
    let reply = launch(stack, &browser, &state, &forged);
    assert_rejected(stack, &reply, 401, "signature", "forged-first");
    let reply = launch(stack, &browser, &state, &genuine);
    assert_eq!(reply.status, 200, "the login survived: {}", reply.body);
    let reply = launch(stack, &browser, &state, &genuine);
    assert_eq!(reply.status, 401, "and served once");
}

/// A POST whose body is `megabytes` of chunked data, sent from a thread while
/// the answer is read: the worker may answer before the body ends. Returns the
/// status line and headers, and how long they took.
fn post_chunked(stack: &Stack, path: &str, megabytes: usize) -> (String, Duration) {
    let address = stack.worker.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut writer = socket.try_clone().unwrap();
    let started = Instant::now();
    let sender = std::thread::spawn(move || {
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
        writer.write_all(head.as_bytes())?;
        for _ in 0..megabytes * 16 {
            writer.write_all(chunk.as_bytes())?;
        }
        writer.write_all(b"0\r\n\r\n")
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    let elapsed = started.elapsed();
    drop(socket);
    let _ = sender.join();
    (String::from_utf8_lossy(&answer).into_owned(), elapsed)
}

/// How many requests the worker refused as too large, by its log.
fn refused_as_too_large(stack: &Stack) -> usize {
    let log = std::fs::read_to_string(stack.log_path()).expect("wrangler log");
    log.matches("413 payload_too_large: request body is too large")
        .count()
}

fn chunked_bodies_are_cut_at_the_limit(stack: &Stack) {
    // The worker answers 413 as soon as the limit is passed. While the upload
    // is still going, the local proxy of `wrangler dev` may report the body
    // it could not finish sending as a 503 ("restarted mid-request"); the
    // worker's log holds its 413 either way.
    let before = refused_as_too_large(stack);
    let (answer, elapsed) = post_chunked(stack, "/lti/launch", 40);
    assert!(
        answer.starts_with("HTTP/1.1 413") || answer.starts_with("HTTP/1.1 503"),
        "{answer}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // The log is written a moment after the answer.
    let deadline = Instant::now() + Duration::from_secs(5);
    while refused_as_too_large(stack) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(refused_as_too_large(stack), before + 1);
    let browser = launched(stack, "after-chunked");
    assert_eq!(
        browser.get(&target(stack, "after-chunked-next")).status,
        200
    );
}
