//! The `redirect_uri` and the confirmation of launches without cookies: the
//! core decides (`accept_launch`, `redeem_held_launch`), this translates.

use futures_util::future::join;
use lti_core::assertion::AssertedLaunch;
use lti_core::cookies;
use lti_core::keys::signing_keys;
use lti_core::launch::{
    accept_launch, settle_launch, LaunchDecision, LaunchRequest, VerifiedLaunch,
};
use lti_core::platform_storage::held::{redeem_held_launch, LaunchProof};
use lti_core::platform_storage::page::{new_window_link, Page};
use lti_core::platform_storage::PROOF_PATH;
use lti_core::ports::Ports;
use lti_core::session::new_session_id;
use lti_core::Error;
use url::Url;
use worker::{Env, Headers, Method};

use super::{check_same_site, Outcome};
use crate::context::{pairs, params, Incoming, Runtime};
use crate::forward::Forward;
use crate::platform::Workers;
use crate::response::{page_headers, script_page, Failure, LAUNCH_HINT};

/// `POST /lti/launch`, the `redirect_uri`: verify the launch, then hand it
/// to the origin, or, without the state cookie, have the browser confirm it
/// through platform storage first. And `POST /lti/launch/proof`, where the
/// proof page hands back what the platform's storage held: a held launch
/// whose proof matches goes to the origin. One function for both, so the
/// form reading and the forwarding are compiled once.
pub async fn launch(req: Incoming, env: &Env, url: &Url) -> Outcome {
    let runtime = Runtime::new(env, url)?;
    let confirming = url.path() == PROOF_PATH;
    if confirming {
        // Only the worker's own proof page posts there: a page of another
        // site must not start a session (someone else's) in this browser.
        check_same_site(&req, &runtime.tool)?;
    }
    let params = params(&req, url).await?;
    let ports = runtime.ports();
    let (launch, by) = if confirming {
        let proof = LaunchProof::from_params(pairs(&params))?;
        (redeem_held_launch(&proof, &ports).await?, SessionBy::Token)
    } else {
        let request = LaunchRequest::from_params(pairs(&params))?;
        let jar = cookies::parse(req.cookie.as_deref());
        let state_cookie = cookies::has_state(&jar, &request.state);
        let accepted = accept_launch(&request, state_cookie, &ports, &runtime.tool);
        // The keys that will sign the assertion, loaded while the launch is
        // verified: on a fresh isolate, a store read off the critical path.
        // A failure shows when they are used.
        let keys = signing_keys(&ports, runtime.config().private_key.as_deref());
        match join(accepted, keys).await.0? {
            LaunchDecision::Forward(launch) => {
                let clear_state = cookies::clear_state(&request.state);
                (launch, SessionBy::Cookie { clear_state })
            }
            LaunchDecision::ConfirmInBrowser(page) => return proof_page(&page, &request.state),
            LaunchDecision::RefuseWithoutCookie { new_window } => return refusal(new_window),
        }
    };
    forward_launch(&req, &runtime, &ports, launch, by).await
}

/// The page that reads the proof back; the state cookie, absent anyway, is
/// cleared as after every launch.
fn proof_page(page: &Page, state: &str) -> Outcome {
    let headers = page_headers()?;
    headers.append("set-cookie", &cookies::clear_state(state))?;
    Ok(script_page(page, headers)?.into())
}

/// Neither cookie nor platform storage: refused as ever, with a way out.
fn refusal(new_window: Option<Url>) -> Outcome {
    let way_out = new_window.as_ref().map(new_window_link);
    let failure = Failure::from(Error::StateCookieMissing);
    let hint = way_out.as_deref().unwrap_or_default();
    Ok(failure
        .into_page_with("LTI launch failed", LAUNCH_HINT, hint)?
        .into())
}

/// How the browser will present the session the launch starts.
enum SessionBy {
    /// The session cookie; the state cookie, served, is cleared.
    Cookie { clear_state: String },
    /// A session token the origin carries on its links; the cookie is set
    /// too, and may be dropped.
    Token,
}

/// Starts the session and forwards the verified launch to its target.
async fn forward_launch(
    req: &Incoming,
    runtime: &Runtime,
    ports: &Ports<'_, Workers>,
    launch: VerifiedLaunch,
    by: SessionBy,
) -> Outcome {
    let ttl = runtime.config().session_ttl;
    let session = new_session_id(ports.rng);
    let token = matches!(by, SessionBy::Token).then_some(session.as_str());
    let asserted = AssertedLaunch {
        session_token: token,
        ..launch.asserted()
    };
    let assertion = runtime.assertion(ports, asserted).await?;
    let origin = runtime.origin(req)?;
    let jar = cookies::parse(req.cookie.as_deref());
    let forward = Forward {
        url: origin.url_for(launch.target_link_uri()),
        method: Method::Get,
        headers: origin.add_worker_headers(
            launch_headers(&req.headers)?,
            &jar,
            Some(&assertion),
        )?,
        body: None,
        for_session: true,
        no_referrer: token.is_some(),
    };
    let mut set_cookies = vec![cookies::session(&session, ttl)];
    if let SessionBy::Cookie { clear_state } = by {
        set_cookies.push(clear_state);
    }
    settle_launch(
        ports,
        &launch,
        &session,
        ttl,
        origin.send(forward, &set_cookies),
    )
    .await?
}

/// Of the platform's form POST, only what describes the browser goes on.
fn launch_headers(client: &Headers) -> worker::Result<Headers> {
    let headers = Headers::new();
    for name in ["accept", "accept-language", "user-agent"] {
        if let Some(value) = client.get(name)? {
            headers.set(name, &value)?;
        }
    }
    Ok(headers)
}
