//! A bounded load test on loopback: valid launches, replays, hostile launches
//! and passthrough requests from several threads at once, against one worker
//! under `wrangler dev`. Correctness under load, not throughput: the request
//! rate is capped well below what `wrangler dev`'s proxy can carry.
//!
//! Every request carries a target path of its own (`/t/load/<category>/<n>`; a
//! replay, its launch's), so the recording origin proves afterwards what got
//! through and what did not.
//! [`CATS`] says what to send and what it must get, `client` sends and records,
//! `judge` scores the record against the origin's.
//!
//! Knobs (environment): `LOAD_SECONDS` (default 120), `LOAD_THREADS` (4),
//! `LOAD_RPS` (a ceiling on requests per second, all threads together; 150),
//! `LOAD_MAX_REQUESTS` (a ceiling on the count; 60000), `LOAD_SEED` (the mix;
//! random unless given, printed either way).

mod client;
mod judge;

use std::time::{Duration, Instant, SystemTime};

use libtest_mimic::{Arguments, Failed, Trial};
use lti_edge_e2e::{Reply, Stack};

use client::{Client, Shared};

fn main() {
    let args = Arguments::from_args();
    // `--list` lists without running; the stack starts inside the trial only.
    let trial = Trial::test("load::mixed_launches_for_two_minutes", run);
    libtest_mimic::run(&args, vec![trial]).exit();
}

/// A number from the environment, `default` without one.
fn knob(name: &str, default: u64) -> u64 {
    let value = std::env::var(name).unwrap_or_else(|_| default.to_string());
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
    // One launch before the clock starts: the worker's isolate, its key and
    // platform a's JWKS are warm when the run begins.
    let warm_up = Shared::new(&stack, 10, Duration::from_secs(60));
    Client::new(&warm_up, 99, Duration::ZERO, 1).launch(Valid);
    let reply = warm_up.sent.into_inner().unwrap().pop().map(|s| s.reply);
    if reply.as_ref().map(|r| r.status) != Some(200) {
        return Err(format!("the warm-up launch failed: {reply:?}").into());
    }
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
    let mut failures = judge::judge(shared, before, started);
    failures.extend((panicked > 0).then(|| format!("{panicked} load threads panicked")));
    failures.extend(judge::worker_log_problems(&stack));
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cat {
    Valid,
    ReplaySameState,
    ReplayNewLogin,
    Tampered,
    AlgNone,
    Hs256PublicKey,
    WrongAud,
    Expired,
    ForeignNonce,
    Garbage,
    Oversized,
    PassBare,
    PassForged,
    PassSession,
    PassSessionForged,
}

use Cat::*;

/// Every category (in the order of [`Cat`]) and the status its requests must get. 200: through
/// to the origin exactly once, which answers `origin saw <path>`. Any other: a `no-store` page
/// naming the failed check (the fragment), nothing at the origin.
pub const CATS: [(Cat, u16, &str); 15] = [
    (Valid, 200, ""),
    (ReplaySameState, 401, "state"),
    (ReplayNewLogin, 401, "nonce"),
    (Tampered, 401, "signature"),
    (AlgNone, 401, "algorithm"),
    (Hs256PublicKey, 401, "algorithm"),
    (WrongAud, 401, "aud"),
    (Expired, 401, "expired"),
    (ForeignNonce, 401, "nonce"),
    (Garbage, 400, "malformed"),
    (Oversized, 413, "too large"),
    (PassBare, 200, ""),
    (PassForged, 200, ""),
    (PassSession, 200, ""),
    (PassSessionForged, 200, ""),
];

/// What a client picks at random besides a valid launch (replays follow one).
pub const PICKED: &[(Cat, u16, &str)] = CATS.split_at(3).1;

/// One request the test sent, and what came back (status 0, and the reason as
/// the body, without an HTTP answer).
pub struct Sent {
    pub cat: Cat,
    /// The target path (no query): this request's own, or for a replay, the
    /// launch's it replays.
    pub path: String,
    pub reply: Reply,
    pub elapsed: Duration,
    /// For a valid launch, and a passthrough with a session: the nonce of the
    /// launch whose claims the origin's assertion must carry.
    pub nonce: Option<String>,
    /// A forged `Lti-Jwt-Assertion` value that must not reach the origin.
    pub forged: Option<String>,
}
