//! The verdict on a run: every reply checked against its category and against
//! what the origin saw, one table for the log, and the list of what failed.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::time::Duration;

use dev_platform::verify_rs256_or_es256;
use lti_edge_e2e::{Browser, Recorded, Stack};
use serde_json::Value;

use crate::cats::{Cat, Sent, CATS};
use crate::client::now;

/// The HTTP requests the clients sent, and in how long.
pub type Rate = (u64, Duration);

/// The origin's requests by path (query dropped).
type Seen<'r> = HashMap<&'r str, Vec<&'r Recorded>>;

/// What is wrong with one reply.
enum Problem {
    Unexpected(String),
    /// Through to the origin when it must not be, or with a wrong assertion.
    FalseAccept(String),
}

/// One reply, and what is wrong with it.
type Judged<'s> = (&'s Sent, Option<Problem>);

/// The columns of the table, as [`counts`] counts them.
const COLUMNS: &str = "sent expected unexpected 5xx FALSE+";

fn counts<'a, 's: 'a>(judged: impl Iterator<Item = &'a Judged<'s>>) -> [usize; 5] {
    let mut counts = [0; 5];
    for (sent, problem) in judged {
        counts[0] += 1;
        counts[1] += usize::from(problem.is_none());
        counts[2] += usize::from(matches!(problem, Some(Problem::Unexpected(_))));
        counts[3] += usize::from(sent.reply.status >= 500);
        counts[4] += usize::from(matches!(problem, Some(Problem::FalseAccept(_))));
    }
    counts
}

/// Checks every reply against its category and the origin's record; prints the
/// table; returns what failed.
pub fn judge(stack: &Stack, sent: &[Sent], before: usize, rate: Rate) -> Vec<String> {
    let jwks_url = stack.url("/.well-known/jwks.json");
    let jwks = Browser::default().try_request("GET", &jwks_url, &[], None);
    let jwks = jwks.ok().and_then(|r| serde_json::from_str(&r.body).ok());
    let jwks = jwks.unwrap_or(Value::Null);
    let recorded = stack.origin.all();
    let mut seen = Seen::new();
    for r in &recorded[before..] {
        seen.entry(r.url.split('?').next().unwrap())
            .or_default()
            .push(r);
    }
    let judged: Vec<Judged> = sent
        .iter()
        .map(|s| (s, check(s, &seen, &jwks, stack).err()))
        .collect();
    let sent_paths: HashSet<&str> = sent.iter().map(|s| s.path.as_str()).collect();
    let mut strays: Vec<&str> = seen
        .into_keys()
        .filter(|p| !sent_paths.contains(p))
        .collect();
    strays.sort();
    let origin = recorded.len() - before;
    let at_origin = format!("{origin} at the origin, {} stray", strays.len());
    println!("{}", report(&judged, rate, &at_origin));
    verdict(&judged, &jwks, &strays)
}

/// One line of the table.
fn row(name: &str, expects: &str, cells: impl IntoIterator<Item = impl Display>) -> String {
    let cells: String = cells.into_iter().map(|c| format!(" {c:>10}")).collect();
    format!("{name:<18} {expects:>7}{cells}\n")
}

/// The counts by category, the rates and the valid launches' latency.
fn report(judged: &[Judged], (requests, elapsed): Rate, at_origin: &str) -> String {
    let mut table = "\n".to_owned() + &row("category", "expects", COLUMNS.split(' '));
    for (cat, status, _) in CATS {
        let of_cat = judged.iter().filter(|(s, _)| s.cat == cat);
        table += &row(&format!("{cat:?}"), &status.to_string(), counts(of_cat));
    }
    table += &row("total", "", counts(judged.iter()));
    let launched = judged
        .iter()
        .filter(|(s, problem)| s.cat == Cat::Valid && problem.is_none());
    let mut latency: Vec<Duration> = launched.map(|(s, _)| s.elapsed).collect();
    latency.sort();
    let ms = |p: usize| {
        let rank = (latency.len() * p).div_ceil(100).max(1);
        let at = latency.get(rank - 1).copied().unwrap_or_default();
        format!("{:.1} ms", at.as_secs_f64() * 1e3)
    };
    let secs = elapsed.as_secs_f64();
    let per_second = |n: usize| format!("{n} in {secs:.1} s, {:.1}/s", n as f64 / secs);
    let (requests, launches) = (per_second(requests as usize), per_second(latency.len()));
    let scored = judged.len();
    table += &format!("HTTP requests: {requests}; {scored} scored; {at_origin}\n");
    let latency = format!("p50 {}, p99 {}, max {}", ms(50), ms(99), ms(100));
    table + &format!("valid launches: {launches}; launch POST latency {latency}\n")
}

/// What failed, with examples of the replies at fault.
fn verdict(judged: &[Judged], jwks: &Value, strays: &[&str]) -> Vec<String> {
    let [_, _, unexpected, server_errors, false_accepts] = counts(judged.iter());
    let [valid, launched, ..] = counts(judged.iter().filter(|(s, _)| s.cat == Cat::Valid));
    let mut failures = Vec::new();
    let mut fail = |failed: bool, why: String| failures.extend(failed.then_some(why));
    fail(
        jwks.is_null(),
        "could not read the worker's JWK Set after the run".into(),
    );
    fail(
        false_accepts > 0,
        format!("{false_accepts} false accepts: {BREACH}"),
    );
    fail(
        server_errors > 0,
        format!("{server_errors} replies were 5xx"),
    );
    fail(
        unexpected > 0,
        format!("{unexpected} replies were not what their category expects"),
    );
    fail(
        launched < valid || valid == 0,
        format!("{launched} of {valid} valid launches went right"),
    );
    let strays = &strays[..strays.len().min(5)];
    fail(
        !strays.is_empty(),
        format!("the origin saw requests nobody sent: {strays:?}"),
    );
    let examples = judged.iter().filter_map(|(s, problem)| match problem {
        Some(Problem::Unexpected(why) | Problem::FalseAccept(why)) => Some((&s.path, why)),
        None => None,
    });
    if !failures.is_empty() {
        failures.extend(
            examples
                .take(10)
                .map(|(path, why)| format!("  e.g. {path} {why}")),
        );
    }
    failures
}

const BREACH: &str = "hostile, replayed or forged requests reached the origin";

/// Whether the origin saw `s`: at its path, or, for a replay, past the first
/// request at the replayed launch's (a same-state replay's own path is that
/// launch's, which the origin saw once).
fn reached_origin(s: &Sent, seen: &Seen) -> bool {
    let count = |path: &str| seen.get(path).map_or(0, Vec::len);
    let own_path = s.cat != Cat::ReplaySameState && count(&s.path) > 0;
    s.replayed
        .as_ref()
        .map_or(own_path, |first| count(first) > 1 || own_path)
}

/// One reply against its category's rule and what the origin saw.
fn check(s: &Sent, seen: &Seen, jwks: &Value, stack: &Stack) -> Result<(), Problem> {
    let (reply, (status, check)) = (&s.reply, s.cat.expect());
    if status == 200 {
        return reached(s, seen, jwks, stack);
    }
    let got = format!("{} {}", reply.status, brief(&reply.body));
    if reached_origin(s, seen) {
        return Err(Problem::FalseAccept(format!(
            "REACHED THE ORIGIN, answered {got}"
        )));
    }
    let no_store = reply.header("cache-control") == Some("no-store");
    if reply.status == status && reply.body.contains(check) && no_store {
        return Ok(());
    }
    let wanted = format!("expected {status} naming `{check}` and no-store");
    Err(Problem::Unexpected(format!(
        "{wanted}, got {got} (no-store: {no_store})"
    )))
}

/// A request that must reach the origin once, with the assertion it is due.
fn reached(s: &Sent, seen: &Seen, jwks: &Value, stack: &Stack) -> Result<(), Problem> {
    if s.reply.status != 200 || s.reply.body != format!("origin saw {}", s.path) {
        let got = format!("answered {} {}", s.reply.status, brief(&s.reply.body));
        return Err(Problem::Unexpected(got));
    }
    let at_path = seen.get(s.path.as_str()).map_or(&[][..], Vec::as_slice);
    let [recorded] = at_path else {
        let saw = format!("the origin saw {} requests", at_path.len());
        return Err(Problem::Unexpected(saw));
    };
    let assertions: Vec<&str> = (recorded.headers.iter())
        .filter(|(name, _)| name.eq_ignore_ascii_case("lti-jwt-assertion"))
        .map(|(_, value)| value.as_str())
        .collect();
    let forged = s.forged.as_deref();
    if forged.is_some_and(|forged| assertions.contains(&forged)) {
        return Err(Problem::FalseAccept(
            "the forged assertion reached the origin".into(),
        ));
    }
    // A wrong assertion at the origin is a breach, not a glitch.
    check_assertion(s, &assertions, jwks, stack).map_err(Problem::FalseAccept)
}

/// The origin's assertion headers for a passthrough or a launch, as they must be.
fn check_assertion(
    s: &Sent,
    assertions: &[&str],
    jwks: &Value,
    stack: &Stack,
) -> Result<(), String> {
    let nonce = match (s.cat, &s.nonce, assertions.len()) {
        (Cat::PassBare | Cat::PassForged, _, 0) => return Ok(()),
        (Cat::PassBare | Cat::PassForged, _, n) => {
            return Err(format!("{n} assertions, no session"))
        }
        (_, Some(nonce), _) => nonce,
        (_, None, _) => return Err("no nonce recorded".into()),
    };
    let [assertion] = assertions else {
        return Err(format!("{} assertions, not one", assertions.len()));
    };
    let verified = verify_rs256_or_es256(assertion, jwks);
    let (_, claims) = verified.map_err(|e| format!("the assertion does not verify: {e}"))?;
    let (iss, aud) = (&claims["iss"], &claims["aud"]);
    if iss != stack.worker.as_str() || aud != stack.origin.base_url().as_str() {
        return Err(format!("assertion iss/aud {iss} {aud}"));
    }
    if claims["exp"].as_u64().unwrap_or(0) + 60 < now() {
        return Err("the assertion is expired".into());
    }
    // Under concurrency, each launch's claims must reach its own request.
    let (found, target) = (&claims["lti"]["nonce"], &claims["lti"][TARGET_LINK_URI]);
    if found != nonce.as_str() {
        return Err(format!(
            "another launch's claims (nonce {found}, not {nonce})"
        ));
    }
    if s.cat == Cat::Valid && target != stack.url(&s.path).as_str() {
        return Err(format!("the assertion's target_link_uri is {target}"));
    }
    Ok(())
}

const TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";

/// A body for a message: an error page's first paragraph, else its first line.
fn brief(body: &str) -> String {
    let paragraph = body
        .split_once("<p>")
        .and_then(|(_, rest)| rest.split_once("</p>"));
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
