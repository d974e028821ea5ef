//! The verdict on a run: every reply checked against its category and against
//! what the origin saw, a table for the log, and the list of what failed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use dev_platform::verify_rs256_or_es256;
use lti_edge_e2e::{Browser, Recorded, Stack};
use serde_json::Value;

use crate::cats::{Cat, Expect, Sent, CATS};
use crate::client::now;

/// The origin's requests by path (query dropped).
type Seen<'r> = HashMap<&'r str, Vec<&'r Recorded>>;

#[derive(Default, Clone, Copy)]
struct Counts {
    sent: u64,
    /// 200 and the origin saw it.
    accepted: u64,
    /// The expected rejection (status and the check named).
    rejected: u64,
    /// Neither the expected success nor the expected rejection.
    unexpected: u64,
    server_errors: u64,
    /// Through to the origin when it must not be (or with a forged assertion).
    false_accepts: u64,
}

impl Counts {
    fn add(&mut self, c: &Counts) {
        self.sent += c.sent;
        self.accepted += c.accepted;
        self.rejected += c.rejected;
        self.unexpected += c.unexpected;
        self.server_errors += c.server_errors;
        self.false_accepts += c.false_accepts;
    }

    fn row(&self, name: &str, expects: &str) -> String {
        let c = self;
        let numbers = [
            c.sent,
            c.accepted,
            c.rejected,
            c.unexpected,
            c.server_errors,
            c.false_accepts,
        ];
        let [a, b, c, d, e, f] = numbers.map(|n| n.to_string());
        row([name, expects, &a, &b, &c, &d, &e, &f])
    }
}

fn row(
    [name, expects, sent, accepted, rejected, unexpected, errors, false_accepts]: [&str; 8],
) -> String {
    format!(
        "{name:<28} {expects:>8} {sent:>8} {accepted:>8} {rejected:>8} {unexpected:>10} {errors:>6} \
         {false_accepts:>7}\n"
    )
}

/// One reply, judged by its category's rule.
enum Outcome {
    Expected,
    Unexpected(String),
    /// Through to the origin when it must not be, or with a wrong assertion.
    FalseAccept(String),
}

/// What a run scored, by category.
struct Tally {
    counts: BTreeMap<Cat, Counts>,
    total: Counts,
    /// Up to three problems per category, for the report.
    examples: BTreeMap<Cat, Vec<String>>,
    /// Of the valid launches the origin saw, sorted.
    valid_latency: Vec<Duration>,
    origin_requests: usize,
    /// Paths the origin saw that no request of this test explains.
    strays: Vec<String>,
}

/// Checks every reply against its category and the origin's record; prints the
/// table; returns what failed.
pub fn judge(
    stack: &Stack,
    sent: &[Sent],
    before: usize,
    elapsed: Duration,
    requests: u64,
) -> Vec<String> {
    let jwks = Browser::default()
        .try_request("GET", &stack.url("/.well-known/jwks.json"), &[], None)
        .ok()
        .and_then(|reply| serde_json::from_str(&reply.body).ok())
        .unwrap_or(Value::Null);
    let tally = score(stack, sent, before, &jwks);
    println!("{}", report(&tally, sent, &jwks, elapsed, requests));
    verdict(&tally, &jwks)
}

fn score(stack: &Stack, sent: &[Sent], before: usize, jwks: &Value) -> Tally {
    let seen_all = stack.origin.all();
    let mut seen = Seen::new();
    for recorded in &seen_all[before..] {
        let path = recorded.url.split('?').next().unwrap_or_default();
        seen.entry(path).or_default().push(recorded);
    }
    let mut tally = Tally {
        counts: CATS.iter().map(|c| (c.0, Counts::default())).collect(),
        total: Counts::default(),
        examples: BTreeMap::new(),
        valid_latency: Vec::new(),
        origin_requests: seen_all.len() - before,
        strays: Vec::new(),
    };
    for s in sent {
        let accepted = s.status == 200 && reached_origin(s, &seen);
        let c = tally.counts.get_mut(&s.cat).unwrap();
        c.sent += 1;
        c.server_errors += u64::from(s.status >= 500);
        c.accepted += u64::from(accepted);
        let problem = match check(s, &seen, jwks, stack) {
            Outcome::Expected => {
                c.rejected += u64::from(matches!(s.cat.expect(), Expect::Rejected(..)));
                None
            }
            Outcome::Unexpected(problem) => {
                c.unexpected += 1;
                Some(problem)
            }
            Outcome::FalseAccept(problem) => {
                c.false_accepts += 1;
                Some(problem)
            }
        };
        if s.cat == Cat::Valid && accepted {
            tally.valid_latency.push(s.elapsed);
        }
        let list = tally.examples.entry(s.cat).or_default();
        if let (Some(problem), true) = (problem, list.len() < 3) {
            list.push(format!("{} {}", s.path, compact(&problem)));
        }
    }
    tally.counts.values().for_each(|c| tally.total.add(c));
    tally.valid_latency.sort();
    let sent_paths: HashSet<&str> = sent.iter().map(|s| s.path.as_str()).collect();
    let strays = seen.keys().filter(|p| !sent_paths.contains(*p));
    tally.strays = strays.map(|p| p.to_string()).collect();
    tally.strays.sort();
    tally
}

/// The table of the run, its rates and latencies, and examples of problems.
fn report(tally: &Tally, sent: &[Sent], jwks: &Value, elapsed: Duration, requests: u64) -> String {
    let mut table = "\n".to_owned();
    table += &row([
        "category",
        "expects",
        "sent",
        "accepted",
        "rejected",
        "unexpected",
        "5xx",
        "FALSE+",
    ]);
    for (cat, c) in &tally.counts {
        let expects = match cat.expect() {
            Expect::Reached => 200,
            Expect::Rejected(status, _) => status,
        };
        table += &c.row(cat.name(), &expects.to_string());
    }
    table += &tally.total.row("total (scored)", "");
    let (mut literal, mut genuine, mut attacker) = (0, 0, 0);
    for forged in sent.iter().filter_map(|s| s.forged.as_deref()) {
        if forged.starts_with("forged.") {
            literal += 1;
        } else if verify_rs256_or_es256(forged, jwks).is_ok() {
            genuine += 1;
        } else {
            attacker += 1;
        }
    }
    let (launches, latency) = (tally.counts[&Cat::Valid].accepted, &tally.valid_latency);
    let secs = elapsed.as_secs_f64();
    let _ = writeln!(
        table,
        "\n{requests} HTTP requests in {secs:.1} s ({:.1} req/s), {} scored; {} origin requests; \
         {} stray origin requests",
        requests as f64 / secs,
        tally.total.sent,
        tally.origin_requests,
        tally.strays.len()
    );
    let _ = writeln!(
        table,
        "valid launches: {launches} ({:.2} launches/s); launch POST latency p50 {}, p99 {}, max {}",
        launches as f64 / secs,
        ms(percentile(latency, 50.0)),
        ms(percentile(latency, 99.0)),
        ms(latency.last().copied().unwrap_or_default()),
    );
    let _ = writeln!(
        table,
        "forged Lti-Jwt-Assertion headers sent: {literal} junk, {attacker} signed by an \
         unknown key, {genuine} genuine assertions of earlier launches"
    );
    for (cat, list) in tally.examples.iter().filter(|(_, l)| !l.is_empty()) {
        let _ = writeln!(table, "examples of {}:", cat.name());
        for example in list {
            let _ = writeln!(table, "  {example}");
        }
    }
    table
}

/// What failed: any false accept or 5xx, a valid launch not accepted, any
/// reply its category does not expect, a stray request at the origin.
fn verdict(tally: &Tally, jwks: &Value) -> Vec<String> {
    let (total, valid) = (&tally.total, &tally.counts[&Cat::Valid]);
    let mut failures = Vec::new();
    if jwks.is_null() {
        failures.push("could not read the worker's JWK Set after the run".into());
    }
    if total.false_accepts > 0 {
        failures.push(format!(
            "{} false accepts (hostile, replayed or forged requests reached the origin)",
            total.false_accepts
        ));
    }
    if total.server_errors > 0 {
        failures.push(format!("{} responses were 5xx", total.server_errors));
    }
    if valid.sent == 0 || valid.accepted != valid.sent || valid.unexpected > 0 {
        failures.push(format!(
            "valid launches: {} sent, {} accepted, {} unexpected",
            valid.sent, valid.accepted, valid.unexpected
        ));
    }
    if total.unexpected > 0 {
        failures.push(format!(
            "{} replies were not what their category expects",
            total.unexpected
        ));
    }
    if !tally.strays.is_empty() {
        let strays = &tally.strays[..tally.strays.len().min(5)];
        failures.push(format!("the origin saw requests nobody sent: {strays:?}"));
    }
    failures
}

/// Whether the origin saw `s`: at its path, or, for a replay, past the first
/// request at the replayed launch's (a same-state replay's own path is that
/// launch's, which the origin saw once).
fn reached_origin(s: &Sent, seen: &Seen) -> bool {
    let count = |path: &str| seen.get(path).map_or(0, Vec::len);
    match &s.replayed_path {
        Some(replayed) => {
            count(replayed) > 1 || (s.cat != Cat::ReplaySameState && count(&s.path) > 0)
        }
        None => count(&s.path) > 0,
    }
}

/// One reply against its category's rule and what the origin saw.
fn check(s: &Sent, seen: &Seen, jwks: &Value, stack: &Stack) -> Outcome {
    let (status, check) = match s.cat.expect() {
        Expect::Reached => return reached(s, seen, jwks, stack),
        Expect::Rejected(status, check) => (status, check),
    };
    if reached_origin(s, seen) {
        let reply = format!("(status {}): {}", s.status, s.body);
        return Outcome::FalseAccept(format!("REACHED THE ORIGIN {reply}"));
    }
    if s.status == status
        && s.body.contains(check)
        && s.cache_control.as_deref() == Some("no-store")
    {
        return Outcome::Expected;
    }
    let cache_control = &s.cache_control;
    Outcome::Unexpected(format!(
        "expected {status} naming `{check}`, got {} (cache-control {cache_control:?}): {}",
        s.status, s.body
    ))
}

/// A request that must reach the origin once, with the assertion it is due.
fn reached(s: &Sent, seen: &Seen, jwks: &Value, stack: &Stack) -> Outcome {
    if s.status != 200 || s.body != format!("origin saw {}", s.path) {
        return Outcome::Unexpected(format!("answered {}: {}", s.status, s.body));
    }
    let at_path = seen.get(s.path.as_str()).map(Vec::as_slice).unwrap_or(&[]);
    let [recorded] = at_path else {
        return Outcome::Unexpected(format!("the origin saw {} requests", at_path.len()));
    };
    let assertions: Vec<&str> = (recorded.headers.iter())
        .filter(|(n, _)| n.eq_ignore_ascii_case("lti-jwt-assertion"))
        .map(|(_, v)| v.as_str())
        .collect();
    let problem = match &s.forged {
        Some(forged) if assertions.contains(&forged.as_str()) => {
            Some("the forged assertion reached the origin".into())
        }
        _ => check_assertion(s, &assertions, jwks, stack),
    };
    // A wrong assertion at the origin is a breach, not a glitch.
    problem.map_or(Outcome::Expected, Outcome::FalseAccept)
}

/// The origin's assertion headers for a passthrough or a launch, as they must be.
fn check_assertion(s: &Sent, assertions: &[&str], jwks: &Value, stack: &Stack) -> Option<String> {
    let expect_nonce = match (s.cat, &s.nonce) {
        (Cat::PassBare | Cat::PassForged, _) => {
            return (!assertions.is_empty())
                .then(|| format!("{} assertion(s) without a session", assertions.len()));
        }
        (_, Some(nonce)) => nonce,
        (_, None) => return Some("no nonce recorded".into()),
    };
    let [assertion] = assertions else {
        return Some(format!("{} assertions, not one", assertions.len()));
    };
    let claims = match verify_rs256_or_es256(assertion, jwks) {
        Ok((_, claims)) => claims,
        Err(e) => return Some(format!("the assertion does not verify: {e}")),
    };
    if claims["iss"] != stack.worker.as_str() || claims["aud"] != stack.origin.base_url().as_str() {
        return Some(format!(
            "assertion iss/aud {} {}",
            claims["iss"], claims["aud"]
        ));
    }
    if claims["exp"].as_u64().unwrap_or(0) + 60 < now() {
        return Some("the assertion is expired".into());
    }
    // Under concurrency, each launch's claims must reach its own request.
    if claims["lti"]["nonce"] != expect_nonce.as_str() {
        return Some(format!(
            "the assertion carries another launch's claims (nonce {}, expected {expect_nonce})",
            claims["lti"]["nonce"]
        ));
    }
    let target = &claims["lti"]["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"];
    if s.cat == Cat::Valid && target != stack.url(&s.path).as_str() {
        return Some(format!("the assertion's target_link_uri is {target}"));
    }
    None
}

/// Panics or uncaught errors in the worker's log.
pub fn worker_log_problems(stack: &Stack) -> Option<String> {
    let log = std::fs::read_to_string(stack.log_path()).ok()?;
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| {
            ["panicked", "Uncaught", "RuntimeError", "unreachable"]
                .iter()
                .any(|w| l.contains(w))
        })
        .take(5)
        .collect();
    (!bad.is_empty()).then(|| format!("the worker's log has errors: {bad:#?}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A reply for the report: the message of an error page, or the first line.
fn compact(text: &str) -> String {
    let message = text
        .split("<p>")
        .nth(1)
        .and_then(|p| p.split("</p>").next());
    let text = match (text.split(": <!doctype").next(), message) {
        (Some(head), Some(message)) => format!("{head}: {message}"),
        _ => text.lines().next().unwrap_or_default().to_owned(),
    };
    text.chars().take(300).collect()
}
