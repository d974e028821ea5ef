//! End-to-end in a real browser: headless Chromium opens the dev platform's course page
//! on `http://127.0.0.1:<p>` (the LMS, the origin of the registrations' authorization
//! endpoint, so of the platform storage), which embeds the tool on
//! `http://localhost:<w>` in an iframe.
//!
//! Why these hosts, and no TLS: `localhost` and `127.0.0.1` are different sites, so the
//! tool is a cross-site (third-party) frame as in a real LMS, and Chromium counts both
//! as secure contexts, so it keeps the worker's `__Host-` cookies (`Secure`) over plain
//! http. A third host, `lms-impostor.test` (mapped to 127.0.0.1 by
//! `--host-resolver-rules`), is another origin on the dev platform's server.
//!
//! Each case starts its own Chromium with a fresh profile and the cookie setting it
//! needs (see `Cookies`), and asserts on what the recording origin received.

use std::sync::Arc;

use dev_platform::{PlatformStorage, IMPOSTOR_HOST};
use libtest_mimic::{Arguments, Trial};
use lti_edge_e2e::browser_case::{case, run, safari, Case, Run};
use lti_edge_e2e::{session_token, Cookies, Stack};

type Test = fn(&Stack);

const TESTS: &[(&str, Test)] = &[
    (
        "browser::cookies_allowed_launch_keeps_the_cookie_path",
        cookies_allowed_launch_keeps_the_cookie_path,
    ),
    (
        "browser::third_party_cookies_blocked_partitioned_cookies_still_launch",
        third_party_cookies_blocked_partitioned_cookies_still_launch,
    ),
    (
        "browser::no_cookies_launch_through_platform_storage_then_a_token_link",
        no_cookies_launch_through_platform_storage_then_a_token_link,
    ),
    (
        "browser::no_cookies_silent_storage_refused_then_a_new_window_launches",
        no_cookies_silent_storage_refused_then_a_new_window_launches,
    ),
    (
        "browser::no_cookies_no_platform_storage_refused_with_a_new_window_link",
        no_cookies_no_platform_storage_refused_with_a_new_window_link,
    ),
    (
        "browser::replayed_proof_is_refused",
        replayed_proof_is_refused,
    ),
    (
        "browser::impostor_answering_from_another_origin_is_ignored",
        impostor_answering_from_another_origin_is_ignored,
    ),
    (
        "browser::storage_frame_on_another_origin_gets_no_message",
        storage_frame_on_another_origin_gets_no_message,
    ),
];

fn main() {
    let mut args = Arguments::from_args();
    // One browser at a time, against one worker.
    args.test_threads = Some(1);
    if args.list {
        let trials = TESTS
            .iter()
            .map(|(name, _)| Trial::test(*name, || Ok(())))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    let stack = Arc::new(Stack::start_on("localhost", &[]));
    let trials = TESTS
        .iter()
        .map(|&(name, test)| {
            let stack = Arc::clone(&stack);
            Trial::test(name, move || {
                test(&stack);
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(stack);
    conclusion.exit();
}

/// The launch and its next page reached the origin, each with an assertion; returns
/// the two assertions' `session_token`s.
fn launched_and_followed(run: &Run, name: &str) -> (Option<String>, Option<String>) {
    let launch = format!("/browser/{name}");
    let paths: Vec<&str> = run.origin.iter().map(|r| r.url.as_str()).collect();
    run.check(
        paths == [launch.clone(), format!("{launch}/next")],
        "the origin got the launch, then the next page (no lti_session left in the URL)",
    );
    run.check(
        run.origin.iter().all(|r| r.assertion().is_some()),
        "both requests carry an assertion",
    );
    run.check(
        run.step("launch")["origin_page"] == true && run.step("follow_next")["origin_page"] == true,
        "the browser showed both origin pages",
    );
    let token = |i: usize| run.origin[i].assertion().and_then(session_token);
    (token(0), token(1))
}

fn cookies_allowed_launch_keeps_the_cookie_path(stack: &Stack) {
    let name = "cookies-allowed";
    let run = run(
        stack,
        &Case {
            steps: &["follow_next"],
            ..case(name, Cookies::Allowed, PlatformStorage::Answer)
        },
    );
    let (launch, next) = launched_and_followed(&run, name);
    run.check(
        launch.is_none() && next.is_none(),
        "cookie sessions carry no session_token",
    );
    run.check(
        run.statuses("GET", "/lti/login") == [200],
        "the login stored its proof first",
    );
    run.check(
        run.outcomes("/storage-frame")
            .iter()
            .any(|o| o.starts_with("stored lti_edge_state_")),
        "the platform storage got the put_data",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof").is_empty(),
        "no proof was needed",
    );
}

fn third_party_cookies_blocked_partitioned_cookies_still_launch(stack: &Stack) {
    let name = "third-party-blocked";
    let run = run(
        stack,
        &Case {
            steps: &["follow_next"],
            ..case(name, Cookies::ThirdPartyBlocked, PlatformStorage::Answer)
        },
    );
    let (launch, next) = launched_and_followed(&run, name);
    run.check(
        launch.is_none() && next.is_none(),
        "Chrome keeps the Partitioned cookies: the cookie path, no session_token",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof").is_empty(),
        "no proof was needed",
    );
}

fn no_cookies_launch_through_platform_storage_then_a_token_link(stack: &Stack) {
    let name = "storage-answers";
    let run = run(
        stack,
        &Case {
            steps: &["follow_next"],
            ..case(name, safari(stack), PlatformStorage::Answer)
        },
    );
    let (launch, next) = launched_and_followed(&run, name);
    run.check(
        run.statuses("POST", "/lti/launch") == [200],
        "the launch answered the proof page",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof") == [200],
        "the proof was accepted",
    );
    run.check(
        launch.is_some(),
        "the proof launch's assertion has a session_token",
    );
    run.check(
        next == launch,
        "the token link kept the session, same token",
    );
    let outcomes = run.outcomes("/storage-frame");
    run.check(
        outcomes
            .iter()
            .any(|o| o.starts_with("stored lti_edge_state_"))
            && outcomes
                .iter()
                .any(|o| o.starts_with("read lti_edge_state_")),
        "the storage stored the proof at login and gave it back at launch",
    );
}

fn no_cookies_silent_storage_refused_then_a_new_window_launches(stack: &Stack) {
    let name = "storage-silent";
    let run = run(
        stack,
        &Case {
            steps: &["new_window"],
            ..case(name, safari(stack), PlatformStorage::Silent)
        },
    );
    let refused = run.step("launch");
    run.check(refused["refused"] == true, "the frame shows the refusal");
    let text = refused["text"].as_str().unwrap_or_default();
    run.check(
        text.contains("This browser blocked the tool's cookies"),
        "the refusal is readable",
    );
    let link = &refused["new_window"];
    let href = link["href"].as_str().unwrap_or_default();
    run.check(
        link["target"] == "_blank"
            && href.starts_with(&stack.url("/lti/login?"))
            && !href.contains("lti_storage_target"),
        "the refusal offers the tool in a new window, with a plain login",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof").is_empty(),
        "no proof was posted",
    );
    // The new window is first-party: its cookie works, and it is the only launch.
    run.check(
        run.step("new_window")["origin_page"] == true,
        "the new window launched",
    );
    run.check(
        run.origin.len() == 1,
        "only the new window reached the origin",
    );
    let assertion = run.origin[0].assertion();
    run.check(
        assertion.is_some_and(|a| session_token(a).is_none()),
        "the new window's launch came by cookie",
    );
}

fn no_cookies_no_platform_storage_refused_with_a_new_window_link(stack: &Stack) {
    let name = "storage-off";
    let run = run(stack, &case(name, safari(stack), PlatformStorage::Off));
    let refused = run.step("launch");
    run.check(refused["error_page"] == true, "the launch is refused");
    run.check(run.statuses("GET", "/lti/login") == [302], "a plain login");
    run.check(
        run.statuses("POST", "/lti/launch") == [401],
        "401 on the launch",
    );
    let text = refused["text"].as_str().unwrap_or_default();
    run.check(
        text.contains("invalid_state"),
        "the refusal names the check",
    );
    let href = refused["new_window"]["href"].as_str().unwrap_or_default();
    run.check(
        href.starts_with(&stack.url("/lti/login?")),
        "the refusal offers a new window",
    );
    run.check(run.origin.is_empty(), "the origin received nothing");
}

fn replayed_proof_is_refused(stack: &Stack) {
    let name = "replayed-proof";
    // The other spellings: the course page answers itself, the login is a form POST.
    let run = run(
        stack,
        &Case {
            storage_target: "_parent",
            post_login: true,
            steps: &["replay_proof"],
            ..case(name, safari(stack), PlatformStorage::Answer)
        },
    );
    run.check(
        run.step("launch")["origin_page"] == true,
        "the first proof launched",
    );
    run.check(
        run.statuses("POST", "/lti/login") == [200],
        "the POST login stored its proof",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof") == [200, 401],
        "the replayed proof got 401",
    );
    let replay = run.step("replay_proof");
    let text = replay["text"].as_str().unwrap_or_default();
    run.check(
        replay["error_page"] == true && text.contains("invalid_launch_proof"),
        "the replay shows the refusal",
    );
    run.check(run.origin.len() == 1, "the replay reached nothing");
}

fn impostor_answering_from_another_origin_is_ignored(stack: &Stack) {
    let name = "impostor";
    let run = run(stack, &case(name, safari(stack), PlatformStorage::Impostor));
    run.check(
        run.step("launch")["refused"] == true,
        "the tool refused the launch",
    );
    run.check(
        run.outcomes("lms-impostor.test")
            .iter()
            .any(|o| o.starts_with("spoofed lti.get_data.response") && !o.contains("not posted")),
        "the impostor did answer, with the right message id and value",
    );
    let impostor = format!("http://{IMPOSTOR_HOST}:");
    let received = run.step("launch")["received"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    run.check(
        received.iter().any(|m| {
            m["subject"] == "lti.get_data.response"
                && m["origin"]
                    .as_str()
                    .is_some_and(|o| o.starts_with(&impostor))
        }),
        "the tool's launch page did receive the impostor's answer",
    );
    run.check(
        run.statuses("POST", "/lti/launch/proof").is_empty(),
        "the tool never posted the impostor's value",
    );
    run.check(run.origin.is_empty(), "the origin received nothing");
}

fn storage_frame_on_another_origin_gets_no_message(stack: &Stack) {
    let name = "foreign-storage";
    let run = run(stack, &case(name, safari(stack), PlatformStorage::Foreign));
    run.check(
        run.step("launch")["refused"] == true,
        "the tool refused the launch",
    );
    run.check(
        run.storage_log("lms-impostor.test").is_empty(),
        "the tool addressed its messages to the platform's origin only",
    );
    run.check(run.origin.is_empty(), "the origin received nothing");
}
