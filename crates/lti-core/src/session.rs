//! Browser sessions after a launch, so later requests reach the origin with a
//! fresh assertion. The cookie holds only a random id; the claims stay in the
//! store under `session:<id>`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::Result;
use crate::launch::LaunchPlatform;
use crate::login::random_token;
use crate::ports::{KeyValue, Ports, Rng};

pub const COOKIE: &str = "lti_session";
/// Default lifetime of a session, in seconds.
pub const DEFAULT_TTL: u64 = 8 * 3600;

/// A session as stored. One stored before `platform` was kept does not
/// parse, and counts as no session: the user launches again.
#[derive(Debug, Deserialize)]
pub struct Session {
    /// The verified id_token claims of the launch, as received.
    pub lti: Box<RawValue>,
    /// The registration and deployment the launch acts for.
    pub platform: LaunchPlatform,
    pub expires_at: u64,
}

impl Session {
    /// The LTI user id: the `sub` claim, absent for anonymous launches.
    pub fn sub(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Subject {
            sub: Option<String>,
        }
        serde_json::from_str::<Subject>(self.lti.get()).ok()?.sub
    }
}

/// A [`Session`] as it is written: borrowed, the claims written out as they are.
#[derive(Serialize)]
struct NewSession<'a> {
    lti: &'a RawValue,
    platform: &'a LaunchPlatform,
    expires_at: u64,
}

/// Stores a session for the launch with claims `lti`, acting for `platform`,
/// and returns its id, for the cookie.
pub async fn start_session(
    store: &impl KeyValue,
    rng: &dyn Rng,
    lti: &RawValue,
    platform: &LaunchPlatform,
    now: u64,
    ttl: u64,
) -> Result<String> {
    let id = random_token(rng);
    let session = NewSession {
        lti,
        platform,
        expires_at: now + ttl,
    };
    let value = serde_json::to_string(&session).expect("session serializes");
    // KV refuses expirations under 60 s.
    store.put(&key(&id), &value, Some(ttl.max(60))).await?;
    Ok(id)
}

/// The live session with this id, if any.
pub async fn load_session(store: &impl KeyValue, id: &str, now: u64) -> Result<Option<Session>> {
    // Ids are base64url of 32 bytes; anything else is not worth a KV read.
    if id.len() != 43
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let Some(value) = store.get(&key(id)).await? else {
        return Ok(None);
    };
    let session: Option<Session> = serde_json::from_str(&value).ok();
    Ok(session.filter(|s| now < s.expires_at))
}

/// Whether a live session may still reach the origin with a fresh assertion:
/// its launch's registration is still stored and still lists the launch's
/// deployment. A platform or deployment the operator removed gets no more
/// assertions, whatever sessions its users hold. Read through
/// [`Ports::cached_platforms`]: a removal shows within its minute.
pub async fn check_session_grant<K: KeyValue, H, C>(
    ports: &Ports<'_, K, H, C>,
    session: &Session,
) -> Result<()> {
    let platforms = ports.cached_platforms();
    session.platform.registration(&platforms).await.map(drop)
}

fn key(id: &str) -> String {
    format!("session:{id}")
}
