//! Launch validation: the `redirect_uri` receives `id_token` and `state`
//! (form_post); [`verify_launch`] turns them into a [`VerifiedLaunch`] or says
//! which check failed. Claims are only readable after every check passed.

pub mod claims;
pub mod platform;

use std::future::Future;
use std::rc::Rc;

use futures_util::future::{join, try_join3};

use serde_json::value::RawValue;
use serde_json::Value;
use url::Url;

pub use claims::{LaunchClaims, MessageType};
pub use platform::{ClientId, DeploymentId, Issuer, LaunchPlatform};

use crate::assertion::AssertedLaunch;
use crate::deployments::record_deployment;
use crate::error::{Error, Result};
use crate::login::{check_same_origin, claim_login, finish_login, release_login, LoginState};
use crate::platform_storage::held::hold_launch;
use crate::platform_storage::page::{proof_page, Page, ProofPage};
use crate::ports::{Alg, Ports, Runtime};
use crate::registration::{load_registration, PlatformRegistration};
use crate::session::store_session;
use crate::view::{LaunchView, LaunchViewJson};
use crate::{jwks, jws};

/// An id_token longer than this is refused before any parsing.
pub const MAX_ID_TOKEN_BYTES: usize = 32 * 1024;

/// The form the platform posts to the `redirect_uri`. `Debug` prints neither
/// the id_token nor the state.
#[derive(Clone)]
pub struct LaunchRequest {
    pub id_token: String,
    pub state: String,
}

impl std::fmt::Debug for LaunchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchRequest")
            .field("id_token", &format_args!("[redacted]"))
            .field("state", &format_args!("[redacted]"))
            .finish()
    }
}

impl LaunchRequest {
    /// Reads the form; an `error` from the platform is reported as such.
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let (mut id_token, mut state, mut error, mut description) = (None, None, None, None);
        for (name, value) in params {
            let slot = match name {
                "id_token" => &mut id_token,
                "state" => &mut state,
                "error" => &mut error,
                "error_description" => &mut description,
                _ => continue,
            };
            *slot = Some(value.to_owned()).filter(|v| !v.is_empty());
        }
        if let Some(error) = error {
            // Kept whole for the log; the message shows a shortened copy.
            return Err(Error::PlatformError { error, description });
        }
        let id_token: String = id_token.ok_or(Error::MissingParameter("id_token"))?;
        if id_token.len() > MAX_ID_TOKEN_BYTES {
            return Err(Error::TooLarge {
                what: "id_token",
                limit: MAX_ID_TOKEN_BYTES,
            });
        }
        Ok(Self {
            id_token,
            state: state.ok_or(Error::MissingParameter("state"))?,
        })
    }
}

/// A launch that passed every check; only [`verify_launch`], [`accept_launch`]
/// and the redemption of a held launch make one.
#[derive(Debug, Clone)]
pub struct VerifiedLaunch {
    pub(crate) registration: Rc<PlatformRegistration>,
    /// Every claim of the id_token, exactly as received: the payload's JSON text.
    pub(crate) claims: Box<RawValue>,
    /// The LTI user id; absent for anonymous launches.
    pub(crate) sub: Option<String>,
    pub(crate) message_type: MessageType,
    /// The registration and deployment this launch acts for.
    pub(crate) platform: LaunchPlatform,
    /// Where the user goes on this tool (always on the tool's own origin).
    pub(crate) target_link_uri: Url,
    /// The normalized view of the claims, computed once, here.
    pub(crate) view: LaunchViewJson,
    /// The `state` whose login this launch still holds, for [`settle_launch`]
    /// to remove; `None` once removed (a launch confirmed through platform storage).
    pub(crate) login: Option<String>,
}

impl VerifiedLaunch {
    /// What the origin's assertion says of this launch.
    pub fn asserted(&self) -> AssertedLaunch<'_> {
        AssertedLaunch {
            lti: &self.claims,
            sub: self.sub.as_deref(),
            platform: &self.platform,
            view: &self.view,
            session_token: None,
        }
    }

    /// The registration the launch was verified against.
    pub fn registration(&self) -> &Rc<PlatformRegistration> {
        &self.registration
    }

    /// Every claim of the id_token, exactly as received.
    pub fn claims(&self) -> &RawValue {
        &self.claims
    }

    /// The LTI user id; absent for anonymous launches.
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    pub fn message_type(&self) -> MessageType {
        self.message_type
    }

    /// The registration and deployment this launch acts for.
    pub fn platform(&self) -> &LaunchPlatform {
        &self.platform
    }

    /// Where the user goes on this tool (always on the tool's own origin).
    pub fn target_link_uri(&self) -> &Url {
        &self.target_link_uri
    }

    /// The normalized view of the claims.
    pub fn view(&self) -> &LaunchViewJson {
        &self.view
    }

    /// The `state` whose login this launch still holds, if any.
    pub fn login(&self) -> Option<&str> {
        self.login.as_deref()
    }
}

/// Verifies a launch, step by step. `state_cookie` says whether the browser
/// presented the cookie set for `request.state` at login.
pub async fn verify_launch<R: Runtime>(
    request: &LaunchRequest,
    state_cookie: bool,
    ports: &Ports<'_, R>,
    tool_base: &Url,
) -> Result<VerifiedLaunch> {
    // 1. The token must be a well-formed compact JWS before any storage is touched.
    let jws = jws::parse(&request.id_token)?;
    // 2. `state` was issued to this browser (Security Framework §5.1.1.5).
    //    Without the cookie, see [`accept_launch`].
    if !state_cookie {
        return Err(Error::StateCookieMissing);
    }
    // 3. The login behind `state`, claimed: it is removed when the launch is
    //    settled ([`settle_launch`]), and given back if a check fails, so a
    //    forged token cannot burn it.
    let login = claim_login(ports.logins, &request.state).await?;
    let verified = verify_for_login(jws, &request.state, &login, ports, tool_base).await;
    if verified.is_err() {
        release_login(ports.logins, &request.state).await;
    }
    verified
}

/// Steps 3-11 of [`verify_launch`] for the login behind `state`, whose
/// binding to the browser is the caller's to establish (the state cookie, or
/// a platform-storage proof checked later).
async fn verify_for_login<R: Runtime>(
    jws: jws::UntrustedJws<'_>,
    state: &str,
    login: &LoginState,
    ports: &Ports<'_, R>,
    tool_base: &Url,
) -> Result<VerifiedLaunch> {
    let registration = load_registration(&ports.cached_platforms(), &login.registration)
        .await?
        .ok_or_else(|| {
            // A registration removed between login and launch.
            let (issuer, client_id) = login.registration.parts();
            Error::UnknownPlatform {
                issuer: issuer.to_owned(),
                client_id: Some(client_id.to_owned()),
            }
        })?;
    // 4. RS256 only, whatever the header claims (never `none`, never HMAC).
    if jws.algorithm() != "RS256" {
        return Err(Error::AlgorithmNotAllowed(jws.algorithm().to_owned()));
    }
    if jws.has_critical() {
        return Err(Error::MalformedToken("unsupported critical header".into()));
    }
    // 5. The signature verifies with the platform's key named by `kid`.
    let key = jwks::platform_key(ports, &registration, jws.kid()).await?;
    let verified = jws.verify(ports.crypto, Alg::Rs256, &key).await?;
    let verified = verified.ok_or(Error::BadSignature)?;
    check_claims(verified, registration, (state, login), ports.now, tool_base)
}

/// Hands a verified launch to the origin: `forward`, the origin request,
/// runs together with what the launch still owes the store (its login
/// removed, its session stored under `session_id`, its deployment recorded),
/// so a launch waits on one storage round trip, the login's claim, before
/// the origin is asked. All of them are awaited before the answer, which
/// sets the session cookie, goes out: no browser presents a session that is
/// not stored yet. A failed write fails the launch, whatever the origin
/// answered, as it did when the writes came first.
pub async fn settle_launch<R: Runtime, T>(
    ports: &Ports<'_, R>,
    launch: &VerifiedLaunch,
    session_id: &str,
    ttl: u64,
    forward: impl Future<Output = T>,
) -> Result<T> {
    let login = async {
        match &launch.login {
            Some(state) => finish_login(ports.logins, state).await,
            None => Ok(()),
        }
    };
    let session = store_session(ports.store, session_id, launch.asserted(), ports.now, ttl);
    let writes = try_join3(login, session, record_deployment(ports, launch));
    let (answer, written) = join(forward, writes).await;
    written?;
    Ok(answer)
}

/// What to do with a launch, cookie or not.
#[derive(Debug)]
pub enum LaunchDecision {
    /// The state cookie came back and the launch verified: forward it.
    Forward(VerifiedLaunch),
    /// No state cookie, but the login used platform storage: the launch
    /// verified and is held; answer this page, which reads the proof back
    /// from the platform's storage and posts it to
    /// [`crate::platform_storage::PROOF_PATH`].
    ConfirmInBrowser(Page),
    /// No state cookie and no platform storage: refused
    /// ([`Error::StateCookieMissing`]); the person may open the tool in a
    /// new window at this URL, when the login is still known.
    RefuseWithoutCookie { new_window: Option<Url> },
}

/// Verifies a launch with the state cookie ([`verify_launch`]) or, without
/// it, through platform storage: the id_token is verified as completely, the
/// login taken, and the launch held until the browser proves that the login
/// was its own (see [`crate::platform_storage`]).
pub async fn accept_launch<R: Runtime>(
    request: &LaunchRequest,
    state_cookie: bool,
    ports: &Ports<'_, R>,
    tool_base: &Url,
) -> Result<LaunchDecision> {
    // Steps 1 and 3 of `verify_launch`; step 2, the cookie, decides below.
    let jws = jws::parse(&request.id_token)?;
    let login = match claim_login(ports.logins, &request.state).await {
        Ok(login) => login,
        // Refused as a missing cookie, as it always was without one.
        Err(Error::StateUnknown) if !state_cookie => {
            return Ok(LaunchDecision::RefuseWithoutCookie { new_window: None })
        }
        Err(e) => return Err(e),
    };
    let decided = decide(jws, request, state_cookie, &login, ports, tool_base).await;
    if !matches!(
        decided,
        Ok(LaunchDecision::Forward(_) | LaunchDecision::ConfirmInBrowser(_))
    ) {
        release_login(ports.logins, &request.state).await;
    }
    decided
}

/// [`accept_launch`] once the login is claimed.
async fn decide<R: Runtime>(
    jws: jws::UntrustedJws<'_>,
    request: &LaunchRequest,
    state_cookie: bool,
    login: &LoginState,
    ports: &Ports<'_, R>,
    tool_base: &Url,
) -> Result<LaunchDecision> {
    let storage = login.platform_storage();
    if !state_cookie && storage.is_none() {
        // The login was only read: the new window starts a login of its own.
        let new_window = login.new_window_url(tool_base);
        return Ok(LaunchDecision::RefuseWithoutCookie { new_window });
    }
    let launch = verify_for_login(jws, &request.state, login, ports, tool_base).await?;
    let Some((target, proof_sha256)) = storage.filter(|_| !state_cookie) else {
        return Ok(LaunchDecision::Forward(launch));
    };
    let held = hold_launch(ports, &launch, proof_sha256).await?;
    // Held, the launch no longer needs its login.
    finish_login(ports.logins, &request.state).await?;
    let page = proof_page(ProofPage {
        held: &held,
        target,
        state: &request.state,
        registration: &launch.registration,
        new_window: login.new_window_url(tool_base).as_ref(),
        rng: ports.rng,
    })?;
    Ok(LaunchDecision::ConfirmInBrowser(page))
}

/// Steps 6-11: the claims, against the registration and the login of `state`.
fn check_claims(
    verified: jws::VerifiedJws<'_>,
    registration: Rc<PlatformRegistration>,
    (state, login): (&str, &LoginState),
    now: u64,
    tool_base: &Url,
) -> Result<VerifiedLaunch> {
    let not_json = || Error::MalformedToken("claims are not a JSON object".into());
    let text = verified.payload_text().ok_or_else(not_json)?;
    // Read once as a `Value`, for the view, and typed from it (no second
    // parse of the text).
    let parsed: Value = serde_json::from_str(&text).map_err(|_| not_json())?;
    let claims = LaunchClaims::read(parsed.as_object().ok_or_else(not_json)?);
    claims::check_issuer(&claims, &registration)?;
    claims::check_audience(&claims, &registration)?;
    claims::check_times(&claims, now)?;
    // The nonce is the one minted for this login (OIDC Core §3.1.3.7 step 11).
    if claims.nonce.text() != Some(login.nonce.as_str()) {
        return Err(Error::NonceMismatch);
    }
    let login_deployment = login.lti_deployment_id.as_deref();
    let (deployment_id, message_type) =
        claims::check_lti_message(&claims, &registration, login_deployment)?;
    // Deep linking and submission review requests may omit target_link_uri,
    // and minimal-claims launches always do: the login's then applies.
    let target_link_uri = claims
        .target_link_uri
        .text()
        .unwrap_or(&login.target_link_uri);
    let target_link_uri = check_same_origin(target_link_uri, tool_base, "target_link_uri")?;
    let platform = LaunchPlatform::of(&registration, deployment_id);
    let view = LaunchView::of(&parsed, &platform, message_type).to_json();
    let sub = claims.sub.string().map(str::to_owned);
    Ok(VerifiedLaunch {
        platform,
        view,
        registration,
        sub,
        // Passed on verbatim: no re-serialization changes a claim on its way to the origin.
        claims: RawValue::from_string(text).map_err(|_| not_json())?,
        message_type,
        target_link_uri,
        login: Some(state.to_owned()),
    })
}
