//! A verified launch waiting for its platform-storage proof: held in the
//! login store under a random id for [`HELD_LAUNCH_TTL`], taken by the first
//! confirmation that names it, whatever its proof.

use std::fmt;

use url::Url;

use super::{proof_matches, HELD_LAUNCH_TTL};
use crate::error::{Error, Result};
use crate::launch::{MessageType, VerifiedLaunch};
use crate::login::{is_random_token, random_token};
use crate::ports::{KeyValue, Ports, Runtime};
use crate::session::{parse_session, session_value, Session};

/// The id of a held launch: random, 256 bits, base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldLaunchId(pub(super) String);

impl HeldLaunchId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Holds `launch`, verified and its login taken, until the browser proves
/// that the login was its own with the proof that hashes to `proof_sha256`.
///
/// Stored as the session it will become (read back by the same code),
/// after one line of what confirming it needs, none of which holds a space:
/// `<proof_sha256> <message_type> <target_link_uri>`.
pub(crate) async fn hold_launch<R: Runtime>(
    ports: &Ports<'_, R>,
    launch: &VerifiedLaunch,
    proof_sha256: &str,
) -> Result<HeldLaunchId> {
    let id = HeldLaunchId(random_token(ports.rng));
    let expires_at = ports.now + HELD_LAUNCH_TTL;
    let session = session_value(&launch.asserted(), expires_at);
    let value = format!(
        "{proof_sha256} {} {}\n{session}",
        launch.message_type().as_str(),
        launch.target_link_uri()
    );
    ports
        .logins
        .put(&key(id.as_str()), &value, Some(HELD_LAUNCH_TTL))
        .await?;
    Ok(id)
}

/// The proof page's form, posted to [`super::PROOF_PATH`]. `Debug` never
/// prints the proof.
#[derive(Clone)]
pub struct LaunchProof {
    /// The held launch's id.
    pub launch: String,
    /// The value read back from the platform's storage.
    pub proof: String,
}

impl LaunchProof {
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let (mut launch, mut proof) = (None, None);
        for (name, value) in params {
            let slot = match name {
                "launch" => &mut launch,
                "proof" => &mut proof,
                _ => continue,
            };
            *slot = Some(value).filter(|v| !v.is_empty());
        }
        let field = |value: Option<&str>, name| {
            value
                .map(str::to_owned)
                .ok_or(Error::MissingParameter(name))
        };
        Ok(Self {
            launch: field(launch, "launch")?,
            proof: field(proof, "proof")?,
        })
    }
}

impl fmt::Debug for LaunchProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchProof")
            .field("launch", &self.launch)
            .field("proof", &"[redacted]")
            .finish()
    }
}

/// Confirms a held launch: takes it (once; a replay finds nothing), then
/// checks the proof against the login's hash, and the registration and
/// deployment against the store as it is now. Only then is the launch
/// given back, to be forwarded as a cookie launch is.
pub async fn redeem_held_launch<R: Runtime>(
    confirmation: &LaunchProof,
    ports: &Ports<'_, R>,
) -> Result<VerifiedLaunch> {
    // 1. Taken before anything is compared: a wrong proof burns it too, so
    //    a held launch cannot be guessed at.
    if !is_random_token(&confirmation.launch) {
        return Err(Error::HeldLaunchUnknown);
    }
    let value = ports.logins.take(&key(&confirmation.launch)).await?;
    let (proof_sha256, message_type, target, session) = value
        .as_deref()
        .and_then(|value| parse_held(value, ports.now))
        .ok_or(Error::HeldLaunchUnknown)?;
    // 2. The browser read back what its login stored (constant-time compare).
    if !proof_matches(&confirmation.proof, proof_sha256) {
        return Err(Error::LaunchProofMismatch);
    }
    // 3. The registration and deployment are still there.
    let registration = session
        .platform
        .registration(&ports.cached_platforms())
        .await?;
    Ok(VerifiedLaunch {
        registration,
        sub: session.sub(),
        claims: session.lti,
        message_type,
        platform: session.platform,
        view: session.view,
        target_link_uri: target,
        login: None,
    })
}

/// A held launch's parts, unless it is unreadable or expired.
fn parse_held(value: &str, now: u64) -> Option<(&str, MessageType, Url, Session)> {
    let (line, session) = value.split_once('\n')?;
    let mut parts = line.split(' ');
    let (proof_sha256, message_type, target) = (parts.next()?, parts.next()?, parts.next()?);
    let message_type = MessageType::parse(message_type)?;
    let target = Url::parse(target).ok()?;
    Some((
        proof_sha256,
        message_type,
        target,
        parse_session(session, now)?,
    ))
}

fn key(id: &str) -> String {
    format!("held_launch:{id}")
}
