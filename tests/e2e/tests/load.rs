//! A bounded load test on loopback: valid launches, replays, hostile launches
//! and passthrough requests from several threads at once, against one worker
//! under `wrangler dev`. Correctness under load, not throughput: the request
//! rate is capped well below what `wrangler dev`'s proxy can carry.
//!
//! Every request carries a target path of its own (`/t/load/<category>/<n>`),
//! so the recording origin proves afterwards what got through and what did not.
//!
//! Knobs (environment): `LOAD_SECONDS` (default 120), `LOAD_THREADS` (4),
//! `LOAD_RPS` (a ceiling on requests per second, all threads together; 150),
//! `LOAD_MAX_REQUESTS` (a ceiling on the count; 60000), `LOAD_SEED` (the mix;
//! random unless given, printed either way).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dev_platform::{hs256, verify_rs256_or_es256, SigningKeyChoice};
use libtest_mimic::{Arguments, Failed, Trial};
use lti_edge_e2e::{Recorded, Stack};
use serde_json::{json, Value};

const TRIAL: &str = "load::mixed_launches_for_two_minutes";
const RESOURCE_LINK: &str = "LtiResourceLinkRequest";
const ASSERTION: &str = "lti-jwt-assertion";

fn main() {
    let args = Arguments::from_args();
    // `--list` lists without running; the stack starts inside the trial only.
    let trial = Trial::test(TRIAL, || run(Knobs::from_env()));
    libtest_mimic::run(&args, vec![trial]).exit();
}

struct Knobs {
    duration: Duration,
    threads: usize,
    rps: u64,
    max_requests: u64,
    seed: u64,
}

impl Knobs {
    fn from_env() -> Self {
        fn var(name: &str, default: u64) -> u64 {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}")),
                Err(_) => default,
            }
        }
        Self {
            duration: Duration::from_secs(var("LOAD_SECONDS", 120).clamp(1, 3600)),
            threads: var("LOAD_THREADS", 4).clamp(1, 16) as usize,
            rps: var("LOAD_RPS", 150).clamp(1, 300),
            max_requests: var("LOAD_MAX_REQUESTS", 60_000).max(1),
            seed: var(
                "LOAD_SEED",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos() as u64,
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Categories and what each must get.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Cat {
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

const ALL: [Cat; 15] = [
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
];

/// What a request of a category must get.
enum Expect {
    /// 200 from the origin, which saw the request exactly once.
    Reached,
    /// This status, with a page naming this check, and nothing at the origin.
    Rejected(u16, &'static str),
}

impl Cat {
    fn name(self) -> &'static str {
        match self {
            Valid => "valid launch",
            ReplaySameState => "replay (state cookie back)",
            ReplayNewLogin => "replay (fresh login)",
            Tampered => "tampered signature",
            AlgNone => "alg none",
            Hs256PublicKey => "HS256 keyed w/ public key",
            WrongAud => "wrong aud",
            Expired => "expired",
            ForeignNonce => "foreign nonce",
            Garbage => "garbage token",
            Oversized => "oversized body",
            PassBare => "pass: no session",
            PassForged => "pass: no session + forged",
            PassSession => "pass: session",
            PassSessionForged => "pass: session + forged",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Valid => "valid",
            ReplaySameState => "replay-state",
            ReplayNewLogin => "replay-login",
            Tampered => "tampered",
            AlgNone => "alg-none",
            Hs256PublicKey => "hs256",
            WrongAud => "aud",
            Expired => "expired",
            ForeignNonce => "nonce",
            Garbage => "garbage",
            Oversized => "oversized",
            PassBare => "pass-bare",
            PassForged => "pass-forged",
            PassSession => "pass-session",
            PassSessionForged => "pass-session-forged",
        }
    }

    fn expect(self) -> Expect {
        match self {
            Valid | PassBare | PassForged | PassSession | PassSessionForged => Expect::Reached,
            ReplaySameState => Expect::Rejected(401, "state"),
            ReplayNewLogin => Expect::Rejected(401, "nonce"),
            Tampered => Expect::Rejected(401, "signature"),
            AlgNone | Hs256PublicKey => Expect::Rejected(401, "algorithm"),
            WrongAud => Expect::Rejected(401, "aud"),
            Expired => Expect::Rejected(401, "expired"),
            ForeignNonce => Expect::Rejected(401, "nonce"),
            Garbage => Expect::Rejected(400, "malformed"),
            Oversized => Expect::Rejected(413, "too large"),
        }
    }
}

/// One request the test sent, and what came back.
struct Sent {
    cat: Cat,
    /// The target path only this request uses (no query).
    path: String,
    /// 0: no HTTP answer at all.
    status: u16,
    body: String,
    cache_control: Option<String>,
    elapsed: Duration,
    /// For a valid launch, and a passthrough with a session: the nonce of the
    /// launch whose claims the origin's assertion must carry.
    nonce: Option<String>,
    /// For a replay: the path of the launch whose token it replays.
    replayed_path: Option<String>,
    /// A forged `Lti-Jwt-Assertion` value that must not reach the origin.
    forged: Option<String>,
}

// ---------------------------------------------------------------------------
// A thread-safe, Result-returning client: cookies kept by hand, no redirects.

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    elapsed: Duration,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn set_cookies(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| {
                let (name, rest) = v.split_once('=')?;
                let value = rest.split(';').next().unwrap_or_default();
                Some((name, value, v.contains("Max-Age=0")))
            })
    }

    fn failed(error: String, elapsed: Duration) -> Self {
        Self {
            status: 0,
            headers: Vec::new(),
            body: error,
            elapsed,
        }
    }
}

/// A cookie jar for one simulated browser.
#[derive(Default, Clone)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn store(&mut self, reply: &Reply) {
        for (name, value, removed) in reply.set_cookies() {
            if removed {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

/// Spreads requests over time: no more than `rps` a second, all threads together.
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(rps: u64) -> Self {
        Self {
            interval: Duration::from_micros(1_000_000 / rps),
            next: Mutex::new(Instant::now()),
        }
    }

    fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap();
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            thread::sleep(slot - now);
        }
    }
}

struct Shared<'a> {
    stack: &'a Stack,
    pacer: Pacer,
    requests: AtomicU64,
    max_requests: u64,
    deadline: Instant,
    stop: AtomicBool,
    /// Kept to report: every reply the worker gave, unexpected or not, by category.
    sent: Mutex<Vec<Sent>>,
}

struct Worker<'a> {
    shared: &'a Shared<'a>,
    agent: ureq::Agent,
    id: usize,
    seq: u64,
    rng: u64,
    /// The latest session this thread holds: (cookie value, nonce of its launch,
    /// the assertion its launch brought).
    session: Option<(String, String, Option<String>)>,
}

impl<'a> Worker<'a> {
    fn new(shared: &'a Shared<'a>, id: usize, seed: u64) -> Self {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .max_idle_connections_per_host(4)
            .build();
        Self {
            shared,
            agent,
            id,
            seq: 0,
            rng: (0x9E37_79B9_7F4A_7C15
                ^ seed
                ^ (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03))
            .max(1),
            session: None,
        }
    }

    fn stack(&self) -> &'a Stack {
        self.shared.stack
    }

    fn random(&mut self, below: u64) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % below
    }

    fn path(&mut self, cat: Cat) -> String {
        self.seq += 1;
        format!("/t/load/{}/{}-{}", cat.slug(), self.id, self.seq)
    }

    /// False once the time or the request budget is used up.
    fn may_send(&self) -> bool {
        !self.shared.stop.load(Ordering::Relaxed)
            && Instant::now() < self.shared.deadline
            && self.shared.requests.load(Ordering::Relaxed) < self.shared.max_requests
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        jar: &Jar,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Reply {
        self.shared.pacer.wait();
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self.agent.request(method, url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let cookies = jar.header();
        if !cookies.is_empty() {
            request = request.set("cookie", &cookies);
        }
        let started = Instant::now();
        let result = match body {
            Some((content_type, body)) => {
                request.set("content-type", content_type).send_string(body)
            }
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => return Reply::failed(format!("transport error: {e}"), started.elapsed()),
        };
        let status = response.status();
        let mut headers = Vec::new();
        for name in response.headers_names() {
            for value in response.all(&name) {
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        }
        let body = match response.into_string() {
            Ok(body) => body,
            Err(e) => return Reply::failed(format!("reading body: {e}"), started.elapsed()),
        };
        Reply {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        }
    }

    fn record(&self, cat: Cat, path: &str, reply: &Reply, extra: impl FnOnce(&mut Sent)) {
        let mut sent = Sent {
            cat,
            path: path.to_owned(),
            status: reply.status,
            body: reply.body.clone(),
            cache_control: reply.header("cache-control").map(str::to_owned),
            elapsed: reply.elapsed,
            nonce: None,
            replayed_path: None,
            forged: None,
        };
        extra(&mut sent);
        self.shared.sent.lock().unwrap().push(sent);
    }

    /// A GET login on platform a for `tool-a1`; (state, nonce) or why not.
    fn login(&self, jar: &mut Jar, path: &str) -> Result<(String, String), String> {
        let stack = self.stack();
        let url = url::Url::parse_with_params(
            &stack.url("/lti/login"),
            [
                ("iss", stack.platform.issuer("a").as_str()),
                ("login_hint", "user-123"),
                ("target_link_uri", stack.url(path).as_str()),
                ("client_id", "tool-a1"),
            ],
        )
        .unwrap();
        let reply = self.send("GET", url.as_str(), jar, &[], None);
        jar.store(&reply);
        if reply.status != 302 {
            return Err(format!("login answered {}: {}", reply.status, reply.body));
        }
        let location = reply.header("location").ok_or("login: no Location")?;
        let query: HashMap<String, String> = url::Url::parse(location)
            .map_err(|e| format!("login Location {location:?}: {e}"))?
            .query_pairs()
            .into_owned()
            .collect();
        match (query.get("state"), query.get("nonce")) {
            (Some(state), Some(nonce)) => Ok((state.clone(), nonce.clone())),
            _ => Err(format!("login Location lacks state or nonce: {location}")),
        }
    }

    fn claims(&self, nonce: &str, path: &str) -> Value {
        let stack = self.stack();
        stack.platform.launch_claims(
            "a",
            "tool-a1",
            "a1-dep-1",
            RESOURCE_LINK,
            nonce,
            &stack.url(path),
        )
    }

    fn launch(&self, jar: &mut Jar, state: &str, id_token: &str) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token", id_token)
            .append_pair("state", state)
            .finish();
        self.launch_raw(jar, &body)
    }

    fn launch_raw(&self, jar: &mut Jar, body: &str) -> Reply {
        let url = self.stack().url("/lti/launch");
        let reply = self.send(
            "POST",
            &url,
            jar,
            &[],
            Some(("application/x-www-form-urlencoded", body)),
        );
        jar.store(&reply);
        reply
    }

    /// A login whose failure is recorded against `cat` (it should never fail).
    fn login_or_record(&self, cat: Cat, jar: &mut Jar, path: &str) -> Option<(String, String)> {
        match self.login(jar, path) {
            Ok(pair) => Some(pair),
            Err(error) => {
                let status = error
                    .strip_prefix("login answered ")
                    .and_then(|s| s.split(':').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let reply = Reply::failed(format!("LOGIN FAILED: {error}"), Duration::ZERO);
                self.record(cat, path, &Reply { status, ..reply }, |_| {});
                None
            }
        }
    }

    /// One scenario, chosen at random with fixed weights.
    fn step(&mut self) {
        // Weights: valid launches (each may be replayed) 6, every hostile kind 1,
        // every passthrough kind 1.
        let hostile = [
            Tampered,
            AlgNone,
            Hs256PublicKey,
            WrongAud,
            Expired,
            ForeignNonce,
            Garbage,
            Oversized,
        ];
        let passthrough = [PassBare, PassForged, PassSession, PassSessionForged];
        let pick = self.random(6 + hostile.len() as u64 + passthrough.len() as u64) as usize;
        match pick {
            0..=5 => self.valid_launch(),
            n if n < 6 + hostile.len() => self.hostile_launch(hostile[n - 6]),
            n => self.passthrough(passthrough[n - 6 - hostile.len()]),
        }
    }

    fn valid_launch(&mut self) {
        let path = self.path(Valid);
        let mut jar = Jar::default();
        let Some((state, nonce)) = self.login_or_record(Valid, &mut jar, &path) else {
            return;
        };
        let token = self
            .stack()
            .platform
            .sign_id_token("a", &self.claims(&nonce, &path));
        let reply = self.launch(&mut jar, &state, &token);
        self.record(Valid, &path, &reply, |s| s.nonce = Some(nonce.clone()));
        if reply.status == 200 {
            if let Some(session) = jar.0.get("__Host-lti_session") {
                // Kept to be replayed later as a forged header.
                let genuine = self
                    .stack()
                    .origin
                    .requests_to(&path)
                    .into_iter()
                    .find(|r| r.url == path)
                    .and_then(|r| r.assertion().map(str::to_owned));
                self.session = Some((session.clone(), nonce.clone(), genuine));
            }
        }
        // Half the launches are replayed at once, one way or the other.
        match self.random(4) {
            0 if self.may_send() => {
                // The browser lost its state cookie with the launch; put it back.
                jar.0
                    .insert(format!("__Host-lti_state_{state}"), "1".into());
                let replay = self.launch(&mut jar, &state, &token);
                self.record(ReplaySameState, &path, &replay, |s| {
                    s.replayed_path = Some(path.clone())
                });
            }
            1 if self.may_send() => {
                let replay_path = self.path(ReplayNewLogin);
                let Some((state2, _)) =
                    self.login_or_record(ReplayNewLogin, &mut jar, &replay_path)
                else {
                    return;
                };
                let replay = self.launch(&mut jar, &state2, &token);
                self.record(ReplayNewLogin, &replay_path, &replay, |s| {
                    s.replayed_path = Some(path.clone())
                });
            }
            _ => {}
        }
    }

    fn hostile_launch(&mut self, cat: Cat) {
        let path = self.path(cat);
        let mut jar = Jar::default();
        let Some((state, nonce)) = self.login_or_record(cat, &mut jar, &path) else {
            return;
        };
        let platform = &self.stack().platform;
        let claims = self.claims(&nonce, &path);
        let reply = match cat {
            Tampered => {
                let token = platform.sign_id_token("a", &claims);
                let (signed, _) = token.rsplit_once('.').unwrap();
                let mut other = claims.clone();
                other["sub"] = json!("admin");
                let forged = platform.sign_id_token("a", &other);
                let token = format!("{signed}.{}", forged.rsplit_once('.').unwrap().1);
                self.launch(&mut jar, &state, &token)
            }
            AlgNone => {
                let token = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims));
                self.launch(&mut jar, &state, &token)
            }
            Hs256PublicKey => {
                let kid = platform.key_id(SigningKeyChoice::Active("a".into()));
                let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
                let token = hs256(&header, &claims, platform.public_key_pem("a").as_bytes());
                self.launch(&mut jar, &state, &token)
            }
            WrongAud => {
                let mut claims = claims;
                claims["aud"] = json!("tool-a2");
                let token = platform.sign_id_token("a", &claims);
                self.launch(&mut jar, &state, &token)
            }
            Expired => {
                let mut claims = claims;
                let now = claims["iat"].as_u64().unwrap();
                claims["iat"] = json!(now - 3600);
                claims["exp"] = json!(now - 600);
                let token = platform.sign_id_token("a", &claims);
                self.launch(&mut jar, &state, &token)
            }
            ForeignNonce => {
                let mut claims = claims;
                claims["nonce"] = json!(format!("minted-elsewhere-{}", self.seq));
                let token = platform.sign_id_token("a", &claims);
                self.launch(&mut jar, &state, &token)
            }
            Garbage => {
                let valid = b64(&json!({"alg": "RS256"}));
                let tokens = [
                    "garbage".to_owned(),
                    "a.b".to_owned(),
                    "a.b.c".to_owned(),
                    "....".to_owned(),
                    format!("{valid}.!!!.sig"),
                    format!("{valid}.{valid}"),
                ];
                let token = &tokens[self.random(tokens.len() as u64) as usize];
                self.launch(&mut jar, &state, token)
            }
            Oversized => {
                // Past the form's limit (an id_token alone too large is a 400,
                // tested on its own).
                let body = format!("state={state}&id_token={}", "a".repeat(100 * 1024));
                self.launch_raw(&mut jar, &body)
            }
            _ => unreachable!("{cat:?} is not a hostile launch"),
        };
        self.record(cat, &path, &reply, |_| {});
    }

    fn forged_value(&mut self) -> String {
        let platform = &self.stack().platform;
        match self.random(3) {
            0 => format!("forged.by.client-{}-{}", self.id, self.seq),
            // A well-formed assertion from a key the worker does not have.
            1 => platform.sign_raw(
                &json!({"alg": "RS256", "typ": "JWT", "kid": "worker-key"}),
                &json!({
                    "iss": self.stack().worker,
                    "aud": self.stack().origin.base_url(),
                    "sub": "admin",
                    "jti": format!("forged-{}-{}", self.id, self.seq),
                    "iat": now(),
                    "exp": now() + 300,
                }),
                SigningKeyChoice::Attacker,
            ),
            // A genuine assertion of an earlier launch, replayed by the client.
            _ => match self.session.as_ref().and_then(|s| s.2.clone()) {
                Some(genuine) => genuine,
                None => format!("forged.no-genuine-yet-{}-{}", self.id, self.seq),
            },
        }
    }

    fn passthrough(&mut self, cat: Cat) {
        let path = self.path(cat);
        let mut jar = Jar::default();
        let mut nonce = None;
        if matches!(cat, PassSession | PassSessionForged) {
            let Some((session, launch_nonce, _)) = self.session.clone() else {
                // No session yet on this thread: launch first, go on next time.
                return self.valid_launch();
            };
            jar.0.insert("__Host-lti_session".into(), session);
            nonce = Some(launch_nonce);
        }
        let forged = matches!(cat, PassForged | PassSessionForged).then(|| self.forged_value());
        let casing = [
            "Lti-Jwt-Assertion",
            "lti-jwt-assertion",
            "LTI-JWT-ASSERTION",
        ][self.random(3) as usize];
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(value) = &forged {
            headers.push((casing, value));
        }
        let url = self.stack().url(&format!("{path}?n={}", self.seq));
        let reply = if self.random(2) == 0 {
            self.send("GET", &url, &jar, &headers, None)
        } else {
            self.send(
                "POST",
                &url,
                &jar,
                &headers,
                Some(("application/json", r#"{"answer":42}"#)),
            )
        };
        self.record(cat, &path, &reply, |s| {
            s.nonce = nonce;
            s.forged = forged;
        });
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------------------
// The run, then the verdict from the replies and the origin's record.

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

fn run(knobs: Knobs) -> Result<(), Failed> {
    eprintln!(
        "load: starting the stack (LOAD_SECONDS={}, LOAD_THREADS={}, LOAD_RPS={}, \
         LOAD_MAX_REQUESTS={}, LOAD_SEED={})",
        knobs.duration.as_secs(),
        knobs.threads,
        knobs.rps,
        knobs.max_requests,
        knobs.seed
    );
    let stack = Stack::start();
    // Warm the worker's isolate and its platform key cache before the clock starts.
    warm_up(&stack)?;
    let before = stack.origin.all().len();

    let started = Instant::now();
    let shared = Shared {
        stack: &stack,
        pacer: Pacer::new(knobs.rps),
        requests: AtomicU64::new(0),
        max_requests: knobs.max_requests,
        deadline: started + knobs.duration,
        stop: AtomicBool::new(false),
        sent: Mutex::new(Vec::new()),
    };
    let seed = knobs.seed;
    thread::scope(|scope| {
        for id in 0..knobs.threads {
            let shared = &shared;
            scope.spawn(move || {
                let mut worker = Worker::new(shared, id, seed);
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    while worker.may_send() {
                        worker.step();
                    }
                }));
                if outcome.is_err() {
                    // Stop everyone: the verdict below reports the panic's cause.
                    shared.stop.store(true, Ordering::Relaxed);
                    eprintln!("load: thread {id} panicked");
                }
            });
        }
        let shared = &shared;
        scope.spawn(move || {
            let mut last = Instant::now();
            while Instant::now() < shared.deadline && !shared.stop.load(Ordering::Relaxed) {
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

    let verdict = judge(&stack, &sent, before, elapsed, requests);
    let log_problems = worker_log_problems(&stack);
    drop(stack);

    let mut failures = verdict;
    if panicked {
        failures.push("a load thread panicked (see stderr)".into());
    }
    if let Some(problems) = log_problems {
        failures.push(problems);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// A few requests before the clock starts: the worker's key, platform a's JWKS.
fn warm_up(stack: &Stack) -> Result<(), Failed> {
    let shared = Shared {
        stack,
        pacer: Pacer::new(50),
        requests: AtomicU64::new(0),
        max_requests: 10,
        deadline: Instant::now() + Duration::from_secs(60),
        stop: AtomicBool::new(false),
        sent: Mutex::new(Vec::new()),
    };
    let worker = Worker::new(&shared, 99, 1);
    let mut jar = Jar::default();
    let path = "/t/load/warm-up";
    let (state, nonce) = worker.login(&mut jar, path).map_err(Failed::from)?;
    let token = stack
        .platform
        .sign_id_token("a", &worker.claims(&nonce, path));
    let reply = worker.launch(&mut jar, &state, &token);
    if reply.status != 200 {
        return Err(format!("warm-up launch answered {}: {}", reply.status, reply.body).into());
    }
    Ok(())
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

/// Checks every reply against its category and the origin's record; prints the
/// table; returns what failed.
fn judge(
    stack: &Stack,
    sent: &[Sent],
    before: usize,
    elapsed: Duration,
    requests: u64,
) -> Vec<String> {
    let jwks: Value = ureq::get(&stack.url("/.well-known/jwks.json"))
        .timeout(Duration::from_secs(30))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .and_then(|body| serde_json::from_str(&body).ok())
        .unwrap_or(Value::Null);

    // What the origin saw during the run, by path (query dropped).
    let seen_all = stack.origin.all();
    let mut seen: HashMap<&str, Vec<&Recorded>> = HashMap::new();
    for recorded in &seen_all[before..] {
        let path = recorded.url.split('?').next().unwrap_or_default();
        seen.entry(path).or_default().push(recorded);
    }
    let mut failures = Vec::new();
    let mut examples: BTreeMap<Cat, Vec<String>> = BTreeMap::new();
    let mut counts: BTreeMap<Cat, Counts> = ALL.iter().map(|c| (*c, Counts::default())).collect();
    let mut valid_latency = Vec::new();
    let mut sent_paths: HashMap<&str, usize> = HashMap::new();
    for s in sent {
        *sent_paths.entry(s.path.as_str()).or_default() += 1;
    }

    for s in sent {
        let c = counts.get_mut(&s.cat).unwrap();
        c.sent += 1;
        if s.status >= 500 {
            c.server_errors += 1;
        }
        let at_path = seen.get(s.path.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let mut problem: Option<String> = None;
        let mut false_accept = false;
        match s.cat.expect() {
            Expect::Reached => {
                let reached = s.status == 200 && !at_path.is_empty();
                if reached {
                    c.accepted += 1;
                }
                if s.status != 200 || s.body != format!("origin saw {}", s.path) {
                    problem = Some(format!("answered {}: {}", s.status, s.body));
                } else if at_path.len() != 1 {
                    problem = Some(format!("the origin saw {} requests", at_path.len()));
                } else {
                    let recorded = at_path[0];
                    let assertions: Vec<&str> = recorded
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(ASSERTION))
                        .map(|(_, v)| v.as_str())
                        .collect();
                    if let Some(forged) = &s.forged {
                        if assertions.iter().any(|a| a == forged) {
                            false_accept = true;
                            problem = Some("the forged assertion reached the origin".into());
                        }
                    }
                    if problem.is_none() {
                        problem = check_assertion(s, &assertions, &jwks, stack);
                        // A wrong assertion at the origin is a breach, not a glitch.
                        false_accept = problem.is_some();
                    }
                }
                if s.cat == Valid && reached {
                    valid_latency.push(s.elapsed);
                }
            }
            Expect::Rejected(status, check) => {
                // A replay that got through shows as a second request at the
                // replayed launch's path.
                let at_path = if s.cat == ReplaySameState {
                    // Its path is the launch's own, which the origin saw once.
                    &[]
                } else {
                    at_path
                };
                let replay_reached = s
                    .replayed_path
                    .as_deref()
                    .map(|p| seen.get(p).map_or(0, Vec::len) > 1)
                    .unwrap_or(false);
                if !at_path.is_empty() || replay_reached {
                    false_accept = true;
                    if s.status == 200 {
                        c.accepted += 1;
                    }
                    problem = Some(format!(
                        "REACHED THE ORIGIN (status {}): {}",
                        s.status, s.body
                    ));
                } else if s.status == status
                    && s.body.contains(check)
                    && s.cache_control.as_deref() == Some("no-store")
                {
                    c.rejected += 1;
                } else {
                    problem = Some(format!(
                        "expected {status} naming `{check}`, got {} (cache-control {:?}): {}",
                        s.status, s.cache_control, s.body
                    ));
                }
            }
        }
        if false_accept {
            c.false_accepts += 1;
        } else if problem.is_some() {
            c.unexpected += 1;
        }
        if let Some(problem) = problem {
            let list = examples.entry(s.cat).or_default();
            if list.len() < 3 {
                list.push(format!("{} {}", s.path, compact(&problem)));
            }
        }
    }

    // Requests at the origin that no request of this test explains.
    let strays: Vec<&str> = seen
        .keys()
        .filter(|p| !sent_paths.contains_key(*p))
        .copied()
        .collect();

    // The table.
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\n{:<28} {:>8} {:>8} {:>8} {:>8} {:>10} {:>6} {:>7}",
        "category", "expects", "sent", "accepted", "rejected", "unexpected", "5xx", "FALSE+"
    );
    let mut total = Counts::default();
    for (cat, c) in &counts {
        let expects = match cat.expect() {
            Expect::Reached => "200".to_owned(),
            Expect::Rejected(status, _) => status.to_string(),
        };
        let _ = writeln!(
            table,
            "{:<28} {:>8} {:>8} {:>8} {:>8} {:>10} {:>6} {:>7}",
            cat.name(),
            expects,
            c.sent,
            c.accepted,
            c.rejected,
            c.unexpected,
            c.server_errors,
            c.false_accepts
        );
        total.sent += c.sent;
        total.accepted += c.accepted;
        total.rejected += c.rejected;
        total.unexpected += c.unexpected;
        total.server_errors += c.server_errors;
        total.false_accepts += c.false_accepts;
    }
    let _ = writeln!(
        table,
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>10} {:>6} {:>7}",
        "total (scored)",
        "",
        total.sent,
        total.accepted,
        total.rejected,
        total.unexpected,
        total.server_errors,
        total.false_accepts
    );
    let (mut literal, mut genuine, mut attacker) = (0, 0, 0);
    for forged in sent.iter().filter_map(|s| s.forged.as_deref()) {
        if forged.starts_with("forged.") {
            literal += 1;
        } else if verify_rs256_or_es256(forged, &jwks).is_ok() {
            genuine += 1;
        } else {
            attacker += 1;
        }
    }
    valid_latency.sort();
    let launches = counts[&Valid].accepted;
    let secs = elapsed.as_secs_f64();
    let _ = writeln!(
        table,
        "\n{requests} HTTP requests in {secs:.1} s ({:.1} req/s), {} scored; {} origin requests; \
         {} stray origin requests",
        requests as f64 / secs,
        total.sent,
        seen_all.len() - before,
        strays.len()
    );
    let _ = writeln!(
        table,
        "valid launches: {launches} ({:.2} launches/s); launch POST latency p50 {}, p99 {}, max {}",
        launches as f64 / secs,
        ms(percentile(&valid_latency, 50.0)),
        ms(percentile(&valid_latency, 99.0)),
        ms(valid_latency.last().copied().unwrap_or_default()),
    );
    let _ = writeln!(
        table,
        "forged Lti-Jwt-Assertion headers sent: {literal} junk, {attacker} signed by an \
         unknown key, {genuine} genuine assertions of earlier launches"
    );
    for (cat, list) in &examples {
        let _ = writeln!(table, "examples of {}:", cat.name());
        for example in list {
            let _ = writeln!(table, "  {example}");
        }
    }
    println!("{table}");

    // The verdict.
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
    let valid = counts[&Valid];
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
    if !strays.is_empty() {
        let mut strays = strays;
        strays.sort();
        strays.truncate(5);
        failures.push(format!("the origin saw requests nobody sent: {strays:?}"));
    }
    failures
}

/// The origin's assertion headers for a passthrough or a launch, as they must be.
fn check_assertion(s: &Sent, assertions: &[&str], jwks: &Value, stack: &Stack) -> Option<String> {
    let expect_nonce = match (s.cat, &s.nonce) {
        (PassBare | PassForged, _) => {
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
    if s.cat == Valid {
        let target = &claims["lti"]["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"];
        if target != stack.url(&s.path).as_str() {
            return Some(format!("the assertion's target_link_uri is {target}"));
        }
    }
    None
}

/// Panics or uncaught errors in the worker's log.
fn worker_log_problems(stack: &Stack) -> Option<String> {
    let log = std::fs::read_to_string(stack.log_path()).ok()?;
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("panicked")
                || l.contains("Uncaught")
                || l.contains("RuntimeError")
                || l.contains("unreachable")
        })
        .take(5)
        .collect();
    if bad.is_empty() {
        None
    } else {
        Some(format!("the worker's log has errors: {bad:#?}"))
    }
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
