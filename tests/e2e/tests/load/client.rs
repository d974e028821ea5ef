//! One client per thread: it plays the categories at random as a browser and a
//! platform would, within its share of the pace and the budget, recording every reply.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dev_platform::SigningKeyChoice::Attacker;
use lti_edge_e2e::{forge, Browser, Login, Reply, Stack};
use serde_json::json;
use ureq::AgentBuilder;

use crate::{Cat, Cat::*, Sent, PICKED};

const SESSION: &str = "__Host-lti_session";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

type Answer = (Reply, Duration);
type Headers<'h> = [(&'h str, &'h str)];
/// [`Sent::nonce`] and [`Sent::forged`].
type Due = (Option<String>, Option<String>);

/// What the threads share: the budget and the record.
pub struct Shared<'a> {
    pub stack: &'a Stack,
    pub requests: AtomicU64,
    max_requests: u64,
    deadline: Instant,
    /// Set by a thread that panics: the run fails anyway, so all stop.
    stopped: AtomicBool,
    pub sent: Mutex<Vec<Sent>>,
}

impl<'a> Shared<'a> {
    pub fn new(stack: &'a Stack, max_requests: u64, run: Duration) -> Self {
        let ((requests, sent), deadline) = (Default::default(), Instant::now() + run);
        Self {
            stack,
            requests,
            max_requests,
            deadline,
            stopped: AtomicBool::new(false),
            sent,
        }
    }

    /// False once the time or the request budget is used up, or a thread panicked.
    fn may_send(&self) -> bool {
        Instant::now() < self.deadline
            && self.requests.load(Relaxed) < self.max_requests
            && !self.stopped.load(Relaxed)
    }
}

/// Stops every thread when the one holding it panics.
struct StopOnPanic<'s>(&'s AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Relaxed);
        }
    }
}

/// One thread's platform and browser (its cookie jar emptied per scenario).
pub struct Client<'a> {
    shared: &'a Shared<'a>,
    stack: &'a Stack,
    browser: Browser,
    /// This thread's share of the request rate: one request per `interval`.
    interval: Duration,
    next_slot: Instant,
    id: usize,
    seq: u64,
    rng: u64,
    /// From this thread's last valid launch: the session cookie, the nonce, and
    /// the assertion the origin got (a genuine one, to forge with later).
    session: Option<(String, String, Option<String>)>,
}

impl<'a> Client<'a> {
    pub fn new(shared: &'a Shared<'a>, id: usize, interval: Duration, seed: u64) -> Self {
        let secs = Duration::from_secs;
        let agent = AgentBuilder::new().redirects(0).timeout_connect(secs(5));
        let agent = agent.timeout(secs(30)).max_idle_connections_per_host(4);
        Self {
            shared,
            stack: shared.stack,
            browser: Browser::with_agent(agent.build()),
            interval,
            next_slot: Instant::now(),
            id,
            seq: 0,
            rng: seed ^ (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            session: None,
        }
    }

    /// A 64-bit LCG's high bits (Knuth's MMIX constants): the mix repeats with `LOAD_SEED`.
    fn random(&mut self, below: usize) -> usize {
        self.rng = self.rng.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(1);
        ((self.rng >> 33) % below as u64) as usize
    }

    /// A target path no other request uses.
    fn path(&mut self, cat: Cat) -> String {
        self.seq += 1;
        format!("/t/load/{cat:?}/{}-{}", self.id, self.seq)
    }

    /// One request in this thread's next slot; without an HTTP answer, status 0
    /// and the error as the body.
    fn send(&mut self, method: &str, url: &str, headers: &Headers, body: Option<&str>) -> Answer {
        let slot = self.next_slot.max(Instant::now());
        self.next_slot = slot + self.interval;
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
        self.shared.requests.fetch_add(1, Relaxed);
        let started = Instant::now();
        let reply = self.browser.try_request(method, url, headers, body);
        let reply = reply.unwrap_or_else(|why| Reply {
            body: why,
            ..Reply::default()
        });
        (reply, started.elapsed())
    }

    fn record(&self, cat: Cat, path: String, (reply, elapsed): Answer, (nonce, forged): Due) {
        let sent = Sent {
            cat,
            path,
            reply,
            elapsed,
            nonce,
            forged,
        };
        self.shared.sent.lock().unwrap().push(sent);
    }

    /// A GET login on platform a for `tool-a1`: its state and nonce. A failure
    /// is recorded against `cat` as status 0, which no category expects.
    fn login(&mut self, cat: Cat, path: &str) -> Option<(String, String)> {
        let login = Login::new(self.stack, "a", &self.stack.url(path));
        let url = login.with("client_id", "tool-a1").url();
        let (mut reply, elapsed) = self.send("GET", &url, &[], None);
        let mut query = reply.location_query();
        let (state, nonce) = (query.remove("state"), query.remove("nonce"));
        if let (302, Some(state), Some(nonce)) = (reply.status, state, nonce) {
            return Some((state, nonce));
        }
        let (status, location, body) = (reply.status, reply.header("location"), &reply.body);
        let why = format!("LOGIN FAILED: {status} (Location {location:?}) {body}");
        (reply.status, reply.body) = (0, why);
        self.record(cat, path.into(), (reply, elapsed), (None, None));
        None
    }

    fn post_launch(&mut self, token: &str, state: &str) -> Answer {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        let body = form.extend_pairs([("id_token", token), ("state", state)]);
        let url = self.stack.url("/lti/launch");
        self.send("POST", &url, &[FORM], Some(&body.finish()))
    }

    /// Scenarios until the time or the budget is up, each with an empty cookie
    /// jar: a valid launch (which may be replayed) six times as often as each
    /// hostile launch and each passthrough kind.
    pub fn play(&mut self) {
        let shared = self.shared;
        let _stop_all = StopOnPanic(&shared.stopped);
        while self.shared.may_send() {
            self.browser.cookies.borrow_mut().clear();
            let pick = self.random(6 + PICKED.len()).checked_sub(6);
            match pick.map(|n| PICKED[n]) {
                None => {
                    if let Some(launched) = self.launch(Valid) {
                        self.replay(launched);
                    }
                }
                // Of the picked categories, those expecting a 200 are the passthroughs.
                Some((cat, 200, _)) => self.passthrough(cat),
                Some((cat, ..)) => drop(self.launch(cat)),
            }
        }
    }

    /// A login, then a launch whose id_token is made as `cat` says: its path,
    /// state and token, to replay. A valid launch opens this thread's session.
    pub fn launch(&mut self, cat: Cat) -> Option<(String, String, String)> {
        let path = self.path(cat);
        let (state, nonce) = self.login(cat, &path)?;
        let token = self.id_token(cat, &nonce, &path);
        let answer = self.post_launch(&token, &state);
        let cookie = self.browser.cookies.borrow().get(SESSION).cloned();
        if let (Valid, 200, Some(cookie)) = (cat, answer.0.status, cookie) {
            let seen = self.stack.origin.requests_to(&path);
            let genuine = seen.iter().find(|r| r.url == path);
            let assertion = genuine.and_then(|r| r.assertion()).map(str::to_owned);
            self.session = Some((cookie, nonce.clone(), assertion));
        }
        let due = ((cat == Valid).then_some(nonce), None);
        self.record(cat, path.clone(), answer, due);
        Some((path, state, token))
    }

    /// Replays a launch's token at once, in one of two ways, half the time; at
    /// the launch's path, which the origin must have seen once, from the launch.
    fn replay(&mut self, (path, state, token): (String, String, String)) {
        let (cat, state) = match self.random(4) {
            _ if !self.shared.may_send() => return,
            0 => {
                // The browser lost its state cookie with the launch; put it back.
                let cookie = format!("__Host-lti_state_{state}");
                self.browser.cookies.borrow_mut().insert(cookie, "1".into());
                (ReplaySameState, state)
            }
            1 => match self.login(ReplayNewLogin, &path) {
                Some((state, _)) => (ReplayNewLogin, state),
                None => return,
            },
            _ => return,
        };
        let answer = self.post_launch(&token, &state);
        self.record(cat, path, answer, (None, None));
    }

    /// The id_token a launch of `cat` carries: genuine, or forged.
    fn id_token(&mut self, cat: Cat, nonce: &str, path: &str) -> String {
        let (platform, target) = (&self.stack.platform, self.stack.url(path));
        let message = "LtiResourceLinkRequest";
        let mut claims =
            platform.launch_claims("a", "tool-a1", "a1-dep-1", message, nonce, &target);
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

    /// An `Lti-Jwt-Assertion` a client made up: junk, signed by a key the
    /// worker does not have, or a genuine one of an earlier launch.
    fn forged_assertion(&mut self) -> String {
        let (id, seq, iat) = (self.id, self.seq, now());
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "worker-key"});
        let (iss, aud) = (&self.stack.worker, self.stack.origin.base_url());
        let claims = json!({"iss": iss, "aud": aud, "sub": "admin", "jti": format!("forged-{id}-{seq}"),
                            "iat": iat, "exp": iat + 300});
        let genuine = self.session.as_ref().and_then(|s| s.2.clone());
        match (self.random(3), genuine) {
            (1, _) => self.stack.platform.sign_raw(&header, &claims, Attacker),
            (2, Some(genuine)) => genuine,
            _ => format!("forged.by.client-{id}-{seq}"),
        }
    }

    /// A request past the worker to the origin, with or without a session, and
    /// with or without a forged assertion in some casing.
    fn passthrough(&mut self, cat: Cat) {
        let mut nonce = None;
        if matches!(cat, PassSession | PassSessionForged) {
            let Some((cookie, session_nonce, _)) = self.session.clone() else {
                // No session yet on this thread: launch first, go on next time.
                return drop(self.launch(Valid));
            };
            let jar = &self.browser.cookies;
            jar.borrow_mut().insert(SESSION.into(), cookie);
            nonce = Some(session_nonce);
        }
        let path = self.path(cat);
        let forged = matches!(cat, PassForged | PassSessionForged).then(|| self.forged_assertion());
        let casing: [fn(&str) -> String; 3] = [str::to_owned, str::to_lowercase, str::to_uppercase];
        let name = casing[self.random(3)]("Lti-Jwt-Assertion");
        let mut headers: Vec<_> = forged.iter().map(|v| (name.as_str(), v.as_str())).collect();
        let url = self.stack.url(&format!("{path}?n={}", self.seq));
        let answer = if self.random(2) == 0 {
            self.send("GET", &url, &headers, None)
        } else {
            headers.push(("content-type", "application/json"));
            self.send("POST", &url, &headers, Some(r#"{"answer":42}"#))
        };
        self.record(cat, path, answer, (nonce, forged));
    }
}

pub fn now() -> u64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    since_epoch.unwrap().as_secs()
}
