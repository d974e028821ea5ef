//! A bounded load test on loopback: valid launches, replays, hostile launches
//! and passthrough requests from several threads at once, against one worker
//! under `wrangler dev`. Correctness under load, not throughput: the request
//! rate is capped well below what `wrangler dev`'s proxy can carry.
//!
//! Every request carries a target path of its own (`/t/load/<category>/<n>`),
//! so the recording origin proves afterwards what got through and what did not.
//! `cats` says what to send and what it must get, `client` sends and records,
//! `judge` scores the record against the origin's.
//!
//! Knobs (environment): `LOAD_SECONDS` (default 120), `LOAD_THREADS` (4),
//! `LOAD_RPS` (a ceiling on requests per second, all threads together; 150),
//! `LOAD_MAX_REQUESTS` (a ceiling on the count; 60000), `LOAD_SEED` (the mix;
//! random unless given, printed either way).

mod cats;
mod client;
mod judge;

use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use lti_edge_e2e::Stack;

use client::{Client, Shared};

fn main() {
    let args = Arguments::from_args();
    // `--list` lists without running; the stack starts inside the trial only.
    let trial = Trial::test("load::mixed_launches_for_two_minutes", run);
    libtest_mimic::run(&args, vec![trial]).exit();
}

/// A number from the environment, `default` without one.
fn knob(name: &str, default: u64) -> u64 {
    let Ok(value) = std::env::var(name) else {
        return default;
    };
    (value.trim().parse()).unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}"))
}

fn run() -> Result<(), Failed> {
    let seconds = knob("LOAD_SECONDS", 120).clamp(1, 3600);
    let threads = knob("LOAD_THREADS", 4).clamp(1, 16) as usize;
    let rps = knob("LOAD_RPS", 150).clamp(1, 300);
    let max_requests = knob("LOAD_MAX_REQUESTS", 60_000).max(1);
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let seed = knob("LOAD_SEED", clock.unwrap().subsec_nanos().into());
    eprintln!(
        "load: starting the stack (LOAD_SECONDS={seconds}, LOAD_THREADS={threads}, \
         LOAD_RPS={rps}, LOAD_MAX_REQUESTS={max_requests}, LOAD_SEED={seed})"
    );
    let stack = Stack::start();
    // Warm the worker's isolate and its platform key cache before the clock starts.
    Client::new(&Shared::new(&stack, 50, 10, Duration::from_secs(60)), 99, 1).warm_up()?;
    let before = stack.origin.all().len();

    let started = Instant::now();
    let shared = Shared::new(&stack, rps, max_requests, Duration::from_secs(seconds));
    thread::scope(|scope| {
        for id in 0..threads {
            let shared = &shared;
            scope.spawn(move || {
                let mut client = Client::new(shared, id, seed);
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    while shared.may_send() {
                        client.step();
                    }
                }));
                if outcome.is_err() {
                    // Stop everyone: the verdict below reports the panic's cause.
                    shared.stop.store(true, Ordering::Relaxed);
                    eprintln!("load: thread {id} panicked");
                }
            });
        }
        scope.spawn(|| {
            let mut last = Instant::now();
            while shared.may_send() {
                thread::sleep(Duration::from_millis(250));
                if last.elapsed() >= Duration::from_secs(15) {
                    last = Instant::now();
                    eprintln!(
                        "load: {:>4.0} s, {} requests",
                        started.elapsed().as_secs_f64(),
                        shared.requests.load(Ordering::Relaxed)
                    );
                }
            }
        });
    });
    let elapsed = started.elapsed();
    let requests = shared.requests.load(Ordering::Relaxed);
    let panicked = shared.stop.load(Ordering::Relaxed);
    let sent = shared.sent.into_inner().unwrap();

    let mut failures = judge::judge(&stack, &sent, before, elapsed, requests);
    if panicked {
        failures.push("a load thread panicked (see stderr)".into());
    }
    failures.extend(judge::worker_log_problems(&stack));
    drop(stack);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}
