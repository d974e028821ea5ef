//! One launch submitted 50 times at once: how many get through, per login store.

use std::sync::{Arc, Barrier};

use lti_edge_e2e::{forge, Browser, Stack};

use crate::common::*;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "replay::concurrent_replays_with_kv_logins",
        concurrent_replays_with_kv,
    ),
    (
        "replay::concurrent_replays_with_durable_object_logins",
        concurrent_replays_with_durable_objects,
    ),
];

const SUBMISSIONS: usize = 50;

/// Fires one prepared launch `SUBMISSIONS` times at once; returns how many
/// passed verification and how many reached the origin.
fn fire(stack: &Stack, name: &str) -> (usize, usize) {
    // The platform's keys cached first: 50 launches on a cold cache each
    // fetch them, and under wrangler dev some of those fetches time out.
    assert_eq!(
        launch_with(stack, &format!("{name}-warm"), |_| {}).status,
        200
    );
    let browser = Browser::default();
    let target = target(stack, name);
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let token = stack
        .platform
        .sign_id_token("a", &claims(stack, &nonce, &target));
    remember(&token);
    let cookie = format!("__Host-lti_state_{state}=1");
    let barrier = Arc::new(Barrier::new(SUBMISSIONS));
    let url = stack.url("/lti/launch");
    let threads: Vec<_> = (0..SUBMISSIONS)
        .map(|_| {
            let (barrier, url, cookie) = (barrier.clone(), url.clone(), cookie.clone());
            let (token, state) = (token.clone(), state.clone());
            std::thread::spawn(move || {
                let browser = Browser::default();
                browser
                    .cookies
                    .borrow_mut()
                    .extend([(cookie.split('=').next().unwrap().to_owned(), "1".to_owned())]);
                barrier.wait();
                browser
                    .post_form(&url, &[("id_token", &token), ("state", &state)])
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // 401 is a refusal; anything else passed verification (a 504 is an
    // accepted launch whose origin was slow under this burst).
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 401 | 504)),
        "{statuses:?}"
    );
    let accepted = statuses.iter().filter(|s| **s != 401).count();
    (
        accepted,
        stack.origin.requests_to(&format!("/t/{name}")).len(),
    )
}

/// KV reads before it deletes: concurrent submissions may slip through. The
/// count is reported, not required; at least one must succeed.
fn concurrent_replays_with_kv(stack: &Stack) {
    let (accepted, reached) = fire(stack, "replay-kv");
    println!("KV login store: {accepted} of {SUBMISSIONS} concurrent submissions accepted");
    assert!(accepted >= 1);
    assert!(
        reached <= accepted,
        "only accepted launches reach the origin"
    );
}

fn concurrent_replays_with_durable_objects(_: &Stack) {
    let stack = Stack::start_with(&[("LOGIN_STORE", "durable-object")]);
    a_refused_launch_releases_its_login(&stack);
    let (accepted, reached) = fire(&stack, "replay-do");
    println!(
        "Durable Object login store: {accepted} of {SUBMISSIONS} concurrent submissions accepted"
    );
    assert_eq!(accepted, 1, "exactly one");
    assert_eq!(reached, 1);
}

/// A forged token's launch fails its check and releases the claim it made:
/// the genuine token after it passes, once.
fn a_refused_launch_releases_its_login(stack: &Stack) {
    let browser = Browser::default();
    let target = target(stack, "do-released");
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let claims = claims(stack, &nonce, &target);
    let forged = forge::tampered(&stack.platform, "a", &claims);
    assert_rejected(
        stack,
        &launch(stack, &browser, &state, &forged),
        401,
        "signature",
        "do-released",
    );
    let token = stack.platform.sign_id_token("a", &claims);
    assert_eq!(launch(stack, &browser, &state, &token).status, 200);
    assert_eq!(launch(stack, &browser, &state, &token).status, 401);
    assert_eq!(stack.origin.requests_to("/t/do-released").len(), 1);
}
