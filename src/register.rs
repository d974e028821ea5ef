//! `GET /lti/register/<REGISTRATION_SECRET>?openid_configuration=..&registration_token=..`:
//! LTI Dynamic Registration, started by a platform administrator. The
//! protocol is in `lti_core::dynamic_registration`; this route checks the
//! secret, runs the flow and answers its page.

use lti_core::dynamic_registration::{
    register, registered_page, Registered, RegistrationRequest, Step, StepError,
};
use lti_core::html::Page;
use url::Url;
use worker::{console_log, Method, Response};

use crate::context::{Incoming, Runtime};
use crate::response::{page_headers, script_page, Failure};

/// The route; the secret is the rest of the path.
pub const PREFIX: &str = "/lti/register/";

/// Without a configured secret, or with another one, the route does not
/// exist: the same `404` as any unknown LTI route, and nothing is fetched.
pub async fn handle(
    req: &Incoming,
    runtime: Result<Runtime, Failure>,
    url: &Url,
) -> worker::Result<web_sys::Response> {
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(failure) => return failure.into_response("Registration failed").map(Into::into),
    };
    let given = url.path().strip_prefix(PREFIX).unwrap_or_default();
    let secret = runtime.config().registration_secret.as_ref();
    if !secret.is_some_and(|secret| secret.matches(given)) {
        return plain(404, "no such LTI route");
    }
    if req.method != Method::Get {
        return plain(405, "method not allowed");
    }
    let mut response = match registration(&runtime, url).await {
        Ok(registered) => registered_response(&runtime, &registered)?,
        Err(failed) => failure_response(failed)?,
    };
    // The page's URL holds the secret and the token: no link may pass it on.
    response
        .headers_mut()
        .set("referrer-policy", "no-referrer")?;
    Ok(response.into())
}

async fn registration(runtime: &Runtime, url: &Url) -> Result<Registered, StepError> {
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let params = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let request = RegistrationRequest::from_params(params).map_err(|error| StepError {
        step: Step::ReadingRequest,
        error,
    })?;
    register(&runtime.ports(), &runtime.tool, &request).await
}

/// The page that closes the platform's registration window. Its one script
/// runs under a nonce drawn for this response.
fn registered_response(runtime: &Runtime, registered: &Registered) -> worker::Result<Response> {
    let platform = &registered.platform;
    console_log!(
        "dynamic registration: stored {:?} deployment={:?} product={:?} version={:?} messages={:?} scopes={:?}",
        registered.key,
        registered.deployment_id,
        platform.product_family_code,
        platform.version,
        platform.messages_supported,
        registered.scopes,
    );
    let page = Page::with_script(runtime.ports().rng, |nonce| {
        registered_page(registered, nonce)
    });
    script_page(&page, page_headers()?)
}

/// A page naming the failed step: `400`, `404`, `409`, `502`... as
/// `response.rs` maps the error.
fn failure_response(failed: StepError) -> worker::Result<Response> {
    let title = format!("Registration failed while {}", failed.step);
    let hint = if failed.platform_client_created() {
        "Nothing was stored here, but the platform has already created this tool's \
         client: delete it there before you register again."
    } else {
        "Nothing was stored. Fix what the message names, then start the \
         registration again from the platform."
    };
    Failure::from(failed.error).into_page(&title, hint)
}

fn plain(status: u16, message: &str) -> worker::Result<web_sys::Response> {
    Ok(Response::ok(message)?
        .with_status(status)
        .with_headers(page_headers()?)
        .into())
}
