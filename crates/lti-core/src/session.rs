//! Browser sessions after a launch, so later requests reach the origin with a
//! fresh assertion. The cookie holds only a random id; the claims stay in the
//! store under `session:<id>`.
//!
//! ## Sessions without cookies
//! A browser that drops the session cookie (a launch confirmed through LTI
//! platform storage, see [`crate::platform_storage`]) presents the session
//! as a token instead: the assertion's `session_token` claim, which the origin
//! puts on its links as `?lti_session=<token>` ([`TOKEN_PARAM`]) or sends as
//! the header `Lti-Session: <token>` ([`TOKEN_HEADER`]) on its fetches.
//! - The token is the session id itself: it grants what the cookie grants,
//!   no more, for the same lifetime and under the same checks (registration
//!   still stored, unsafe cross-site requests refused), and needs no second
//!   store read. It is never logged.
//! - The claim is present only on assertions of requests that came with a
//!   token (and of the launch that started such a session); a cookie session
//!   never shows its id to the origin's pages.
//! - The worker removes the parameter and the header before forwarding, and
//!   answers with `Referrer-Policy: no-referrer` (the strictest), since the
//!   token sits in the page's URL.
//! - A token next to a different cookie session, or two different tokens, is
//!   refused ([`Error::ConflictingSessions`]) rather than one picked: which
//!   one the person meant cannot be known, and picking the token would let a
//!   link planted elsewhere swap the session of a browser that has one.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::assertion::AssertedLaunch;
use crate::error::{Error, Result};
use crate::launch::LaunchPlatform;
use crate::login::{is_random_token, random_token};
use crate::ports::{KeyValue, Ports, Rng, Runtime};
use crate::view::LaunchViewJson;

/// The query parameter that carries a session token.
pub const TOKEN_PARAM: &str = "lti_session";
/// The request header that carries a session token.
pub const TOKEN_HEADER: &str = "Lti-Session";
/// Default lifetime of a session, in seconds.
pub const DEFAULT_TTL: u64 = 8 * 3600;

/// A session as stored. One stored before `platform` or `view` was kept
/// does not parse, and counts as no session: the user launches again.
#[derive(Debug, Deserialize)]
pub struct Session {
    /// The verified id_token claims of the launch, as received.
    pub lti: Box<RawValue>,
    /// The registration and deployment the launch acts for.
    pub platform: LaunchPlatform,
    /// The launch's normalized view, as computed at launch: never recomputed.
    pub view: LaunchViewJson,
    pub expires_at: u64,
}

impl Session {
    /// What a fresh assertion for this session says; `sub` is [`Self::sub`].
    pub fn asserted<'a>(&'a self, sub: Option<&'a str>) -> AssertedLaunch<'a> {
        AssertedLaunch {
            lti: &self.lti,
            sub,
            platform: &self.platform,
            view: &self.view,
            session_token: None,
        }
    }

    /// The LTI user id: the `sub` claim, absent for anonymous launches.
    pub fn sub(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Subject {
            sub: Option<String>,
        }
        serde_json::from_slice::<Subject>(self.lti.get().as_bytes())
            .ok()?
            .sub
    }
}

/// A [`Session`] as it is written: borrowed, the claims written out as they are.
#[derive(Serialize)]
struct NewSession<'a> {
    lti: &'a RawValue,
    platform: &'a LaunchPlatform,
    view: &'a LaunchViewJson,
    expires_at: u64,
}

/// A fresh session id. A launch mints it before storing the session: its
/// assertion may carry it (a cookieless session's token), and the write runs
/// beside the origin request ([`crate::launch::settle_launch`]).
pub fn new_session_id(rng: &dyn Rng) -> String {
    random_token(rng)
}

/// Stores the session `id` for `launch`: its claims, the registration and
/// deployment it acts for, its view.
pub async fn store_session(
    store: &impl KeyValue,
    id: &str,
    launch: AssertedLaunch<'_>,
    now: u64,
    ttl: u64,
) -> Result<()> {
    let value = session_value(&launch, now + ttl);
    // KV refuses expirations under 60 s.
    Ok(store.put(&key(id), &value, Some(ttl.max(60))).await?)
}

/// The live session with this id, if any.
pub async fn load_session(store: &impl KeyValue, id: &str, now: u64) -> Result<Option<Session>> {
    if !is_random_token(id) {
        return Ok(None);
    }
    let Some(value) = store.get(&key(id)).await? else {
        return Ok(None);
    };
    Ok(parse_session(&value, now))
}

/// A session's stored JSON. Also what a launch held for its platform-storage
/// proof keeps: the session it will become.
pub(crate) fn session_value(launch: &AssertedLaunch, expires_at: u64) -> String {
    let session = NewSession {
        lti: launch.lti,
        platform: launch.platform,
        view: launch.view,
        expires_at,
    };
    serde_json::to_string(&session).expect("session serializes")
}

/// A stored session, if it parses and has not expired.
pub(crate) fn parse_session(value: &str, now: u64) -> Option<Session> {
    let session: Session = serde_json::from_slice(value.as_bytes()).ok()?;
    (now < session.expires_at).then_some(session)
}

/// Whether a live session may still reach the origin with a fresh assertion:
/// its launch's registration is still stored and still lists the launch's
/// deployment. A platform or deployment the operator removed gets no more
/// assertions, whatever sessions its users hold. Read through
/// [`Ports::cached_platforms`]: a removal shows within its minute.
pub async fn check_session_grant<R: Runtime>(
    ports: &Ports<'_, R>,
    session: &Session,
) -> Result<()> {
    let platforms = ports.cached_platforms();
    session.platform.registration(&platforms).await.map(drop)
}

/// How a request presented its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCredential<'a> {
    /// The session cookie.
    Cookie(&'a str),
    /// A session token: [`TOKEN_PARAM`] or [`TOKEN_HEADER`].
    Token(&'a str),
}

impl<'a> SessionCredential<'a> {
    /// The session id.
    pub fn id(self) -> &'a str {
        match self {
            SessionCredential::Cookie(id) | SessionCredential::Token(id) => id,
        }
    }

    /// The token, for the assertion's `session_token` claim: only when the
    /// request came with one.
    pub fn token(self) -> Option<&'a str> {
        match self {
            SessionCredential::Token(token) => Some(token),
            SessionCredential::Cookie(_) => None,
        }
    }
}

/// The session a request presents: its session cookie, or the tokens it
/// carries (query parameters and header; empty ones ignored). The same value
/// twice is one session; two different ones are refused.
pub fn session_credential<'a>(
    cookie: Option<&'a str>,
    tokens: &[&'a str],
) -> Result<Option<SessionCredential<'a>>> {
    let mut tokens = tokens.iter().copied().filter(|t| !t.is_empty());
    let token = tokens.next();
    if token.is_some_and(|first| tokens.any(|other| other != first)) {
        return Err(Error::ConflictingSessions);
    }
    match (cookie, token) {
        (Some(cookie), Some(token)) if cookie != token => Err(Error::ConflictingSessions),
        (_, Some(token)) => Ok(Some(SessionCredential::Token(token))),
        (Some(cookie), None) => Ok(Some(SessionCredential::Cookie(cookie))),
        (None, None) => Ok(None),
    }
}

fn key(id: &str) -> String {
    format!("session:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionCredential::{Cookie, Token};

    #[test]
    fn a_token_stands_in_for_the_cookie() {
        assert_eq!(session_credential(None, &[]).unwrap(), None);
        assert_eq!(
            session_credential(Some("a"), &[]).unwrap(),
            Some(Cookie("a"))
        );
        assert_eq!(session_credential(None, &["t"]).unwrap(), Some(Token("t")));
        assert_eq!(
            session_credential(None, &["", "t", "t"]).unwrap(),
            Some(Token("t"))
        );
        assert_eq!(
            session_credential(Some("t"), &["t"]).unwrap(),
            Some(Token("t"))
        );
        assert_eq!(
            session_credential(Some("a"), &[""]).unwrap(),
            Some(Cookie("a"))
        );
        assert_eq!(Token("t").token(), Some("t"));
        assert_eq!(
            Cookie("a").token(),
            None,
            "a cookie id never reaches the origin"
        );
    }

    #[test]
    fn refuses_a_token_that_differs_from_the_cookie_or_another_token() {
        for (cookie, tokens) in [
            (Some("a"), vec!["t"]),
            (None, vec!["t", "u"]),
            (Some("t"), vec!["t", "u"]),
        ] {
            assert!(matches!(
                session_credential(cookie, &tokens),
                Err(Error::ConflictingSessions)
            ));
        }
    }
}
