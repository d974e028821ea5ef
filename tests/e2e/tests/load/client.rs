//! One client per thread: it plays the categories at random, as a browser and
//! a platform would, keeps to the shared pace and budget, and records every reply.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use dev_platform::SigningKeyChoice;
use libtest_mimic::Failed;
use lti_edge_e2e::{forge, Browser, Login, Stack};
use serde_json::{json, Value};

use crate::cats::{Answer, Cat, Cat::*, Sent, CATS, HOSTILE, PASSTHROUGH};

const SESSION: &str = "__Host-lti_session";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// What the threads share: the pace, the budget, and the record.
pub struct Shared<'a> {
    pub stack: &'a Stack,
    /// No more than one request per `interval`, all threads together.
    interval: Duration,
    next_slot: Mutex<Instant>,
    pub requests: AtomicU64,
    max_requests: u64,
    deadline: Instant,
    pub stop: AtomicBool,
    /// Kept to report: every reply the worker gave, unexpected or not.
    pub sent: Mutex<Vec<Sent>>,
}

impl<'a> Shared<'a> {
    pub fn new(stack: &'a Stack, rps: u64, max_requests: u64, duration: Duration) -> Self {
        Self {
            stack,
            interval: Duration::from_micros(1_000_000 / rps),
            next_slot: Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
            max_requests,
            deadline: Instant::now() + duration,
            stop: AtomicBool::new(false),
            sent: Mutex::new(Vec::new()),
        }
    }

    /// False once the time or the request budget is used up, or a thread panicked.
    pub fn may_send(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
            && Instant::now() < self.deadline
            && self.requests.load(Ordering::Relaxed) < self.max_requests
    }

    /// Waits for this request's slot.
    fn pace(&self) {
        let slot = {
            let mut next = self.next_slot.lock().unwrap();
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        thread::sleep(slot.saturating_duration_since(Instant::now()));
    }
}

/// A session this thread holds: its cookie, its launch's nonce and assertion.
#[derive(Clone)]
struct Session {
    cookie: String,
    nonce: String,
    assertion: Option<String>,
}

/// One thread's browsers (a fresh cookie jar per scenario) and platform.
pub struct Client<'a> {
    shared: &'a Shared<'a>,
    /// One connection pool for every browser of this thread.
    agent: ureq::Agent,
    id: usize,
    seq: u64,
    rng: u64,
    session: Option<Session>,
}

impl<'a> Client<'a> {
    pub fn new(shared: &'a Shared<'a>, id: usize, seed: u64) -> Self {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .max_idle_connections_per_host(4)
            .build();
        let rng =
            0x9E37_79B9_7F4A_7C15 ^ seed ^ (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self {
            shared,
            agent,
            id,
            seq: 0,
            rng: rng.max(1),
            session: None,
        }
    }

    fn stack(&self) -> &'a Stack {
        self.shared.stack
    }

    fn browser(&self) -> Browser {
        Browser::with_agent(self.agent.clone())
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
        format!("/t/load/{cat:?}/{}-{}", self.id, self.seq)
    }

    fn send(
        &self,
        browser: &Browser,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        self.shared.pace();
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let reply = browser.try_request(method, url, headers, body);
        (reply, started.elapsed())
    }

    fn record(&self, sent: Sent) {
        self.shared.sent.lock().unwrap().push(sent);
    }

    /// A GET login on platform a for `tool-a1`: (state, nonce), or the status
    /// (0 without one) and why not.
    fn login(&self, browser: &Browser, path: &str) -> Result<(String, String), (u16, String)> {
        let stack = self.stack();
        let login = Login::new(stack, "a", &stack.url(path)).with("client_id", "tool-a1");
        let reply = self.send(browser, "GET", &login.url(), &[], None).0;
        let reply = reply.map_err(|e| (0, e))?;
        let mut query = reply.location_query();
        match (reply.status, query.remove("state"), query.remove("nonce")) {
            (302, Some(state), Some(nonce)) => Ok((state, nonce)),
            (status, ..) => {
                let location = reply.header("location");
                let why = format!(
                    "login answered {status} (Location {location:?}): {}",
                    reply.body
                );
                Err((status, why))
            }
        }
    }

    /// A login whose failure is recorded against `cat` (it should never fail).
    fn login_or_record(&self, cat: Cat, browser: &Browser, path: &str) -> Option<(String, String)> {
        let (status, error) = match self.login(browser, path) {
            Ok(pair) => return Some(pair),
            Err(failure) => failure,
        };
        let failed = (Err(format!("LOGIN FAILED: {error}")), Duration::ZERO);
        self.record(Sent {
            status,
            ..Sent::new(cat, path, failed)
        });
        None
    }

    fn claims(&self, nonce: &str, path: &str) -> Value {
        let stack = self.stack();
        let target = stack.url(path);
        let message = "LtiResourceLinkRequest";
        stack
            .platform
            .launch_claims("a", "tool-a1", "a1-dep-1", message, nonce, &target)
    }

    fn launch(&self, browser: &Browser, state: &str, id_token: &str) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token", id_token)
            .append_pair("state", state)
            .finish();
        self.launch_raw(browser, &body)
    }

    fn launch_raw(&self, browser: &Browser, body: &str) -> Answer {
        let url = self.stack().url("/lti/launch");
        self.send(browser, "POST", &url, &[FORM], Some(body))
    }

    /// One launch before the clock starts: the worker's isolate, its key and
    /// platform a's JWKS are warm when the run begins.
    pub fn warm_up(&self) -> Result<(), Failed> {
        let (browser, path) = (self.browser(), "/t/load/warm-up");
        let (state, nonce) = self.login(&browser, path).map_err(|(_, e)| e)?;
        let token = self
            .stack()
            .platform
            .sign_id_token("a", &self.claims(&nonce, path));
        match self.launch(&browser, &state, &token).0? {
            reply if reply.status == 200 => Ok(()),
            reply => {
                Err(format!("warm-up launch answered {}: {}", reply.status, reply.body).into())
            }
        }
    }

    /// One scenario, chosen at random: a valid launch (each may be replayed)
    /// six times as often as each hostile launch and each passthrough kind.
    pub fn step(&mut self) {
        let pick = self.random((6 + HOSTILE.len() + PASSTHROUGH.len()) as u64) as usize;
        match pick {
            0..=5 => self.valid_launch(),
            n if n < 6 + HOSTILE.len() => self.hostile_launch(CATS[HOSTILE.start + n - 6].0),
            n => self.passthrough(CATS[PASSTHROUGH.start + n - 6 - HOSTILE.len()].0),
        }
    }

    fn valid_launch(&mut self) {
        let path = self.path(Valid);
        let browser = self.browser();
        let Some((state, nonce)) = self.login_or_record(Valid, &browser, &path) else {
            return;
        };
        let token = self
            .stack()
            .platform
            .sign_id_token("a", &self.claims(&nonce, &path));
        let answer = self.launch(&browser, &state, &token);
        let launched = matches!(&answer.0, Ok(reply) if reply.status == 200);
        self.record(Sent {
            nonce: Some(nonce.clone()),
            ..Sent::new(Valid, &path, answer)
        });
        let cookie = browser.cookies.borrow().get(SESSION).cloned();
        if let (true, Some(cookie)) = (launched, cookie) {
            // Its assertion is kept to be replayed later as a forged header.
            let seen = self.stack().origin.requests_to(&path);
            let genuine = seen.iter().find(|r| r.url == path);
            let assertion = genuine.and_then(|r| r.assertion().map(str::to_owned));
            self.session = Some(Session {
                cookie,
                nonce,
                assertion,
            });
        }
        // Half the launches are replayed at once, one way or the other.
        let (replay_path, answer) = match self.random(4) {
            0 if self.shared.may_send() => {
                // The browser lost its state cookie with the launch; put it back.
                let cookie = format!("__Host-lti_state_{state}");
                browser.cookies.borrow_mut().insert(cookie, "1".into());
                let answer = self.launch(&browser, &state, &token);
                ((ReplaySameState, path.clone()), answer)
            }
            1 if self.shared.may_send() => {
                let replay_path = self.path(ReplayNewLogin);
                let Some((state2, _)) =
                    self.login_or_record(ReplayNewLogin, &browser, &replay_path)
                else {
                    return;
                };
                let answer = self.launch(&browser, &state2, &token);
                ((ReplayNewLogin, replay_path), answer)
            }
            _ => return,
        };
        let ((cat, at), replayed) = (replay_path, Some(path));
        self.record(Sent {
            replayed_path: replayed,
            ..Sent::new(cat, &at, answer)
        });
    }

    /// A launch after a genuine login whose id_token is forged as `cat` says.
    fn hostile_launch(&mut self, cat: Cat) {
        let path = self.path(cat);
        let browser = self.browser();
        let Some((state, nonce)) = self.login_or_record(cat, &browser, &path) else {
            return;
        };
        let (platform, mut claims) = (&self.stack().platform, self.claims(&nonce, &path));
        let iat = claims["iat"].as_u64().unwrap();
        match cat {
            WrongAud => claims["aud"] = json!("tool-a2"),
            Expired => (claims["iat"], claims["exp"]) = (json!(iat - 3600), json!(iat - 600)),
            ForeignNonce => claims["nonce"] = json!(format!("minted-elsewhere-{}", self.seq)),
            _ => {}
        }
        let token = match cat {
            Tampered => forge::tampered(platform, "a", &claims),
            AlgNone => forge::alg_none(&claims),
            Hs256PublicKey => forge::hs256_with_public_key(platform, "a", &claims),
            WrongAud | Expired | ForeignNonce => platform.sign_id_token("a", &claims),
            Garbage => {
                let tokens = forge::malformed();
                tokens[self.random(tokens.len() as u64) as usize].clone()
            }
            Oversized => {
                // Past the form's limit (an id_token alone too large is a 400,
                // tested on its own).
                let body = format!("state={state}&id_token={}", "a".repeat(100 * 1024));
                let answer = self.launch_raw(&browser, &body);
                return self.record(Sent::new(cat, &path, answer));
            }
            _ => unreachable!("{cat:?} is not a hostile launch"),
        };
        let answer = self.launch(&browser, &state, &token);
        self.record(Sent::new(cat, &path, answer));
    }

    /// An `Lti-Jwt-Assertion` a client made up: junk, signed by a key the
    /// worker does not have, or a genuine one of an earlier launch.
    fn forged_value(&mut self) -> String {
        let (id, seq, stack) = (self.id, self.seq, self.stack());
        match self.random(3) {
            0 => format!("forged.by.client-{id}-{seq}"),
            1 => stack.platform.sign_raw(
                &json!({"alg": "RS256", "typ": "JWT", "kid": "worker-key"}),
                &json!({
                    "iss": stack.worker,
                    "aud": stack.origin.base_url(),
                    "sub": "admin",
                    "jti": format!("forged-{id}-{seq}"),
                    "iat": now(),
                    "exp": now() + 300,
                }),
                SigningKeyChoice::Attacker,
            ),
            _ => match self.session.as_ref().and_then(|s| s.assertion.clone()) {
                Some(genuine) => genuine,
                None => format!("forged.no-genuine-yet-{id}-{seq}"),
            },
        }
    }

    fn passthrough(&mut self, cat: Cat) {
        let path = self.path(cat);
        let browser = self.browser();
        let mut nonce = None;
        if matches!(cat, PassSession | PassSessionForged) {
            let Some(session) = self.session.clone() else {
                // No session yet on this thread: launch first, go on next time.
                return self.valid_launch();
            };
            browser
                .cookies
                .borrow_mut()
                .insert(SESSION.into(), session.cookie);
            nonce = Some(session.nonce);
        }
        let forged = matches!(cat, PassForged | PassSessionForged).then(|| self.forged_value());
        let casing = [
            "Lti-Jwt-Assertion",
            "lti-jwt-assertion",
            "LTI-JWT-ASSERTION",
        ];
        let casing = casing[self.random(3) as usize];
        let mut headers: Vec<(&str, &str)> = forged.iter().map(|v| (casing, v.as_str())).collect();
        let url = self.stack().url(&format!("{path}?n={}", self.seq));
        let answer = if self.random(2) == 0 {
            self.send(&browser, "GET", &url, &headers, None)
        } else {
            headers.push(("content-type", "application/json"));
            self.send(&browser, "POST", &url, &headers, Some(r#"{"answer":42}"#))
        };
        self.record(Sent {
            nonce,
            forged,
            ..Sent::new(cat, &path, answer)
        });
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
