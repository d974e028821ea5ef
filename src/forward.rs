//! Forwarding to the origin. Nothing reaches it without passing here, and
//! here every client-sent `Lti-Jwt-Assertion` is dropped.

use lti_core::assertion::HEADER as ASSERTION;
use url::Url;
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

use crate::response::Failure;
use lti_core::cookies;

/// Request headers never passed on: hop-by-hop ones, `host` (the origin's
/// comes from its URL), `cookie` (rebuilt without the worker's), and the
/// assertion header, which only the worker may set.
const DROPPED: [&str; 9] = [
    "host",
    "cookie",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
];

/// How long the origin may take to start answering.
const ORIGIN_TIMEOUT_MS: u32 = 30_000;

/// The origin URL for `path_and_query` of a request to the worker.
pub fn origin_url(origin: &Url, url: &Url) -> Url {
    let mut target = origin.clone();
    let base = origin.path().trim_end_matches('/');
    target.set_path(&format!("{base}{}", url.path()));
    target.set_query(url.query());
    target
}

/// Headers for the origin: the client's, minus what must not pass, plus the
/// assertion when there is one.
pub fn origin_headers(
    client: &Headers,
    cookies: &[(String, String)],
    tool: &Url,
    assertion: Option<&str>,
) -> worker::Result<Headers> {
    let headers = Headers::new();
    for (name, value) in client.entries() {
        if !DROPPED.contains(&name.as_str()) && !name.eq_ignore_ascii_case(ASSERTION) {
            headers.append(&name, &value)?;
        }
    }
    if let Some(cookie) = cookies::for_origin(cookies) {
        headers.set("cookie", &cookie)?;
    }
    headers.set(
        "x-forwarded-host",
        &tool[url::Position::BeforeHost..url::Position::AfterPort],
    )?;
    headers.set("x-forwarded-proto", tool.scheme())?;
    if let Some(assertion) = assertion {
        headers.set(ASSERTION, assertion)?;
    }
    Ok(headers)
}

/// Sends a request to the origin and returns its answer for the browser,
/// with `set_cookies` added and the origin's own host hidden from redirects.
pub async fn send(
    url: &Url,
    method: Method,
    headers: Headers,
    body: Option<JsValue>,
    origin: &Url,
    tool: &Url,
    set_cookies: &[String],
) -> Result<Response, Failure> {
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(body);
    let request = Request::new_with_init(url.as_str(), &init)?;
    let signal = crate::platform::timeout(ORIGIN_TIMEOUT_MS);
    let response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| match signal.aborted() {
            true => Failure::OriginTimeout,
            false => Failure::Origin(e.to_string()),
        })?;
    let status = response.status_code();
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        let value = if name == "location" {
            rewrite_location(&value, origin, tool)
        } else {
            value
        };
        headers.append(&name, &value)?;
    }
    for cookie in set_cookies {
        headers.append("set-cookie", cookie)?;
    }
    let (_, body) = response.into_parts();
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .body(body))
}

/// A redirect to the origin's own URL becomes one to the worker's.
fn rewrite_location(location: &str, origin: &Url, tool: &Url) -> String {
    match Url::parse(location) {
        Ok(url) if url.origin() == origin.origin() => {
            let mut url = url;
            let _ = url.set_scheme(tool.scheme());
            let _ = url.set_host(tool.host_str());
            let _ = url.set_port(tool.port());
            url.into()
        }
        _ => location.to_owned(),
    }
}
