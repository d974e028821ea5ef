//! The verdict on a run: every reply checked against its category and against
//! what the origin saw, one table for the log, and the list of what failed.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use dev_platform::verify_rs256_or_es256;
use lti_edge_e2e::{Browser, Recorded, Stack};
use serde_json::Value;

use crate::client::{now, Shared};
use crate::{Cat::*, Sent, CATS};

/// The origin's requests by path (query dropped).
type Seen<'r> = BTreeMap<&'r str, Vec<&'r Recorded>>;

/// What is wrong with a reply; `true` for a breach: through to the origin when
/// it must not be, or with a wrong assertion.
type Problem = (bool, String);

/// Counts per category in the order of `CATS`, then the total: sent, as
/// expected, unexpected, false accepts (breaches), 5xx.
type Table = [[usize; 5]; CATS.len() + 1];

/// Checks every reply of a run that began at `started` against its category
/// and the origin's record past its first `before` requests; prints the table;
/// returns what failed.
pub fn judge(shared: Shared, before: usize, started: Instant) -> Vec<String> {
    let (stack, secs) = (shared.stack, started.elapsed().as_secs_f64());
    let jwks = Browser::default().try_request("GET", &stack.url(JWKS), &[], None);
    let jwks = jwks.unwrap_or_default().body;
    let jwks: Value = serde_json::from_str(&jwks).unwrap_or_default();
    let recorded = stack.origin.all();
    let mut seen = Seen::new();
    for r in &recorded[before..] {
        let path = r.url.split('?').next().unwrap();
        seen.entry(path).or_default().push(r);
    }
    let mut table: Table = Default::default();
    let (mut latency, mut examples) = (vec![], vec![]);
    let sent = shared.sent.into_inner().unwrap();
    for s in &sent {
        let problem = check(s, &seen, &jwks, stack).err();
        let outcome = problem.as_ref().map_or(1, |p| 2 + usize::from(p.0));
        for row in [s.cat as usize, CATS.len()] {
            table[row][0] += 1;
            table[row][outcome] += 1;
            table[row][4] += usize::from(s.reply.status >= 500);
        }
        if s.cat == Valid && outcome == 1 {
            latency.push(s.elapsed);
        }
        examples.extend(problem.map(|(_, why)| format!("  e.g. {} {why}", s.path)));
    }
    let sent_paths: HashSet<&str> = sent.iter().map(|s| s.path.as_str()).collect();
    seen.retain(|path, _| !sent_paths.contains(path));
    let mut strays: Vec<&str> = seen.into_keys().collect();
    let (at_origin, requests) = (recorded.len() - before, shared.requests.into_inner());
    let origin = format!("{at_origin} at the origin, {} stray", strays.len());
    report(&table, &mut latency, (requests, secs), &origin);
    strays.truncate(5);
    verdict(&table, &jwks, &strays, examples)
}

/// What failed, with examples of the replies at fault.
fn verdict(table: &Table, jwks: &Value, strays: &[&str], examples: Vec<String>) -> Vec<String> {
    let mut failures = vec![];
    if jwks.is_null() {
        failures.push("could not read the worker's JWK Set after the run".into());
    }
    for (n, what) in table[CATS.len()][2..].iter().zip(FAILED) {
        failures.extend((*n > 0).then(|| format!("{n} {what}")));
    }
    let [valid, launched, ..] = table[0];
    if launched < valid || valid == 0 {
        failures.push(format!("{launched} of {valid} valid launches went right"));
    }
    if !strays.is_empty() {
        failures.push(format!("the origin saw requests nobody sent: {strays:?}"));
    }
    if !failures.is_empty() {
        failures.extend(examples.into_iter().take(10));
    }
    failures
}

/// What the unexpected, false accept and 5xx counts mean, as failures.
const FAILED: [&str; 3] = [
    "replies were not what their category expects",
    "false accepts: hostile, replayed or forged requests reached the origin",
    "replies were 5xx",
];
const JWKS: &str = "/.well-known/jwks.json";

/// Prints the counts by category, the rates and the valid launches' latency.
fn report(table: &Table, latency: &mut [Duration], (requests, secs): (u64, f64), origin: &str) {
    println!("\ncategory, expects        [sent, expected, unexpected, FALSE+, 5xx]");
    let names = CATS.map(|(cat, status, _)| format!("{cat:?}, {status}"));
    for (name, row) in names.iter().zip(table) {
        println!("{name:<24} {row:?}");
    }
    println!("{:<24} {:?}", "total", table[CATS.len()]);
    latency.sort();
    let ms = |p: usize| {
        let at = latency.get((latency.len() * p).div_ceil(100).max(1) - 1);
        format!("{:.1} ms", at.map_or(0.0, |d| d.as_secs_f64() * 1e3))
    };
    let per_second = |n: usize| format!("{n} in {secs:.1} s, {:.1}/s", n as f64 / secs);
    println!("HTTP requests: {}; {origin}", per_second(requests as usize));
    let latency_ms = format!("p50 {}, p99 {}, max {}", ms(50), ms(99), ms(100));
    let launches = per_second(latency.len());
    println!("valid launches: {launches}; launch POST latency {latency_ms}");
}

/// One reply against its category's rule and what the origin saw.
fn check(s: &Sent, seen: &Seen, jwks: &Value, stack: &Stack) -> Result<(), Problem> {
    let (reply, (cat, status, check)) = (&s.reply, CATS[s.cat as usize]);
    debug_assert_eq!(cat, s.cat, "`CATS` in the order of `Cat`");
    let at = |path: &str| seen.get(path).map_or(&[][..], Vec::as_slice);
    let got = format!("{} {}", reply.status, brief(&reply.body));
    if status == 200 {
        return reached(s, at(&s.path), jwks, stack)
            .map_err(|(breach, why)| (breach, format!("{why}, answered {got}")));
    }
    // A replay's path is its launch's, which the origin saw once.
    let replay = matches!(s.cat, ReplaySameState | ReplayNewLogin);
    if at(&s.path).len() > usize::from(replay) {
        return Err((true, format!("REACHED THE ORIGIN, answered {got}")));
    }
    let no_store = reply.header("cache-control") == Some("no-store");
    if reply.status == status && reply.body.contains(check) && no_store {
        return Ok(());
    }
    let wanted = format!("expected {status} naming `{check}` and no-store");
    Err((false, format!("{wanted}, got {got} (no-store: {no_store})")))
}

/// A request that must reach the origin once (`at_path`), with the assertion
/// it is due. A wrong assertion at the origin is a breach, not a glitch.
fn reached(s: &Sent, at_path: &[&Recorded], jwks: &Value, stack: &Stack) -> Result<(), Problem> {
    let breach = |why: String| Err((true, why));
    if s.reply.status != 200 || s.reply.body != format!("origin saw {}", s.path) {
        return Err((false, "not the origin's answer".into()));
    }
    let [recorded] = at_path else {
        return Err((false, format!("the origin saw {} requests", at_path.len())));
    };
    let assertions = recorded.cgi_header("lti-jwt-assertion");
    if (s.forged.as_deref()).is_some_and(|forged| assertions.contains(&forged)) {
        return breach("the forged assertion reached the origin".into());
    }
    let n = assertions.len();
    let nonce = match (s.cat, &s.nonce, n) {
        (PassBare | PassForged, _, 0) => return Ok(()),
        (PassBare | PassForged, ..) => return breach(format!("{n} assertions, no session")),
        (_, None, _) => return breach("no nonce recorded".into()),
        (_, Some(nonce), 1) => nonce,
        _ => return breach(format!("{n} assertions, not one")),
    };
    let verified = verify_rs256_or_es256(assertions[0], jwks);
    let (_, claims) =
        verified.map_err(|e| (true, format!("the assertion does not verify: {e}")))?;
    let (iss, aud, lti) = (&claims["iss"], &claims["aud"], &claims["lti"]);
    if iss != stack.worker.as_str() || aud != stack.origin.base_url().as_str() {
        return breach(format!("assertion iss/aud {iss} {aud}"));
    }
    if claims["exp"].as_u64().unwrap_or(0) + 60 < now() {
        return breach("the assertion is expired".into());
    }
    // Under concurrency, each launch's claims must reach its own request.
    let found = &lti["nonce"];
    if found != nonce.as_str() {
        return breach(format!("another launch's nonce {found}, not {nonce}"));
    }
    let target = &lti["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"];
    if s.cat == Valid && target != stack.url(&s.path).as_str() {
        return breach(format!("the assertion's target_link_uri is {target}"));
    }
    Ok(())
}

/// A body for a message: an error page's first paragraph, else its first line.
fn brief(body: &str) -> String {
    let paragraph = body
        .split_once("<p>")
        .and_then(|(_, p)| p.split_once("</p>"));
    let text = paragraph.map_or(body.lines().next().unwrap_or_default(), |(p, _)| p);
    text.chars().take(300).collect()
}

/// Panics or uncaught errors in the worker's log.
pub fn worker_log_problems(stack: &Stack) -> Option<String> {
    let log = std::fs::read_to_string(stack.log_path()).ok()?;
    let signs = ["panicked", "Uncaught", "RuntimeError", "unreachable"];
    let is_bad = |line: &&str| signs.iter().any(|sign| line.contains(sign));
    let bad: Vec<&str> = log.lines().filter(is_bad).take(5).collect();
    (!bad.is_empty()).then(|| format!("the worker's log has errors: {bad:#?}"))
}
