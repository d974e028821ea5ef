//! One short function per route; the protocol lives in `lti_core`.

mod launch;

use std::future::Future;
use std::pin::Pin;

use lti_core::assertion::AssertedLaunch;
use lti_core::keys::{public_jwks, signing_keys};
use lti_core::login::{initiate_login, save_login, LoginRedirect, LoginRequest, LOGIN_TTL};
use lti_core::platform_storage::page::login_page;
use lti_core::platform_storage::PROOF_PATH;
use lti_core::ports::Ports;
use lti_core::registration::find_registration;
use lti_core::session::{
    check_session_grant, load_session, session_credential, SessionCredential, TOKEN_HEADER,
};
use lti_core::Error;
use url::Url;
use worker::{Env, Headers, Method, Response};

use crate::context::{pairs, params, Incoming, Runtime};
use crate::forward::Forward;
use crate::platform::Workers;
use crate::response::{page_headers, script_page, Failure};
use lti_core::cookies;
use lti_core::forwarding::{is_cross_site_unsafe, take_session_params};

/// Browsers send at most about 4 KiB per cookie; the worker's own are small.
const MAX_COOKIE_BYTES: usize = 8 * 1024;
/// Assertions and service tokens carry launch claims: generous, but bounded.
const MAX_AUTHORIZATION_BYTES: usize = 32 * 1024;
/// Forwarded answers stay the runtime's own objects; the worker's pages convert.
type Outcome = Result<web_sys::Response, Failure>;

pub async fn handle(raw: web_sys::Request, env: Env) -> worker::Result<web_sys::Response> {
    let url = Url::parse(&raw.url())?;
    let req = Incoming::new(raw)?;
    if let Err(failure) = check_header_sizes(&req) {
        return failure.into_response("Request refused").map(Into::into);
    }
    // Each route's future is boxed: see `separately`.
    let (title, outcome) = match (&req.method, url.path()) {
        (Method::Get | Method::Post, "/lti/login") => {
            ("LTI login failed", separately(login(req, &env, &url)).await)
        }
        (Method::Post, "/lti/launch" | PROOF_PATH) => (
            "LTI launch failed",
            separately(launch::launch(req, &env, &url)).await,
        ),
        (Method::Get, "/.well-known/jwks.json") => {
            ("Keys unavailable", separately(jwks(&env, &url)).await)
        }
        (_, "/lti/login" | "/lti/launch" | PROOF_PATH | "/.well-known/jwks.json") => {
            return plain(405, "method not allowed").map(Into::into);
        }
        (_, path) if path.starts_with(crate::register::PREFIX) => {
            let runtime = Runtime::new(&env, &url);
            return separately(crate::register::handle(&req, runtime, &url)).await;
        }
        (_, path) if path.starts_with("/lti/services/") => {
            return separately(services(req, &env, &url))
                .await
                .or_else(|failure| failure.into_json_response().map(Into::into));
        }
        (_, path) if path.starts_with("/lti/") => {
            return plain(404, "no such LTI route").map(Into::into)
        }
        _ => (
            "Request failed",
            separately(passthrough(req, &env, &url)).await,
        ),
    };
    outcome.or_else(|failure| failure.into_response(title).map(Into::into))
}

/// A route's future behind a box, polled through its vtable. Awaited in
/// place, every route would become part of one state machine, which the
/// optimizers inline into a single wasm function of about 150 KB; a fresh
/// isolate compiles a wasm function whole when it is first called, so the
/// first request of any kind would pay for compiling every route. Behind the
/// box (and a call the compiler cannot see through) a request compiles the
/// code of its own route only. One allocation per request.
#[inline(never)]
fn separately<'a, T>(
    future: impl Future<Output = T> + 'a,
) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
}

/// Oversized credentials are refused before any parsing work.
fn check_header_sizes(req: &Incoming) -> Result<(), Failure> {
    let too_large = |what, limit| Err(Error::TooLarge { what, limit }.into());
    if req
        .cookie
        .as_ref()
        .is_some_and(|c| c.len() > MAX_COOKIE_BYTES)
    {
        return too_large("Cookie header", MAX_COOKIE_BYTES);
    }
    let authorization = req.headers.get("authorization")?;
    if authorization.is_some_and(|a| a.len() > MAX_AUTHORIZATION_BYTES) {
        return too_large("Authorization header", MAX_AUTHORIZATION_BYTES);
    }
    Ok(())
}

fn plain(status: u16, message: &str) -> worker::Result<Response> {
    Ok(Response::ok(message)?
        .with_status(status)
        .with_headers(page_headers()?))
}

/// OIDC login initiation: redirect to the platform with `state` and `nonce`.
async fn login(req: Incoming, env: &Env, url: &Url) -> Outcome {
    let params = params(&req, url).await?;
    let runtime = Runtime::new(env, url)?;
    let ports = runtime.ports();
    let request = LoginRequest::from_params(pairs(&params))?;
    let registration = find_registration(
        &ports.cached_platforms(),
        &request.iss,
        request.client_id.as_deref(),
    )
    .await?;
    let redirect = initiate_login(&request, &registration, &runtime.tool, ports.rng)?;
    save_login(ports.logins, &redirect).await?;
    let headers = page_headers()?;
    let jar = cookies::parse(req.cookie.as_deref());
    for state in cookies::states_to_clear(&jar) {
        headers.append("set-cookie", &cookies::clear_state(state))?;
    }
    // Set with platform storage too: whichever survives serves the launch.
    let cookie = cookies::state(&redirect.state, ports.now, LOGIN_TTL);
    headers.append("set-cookie", &cookie)?;
    login_answer(&redirect, headers, &ports)
}

/// The `302` to the authorization endpoint or, when the login offered
/// platform storage, the page that stores the proof and then goes there.
fn login_answer(redirect: &LoginRedirect, headers: Headers, ports: &Ports<'_, Workers>) -> Outcome {
    if let Some(page) = login_page(redirect, ports.rng) {
        return Ok(script_page(&page, headers)?.into());
    }
    headers.set("location", &redirect.location)?;
    Ok(Response::empty()?
        .with_status(302)
        .with_headers(headers)
        .into())
}

async fn services(req: Incoming, env: &Env, url: &Url) -> Outcome {
    let runtime = Runtime::new(env, url)?;
    Ok(crate::services::handle(req, &runtime, url).await?.into())
}

/// The worker's public keys, for platforms and origins.
async fn jwks(env: &Env, url: &Url) -> Outcome {
    let runtime = Runtime::new(env, url)?;
    let keys = signing_keys(&runtime.ports(), runtime.config().private_key.as_deref()).await?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "public, max-age=300")?;
    headers.set("access-control-allow-origin", "*")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::from_json(&public_jwks(&keys))?
        .with_headers(headers)
        .into())
}

/// Everything else goes to the origin: with a fresh assertion when the
/// browser holds a live session, bare otherwise.
async fn passthrough(req: Incoming, env: &Env, url: &Url) -> Outcome {
    let runtime = Runtime::new(env, url)?;
    let ports = runtime.ports();
    let jar = cookies::parse(req.cookie.as_deref());
    // Session tokens are the worker's: never forwarded in the URL (nor in the
    // header, which `Origin::headers` drops).
    let mut url = url.clone();
    let mut tokens = take_session_params(&mut url);
    tokens.extend(req.headers.get(TOKEN_HEADER)?);
    let presented: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let assertion = match session_credential(cookies::session_id(&jar)?, &presented)? {
        Some(credential) => {
            check_same_site(&req, &runtime.tool)?;
            session_assertion(&runtime, &ports, credential).await?
        }
        None => None,
    };
    let origin = runtime.origin(&req)?;
    let forward = Forward {
        url: origin.url_for(&url),
        headers: origin.headers(&req.headers, &jar, assertion.as_deref())?,
        for_session: assertion.is_some(),
        // The page's URL may hold the token: it must not leak in `Referer`.
        no_referrer: !tokens.is_empty(),
        method: req.method,
        body: req.raw.body().map(Into::into),
    };
    origin.send(forward, &[]).await
}

/// A fresh assertion for the live session `credential` names, if any; with
/// the session token when the request came with one, so the origin keeps
/// putting it on its links.
async fn session_assertion(
    runtime: &Runtime,
    ports: &Ports<'_, Workers>,
    credential: SessionCredential<'_>,
) -> Result<Option<String>, Failure> {
    let Some(session) = load_session(ports.store, credential.id(), ports.now).await? else {
        return Ok(None);
    };
    check_session_grant(ports, &session).await?;
    let sub = session.sub();
    let launch = AssertedLaunch {
        session_token: credential.token(),
        ..session.asserted(sub.as_deref())
    };
    Ok(Some(runtime.assertion(ports, launch).await?))
}

/// A browser holding a session sends unsafe requests only from the tool's own
/// pages: another frame on the LMS page could otherwise post with the session
/// (its cookie is `SameSite=None`). Refused with a page rather than forwarded
/// without the assertion, so the origin never acts on a request it cannot tell
/// from an anonymous one, and the person sees why.
fn check_same_site(req: &Incoming, tool: &Url) -> Result<(), Failure> {
    let site = req.headers.get("sec-fetch-site")?;
    let origin = req.headers.get("origin")?;
    let method = req.method.as_ref();
    if is_cross_site_unsafe(method, site.as_deref(), origin.as_deref(), tool) {
        return Err(Failure::CrossSite);
    }
    Ok(())
}
