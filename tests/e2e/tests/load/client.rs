//! One client per thread: it plays the categories at random, as a browser and
//! a platform would, keeps to its share of the pace and the shared budget, and
//! records every reply.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dev_platform::SigningKeyChoice;
use lti_edge_e2e::{forge, Browser, Login, Stack};
use serde_json::{json, Value};

use crate::cats::{no_answer, Answer, Cat, Cat::*, Sent, PICKED};

const SESSION: &str = "__Host-lti_session";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const ASSERTION: &str = "Lti-Jwt-Assertion";

type Headers<'h> = [(&'h str, &'h str)];

/// What the threads share: the budget and the record.
pub struct Shared<'a> {
    pub stack: &'a Stack,
    pub requests: AtomicU64,
    max_requests: u64,
    deadline: Instant,
    /// Set by a thread that panicked, so that the others stop too.
    stop: AtomicBool,
    pub sent: Mutex<Vec<Sent>>,
}

impl<'a> Shared<'a> {
    pub fn new(stack: &'a Stack, max_requests: u64, duration: Duration) -> Self {
        let (requests, stop) = (AtomicU64::default(), AtomicBool::default());
        let (deadline, sent) = (Instant::now() + duration, Mutex::default());
        Self {
            stack,
            requests,
            max_requests,
            deadline,
            stop,
            sent,
        }
    }

    /// False once the time or the request budget is used up, or a thread panicked.
    pub fn may_send(&self) -> bool {
        !self.stop.load(Relaxed)
            && Instant::now() < self.deadline
            && self.requests.load(Relaxed) < self.max_requests
    }
}

/// A session this thread holds: its cookie, its launch's nonce and assertion.
#[derive(Clone)]
struct Session {
    cookie: String,
    nonce: String,
    assertion: Option<String>,
}

/// One thread's platform and browser (a fresh cookie jar per scenario).
pub struct Client<'a> {
    shared: &'a Shared<'a>,
    stack: &'a Stack,
    /// One connection pool for every browser of this thread.
    agent: ureq::Agent,
    browser: Browser,
    /// This thread's share of the request rate: one request per `interval`.
    interval: Duration,
    next_slot: Instant,
    id: usize,
    seq: u64,
    rng: u64,
    session: Option<Session>,
}

impl Drop for Client<'_> {
    fn drop(&mut self) {
        // Unwinding from a panic: the verdict reports it, no need to go on.
        if std::thread::panicking() {
            self.shared.stop.store(true, Relaxed);
        }
    }
}

impl<'a> Client<'a> {
    /// Thread `id`, with `interval` between its requests.
    pub fn new(shared: &'a Shared<'a>, id: usize, interval: Duration, seed: u64) -> Self {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .max_idle_connections_per_host(4)
            .build();
        let stream = (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self {
            shared,
            stack: shared.stack,
            browser: Browser::with_agent(agent.clone()),
            agent,
            interval,
            next_slot: Instant::now(),
            id,
            seq: 0,
            rng: (0x9E37_79B9_7F4A_7C15 ^ seed ^ stream).max(1),
            session: None,
        }
    }

    /// xorshift64*: the mix repeats with `LOAD_SEED`.
    fn random(&mut self, below: usize) -> usize {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % below as u64) as usize
    }

    /// A target path no other request uses.
    fn path(&mut self, cat: Cat) -> String {
        self.seq += 1;
        format!("/t/load/{cat:?}/{}-{}", self.id, self.seq)
    }

    /// One request in this thread's next slot.
    fn send(&mut self, method: &str, url: &str, headers: &Headers, body: Option<&str>) -> Answer {
        let slot = self.next_slot.max(Instant::now());
        self.next_slot = slot + self.interval;
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
        self.shared.requests.fetch_add(1, Relaxed);
        let started = Instant::now();
        let reply = self.browser.try_request(method, url, headers, body);
        (reply.unwrap_or_else(no_answer), started.elapsed())
    }

    fn record(&self, sent: Sent) {
        self.shared.sent.lock().unwrap().push(sent);
    }

    /// A GET login on platform a for `tool-a1`: its state and nonce. A failure
    /// is recorded against `cat`, as no reply at all (no category expects one).
    fn login(&mut self, cat: Cat, path: &str) -> Option<(String, String)> {
        let login = Login::new(self.stack, "a", &self.stack.url(path));
        let url = login.with("client_id", "tool-a1").url();
        let (reply, elapsed) = self.send("GET", &url, &[], None);
        let mut query = reply.location_query();
        let (state, nonce) = (query.remove("state"), query.remove("nonce"));
        if let (302, Some(state), Some(nonce)) = (reply.status, state, nonce) {
            return Some((state, nonce));
        }
        let (status, location) = (reply.status, reply.header("location"));
        let why = format!(
            "LOGIN FAILED: {status} (Location {location:?}) {}",
            reply.body
        );
        self.record(Sent::new(cat, path, (no_answer(why), elapsed)));
        None
    }

    fn post_launch(&mut self, fields: &[(&str, &str)]) -> Answer {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        let body = form.extend_pairs(fields).finish();
        let url = self.stack.url("/lti/launch");
        self.send("POST", &url, &[FORM], Some(&body))
    }

    /// Scenarios until the time or the budget is up.
    pub fn play(&mut self) {
        while self.shared.may_send() {
            self.step();
        }
    }

    /// One scenario at random: a valid launch (each may be replayed) six times
    /// as often as each hostile launch and each passthrough kind.
    fn step(&mut self) {
        let pick = self.random(6 + PICKED.len()).checked_sub(6);
        match pick.map(|n| PICKED[n]) {
            None => {
                if let Some((path, state, token)) = self.launch(Valid) {
                    self.replay(&path, &state, &token);
                }
            }
            // Of the picked categories, those expecting a 200 are the passthroughs.
            Some((cat, 200, _)) => self.passthrough(cat),
            Some((cat, ..)) => drop(self.launch(cat)),
        }
    }

    /// A login, then a launch whose id_token is made as `cat` says: the path,
    /// state and token, to replay. A valid launch opens this thread's session.
    fn launch(&mut self, cat: Cat) -> Option<(String, String, String)> {
        self.browser = Browser::with_agent(self.agent.clone());
        let path = self.path(cat);
        let (state, nonce) = self.login(cat, &path)?;
        let token = self.id_token(cat, &nonce, &path);
        let mut sent = Sent::new(
            cat,
            &path,
            self.post_launch(&[("id_token", &token), ("state", &state)]),
        );
        if cat == Valid {
            sent.nonce = Some(nonce.clone());
            self.keep_session(&sent, nonce);
        }
        self.record(sent);
        Some((path, state, token))
    }

    /// The session a valid launch opened, with its assertion to forge with later.
    fn keep_session(&mut self, sent: &Sent, nonce: String) {
        let cookie = self.browser.cookies.borrow().get(SESSION).cloned();
        let (200, Some(cookie)) = (sent.reply.status, cookie) else {
            return;
        };
        let seen = self.stack.origin.requests_to(&sent.path);
        let genuine = seen.iter().find(|r| r.url == sent.path);
        let assertion = genuine.and_then(|r| r.assertion()).map(str::to_owned);
        self.session = Some(Session {
            cookie,
            nonce,
            assertion,
        });
    }

    /// Replays a launch's token at once, in one of two ways, half the time.
    fn replay(&mut self, path: &str, state: &str, token: &str) {
        let (cat, at, state) = match self.random(4) {
            _ if !self.shared.may_send() => return,
            0 => {
                // The browser lost its state cookie with the launch; put it back.
                let cookie = format!("__Host-lti_state_{state}");
                self.browser.cookies.borrow_mut().insert(cookie, "1".into());
                (ReplaySameState, path.to_owned(), state.to_owned())
            }
            1 => {
                let at = self.path(ReplayNewLogin);
                let Some((state, _)) = self.login(ReplayNewLogin, &at) else {
                    return;
                };
                (ReplayNewLogin, at, state)
            }
            _ => return,
        };
        let answer = self.post_launch(&[("id_token", token), ("state", &state)]);
        let mut sent = Sent::new(cat, &at, answer);
        sent.replayed = Some(path.to_owned());
        self.record(sent);
    }

    /// The id_token a launch of `cat` carries: genuine, or forged.
    fn id_token(&mut self, cat: Cat, nonce: &str, path: &str) -> String {
        let (platform, mut claims) = (&self.stack.platform, self.claims(nonce, path));
        let iat = claims["iat"].as_u64().unwrap();
        match cat {
            WrongAud => claims["aud"] = json!("tool-a2"),
            Expired => (claims["iat"], claims["exp"]) = (json!(iat - 3600), json!(iat - 600)),
            ForeignNonce => claims["nonce"] = json!(format!("minted-elsewhere-{}", self.seq)),
            _ => {}
        }
        match cat {
            Tampered => forge::tampered(platform, "a", &claims),
            AlgNone => forge::alg_none(&claims),
            Hs256PublicKey => forge::hs256_with_public_key(platform, "a", &claims),
            Garbage => forge::malformed()[self.random(6)].clone(),
            // Past the form's limit (an id_token alone too large is a 400, tested on its own).
            Oversized => "a".repeat(100 * 1024),
            _ => platform.sign_id_token("a", &claims),
        }
    }

    fn claims(&self, nonce: &str, path: &str) -> Value {
        let (target, message) = (self.stack.url(path), "LtiResourceLinkRequest");
        let platform = &self.stack.platform;
        platform.launch_claims("a", "tool-a1", "a1-dep-1", message, nonce, &target)
    }

    /// An `Lti-Jwt-Assertion` a client made up: junk, signed by a key the
    /// worker does not have, or a genuine one of an earlier launch.
    fn forged_assertion(&mut self) -> String {
        let (id, seq, iat) = (self.id, self.seq, now());
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "worker-key"});
        let (iss, aud) = (&self.stack.worker, self.stack.origin.base_url());
        let jti = format!("forged-{id}-{seq}");
        let claims = json!({"iss": iss, "aud": aud, "sub": "admin", "jti": jti,
                            "iat": iat, "exp": iat + 300});
        let (platform, attacker) = (&self.stack.platform, SigningKeyChoice::Attacker);
        match (self.random(3), &self.session) {
            (1, _) => platform.sign_raw(&header, &claims, attacker),
            (
                2,
                Some(Session {
                    assertion: Some(genuine),
                    ..
                }),
            ) => genuine.clone(),
            _ => format!("forged.by.client-{id}-{seq}"),
        }
    }

    /// A request past the worker to the origin, with or without a session, and
    /// with or without a forged assertion in some casing.
    fn passthrough(&mut self, cat: Cat) {
        let session = self.session.clone();
        if session.is_none() && matches!(cat, PassSession | PassSessionForged) {
            // No session yet on this thread: launch first, go on next time.
            self.launch(Valid);
            return;
        }
        self.browser = Browser::with_agent(self.agent.clone());
        let path = self.path(cat);
        let mut nonce = None;
        if let (PassSession | PassSessionForged, Some(session)) = (cat, session) {
            self.browser
                .cookies
                .borrow_mut()
                .insert(SESSION.into(), session.cookie);
            nonce = Some(session.nonce);
        }
        let forged = matches!(cat, PassForged | PassSessionForged).then(|| self.forged_assertion());
        let casing = [
            ASSERTION.into(),
            ASSERTION.to_lowercase(),
            ASSERTION.to_uppercase(),
        ];
        let casing = casing[self.random(3)].as_str();
        let mut headers: Vec<(&str, &str)> = forged.iter().map(|v| (casing, v.as_str())).collect();
        let url = self.stack.url(&format!("{path}?n={}", self.seq));
        let answer = if self.random(2) == 0 {
            self.send("GET", &url, &headers, None)
        } else {
            headers.push(("content-type", "application/json"));
            self.send("POST", &url, &headers, Some(r#"{"answer":42}"#))
        };
        let mut sent = Sent::new(cat, &path, answer);
        (sent.nonce, sent.forged) = (nonce, forged);
        self.record(sent);
    }
}

/// One launch before the clock starts: the worker's isolate, its key and
/// platform a's JWKS are warm when the run begins.
pub fn warm_up(stack: &Stack) -> Result<(), String> {
    let shared = Shared::new(stack, 10, Duration::from_secs(60));
    Client::new(&shared, 99, Duration::ZERO, 1).launch(Valid);
    match shared.sent.into_inner().unwrap().pop() {
        Some(sent) if sent.reply.status == 200 => Ok(()),
        sent => Err(format!(
            "the warm-up launch failed: {:?}",
            sent.map(|s| s.reply)
        )),
    }
}

pub fn now() -> u64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since_epoch.unwrap().as_secs()
}
