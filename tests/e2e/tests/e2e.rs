//! End-to-end: the worker under `wrangler dev`, driven like a platform and a
//! browser would, against the dev platform and a recording origin.

mod common;
mod edges;
mod faults;
mod launch;
mod login;
mod middleware;
mod origins;
mod passthrough;
mod platforms;
mod registration;
mod replay;
mod services;

use std::sync::Arc;

use libtest_mimic::{Arguments, Trial};
use lti_edge_e2e::Stack;

type Test = fn(&Stack);

fn main() {
    let mut args = Arguments::from_args();
    // One worker for all tests, and some tests count platform fetches: run in order.
    args.test_threads = Some(1);
    let tests: Vec<(&str, Test)> = [
        login::TESTS,
        launch::TESTS,
        services::TESTS,
        platforms::TESTS,
        registration::TESTS,
        origins::TESTS,
        middleware::TESTS,
        faults::TESTS,
        replay::TESTS,
        edges::TESTS,
        passthrough::TESTS,
    ]
    .concat();
    if args.list {
        let trials = tests
            .iter()
            .map(|(name, _)| Trial::test(*name, || Ok(())))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    let stack = Arc::new(Stack::start());
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
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
