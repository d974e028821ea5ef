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

use std::time::{Duration, Instant, SystemTime};

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
    let threads = knob("LOAD_THREADS", 4).clamp(1, 16);
    let rps = knob("LOAD_RPS", 150).clamp(1, 300);
    let max_requests = knob("LOAD_MAX_REQUESTS", 60_000).max(1);
    let clock = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
    let seed = knob("LOAD_SEED", clock.unwrap().subsec_nanos().into());
    eprintln!(
        "load: starting the stack (LOAD_SECONDS={seconds}, LOAD_THREADS={threads}, \
         LOAD_RPS={rps}, LOAD_MAX_REQUESTS={max_requests}, LOAD_SEED={seed})"
    );
    let stack = Stack::start();
    client::warm_up(&stack)?;
    let before = stack.origin.all().len();

    let started = Instant::now();
    let shared = Shared::new(&stack, max_requests, Duration::from_secs(seconds));
    // Each thread keeps to its share of the rate, so all keep under `rps`.
    let interval = Duration::from_secs(threads) / rps as u32;
    let panicked = std::thread::scope(|scope| {
        let clients = (0..threads as usize).map(|id| Client::new(&shared, id, interval, seed));
        let threads: Vec<_> = clients.map(|mut c| scope.spawn(move || c.play())).collect();
        threads.into_iter().filter_map(|t| t.join().err()).count()
    });
    let rate = (shared.requests.into_inner(), started.elapsed());
    let mut failures = judge::judge(&stack, &shared.sent.into_inner().unwrap(), before, rate);
    if panicked > 0 {
        failures.push(format!("{panicked} load threads panicked (see stderr)"));
    }
    failures.extend(judge::worker_log_problems(&stack));
    drop(stack);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}
