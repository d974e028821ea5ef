//! Forwarding to the origin. Nothing reaches it without passing here, and
//! here every client-sent `Lti-Jwt-Assertion` is dropped.

use lti_core::assertion::HEADER as ASSERTION;
use lti_core::cookies;
use url::Url;
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

use crate::response::Failure;

/// Request headers never passed on: hop-by-hop ones, `host` (the origin's
/// comes from its URL) and `cookie` (rebuilt without the worker's).
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

/// The origin app behind the worker.
pub struct Origin<'a> {
    /// `ORIGIN_URL`.
    pub base: &'a Url,
    /// The worker's own base URL, as browsers see it.
    pub tool: &'a Url,
    /// How long the origin may take to start answering.
    pub timeout_ms: u32,
}

/// A request on its way to the origin.
pub struct Forward {
    pub url: Url,
    pub method: Method,
    pub headers: Headers,
    pub body: Option<JsValue>,
}

impl Origin<'_> {
    /// The origin URL for the path and query of `url`.
    pub fn url_for(&self, url: &Url) -> Url {
        let mut target = self.base.clone();
        let base = self.base.path().trim_end_matches('/');
        target.set_path(&format!("{base}{}", url.path()));
        target.set_query(url.query());
        target
    }

    /// Headers for the origin: the client's, minus what must not pass (any
    /// spelling of the assertion header among them), plus the worker's assertion.
    pub fn headers(
        &self,
        client: &Headers,
        cookies: &[(String, String)],
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
        let host = &self.tool[url::Position::BeforeHost..url::Position::AfterPort];
        headers.set("x-forwarded-host", host)?;
        headers.set("x-forwarded-proto", self.tool.scheme())?;
        if let Some(assertion) = assertion {
            headers.set(ASSERTION, assertion)?;
        }
        Ok(headers)
    }

    /// Sends `forward` and returns the origin's answer for the browser, with
    /// `set_cookies` added and the origin's own host hidden from redirects.
    pub async fn send(
        &self,
        forward: Forward,
        set_cookies: &[String],
    ) -> Result<Response, Failure> {
        let mut init = RequestInit::new();
        init.with_method(forward.method)
            .with_headers(forward.headers)
            .with_redirect(RequestRedirect::Manual)
            .with_body(forward.body);
        let request = Request::new_with_init(forward.url.as_str(), &init)?;
        let signal = crate::platform::timeout(self.timeout_ms);
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
            let value = match name.as_str() {
                "location" => self.rewrite_location(&value),
                _ => value,
            };
            headers.append(&name, &value)?;
        }
        for cookie in set_cookies {
            headers.append("set-cookie", cookie)?;
        }
        if !set_cookies.is_empty() {
            // A response carrying the worker's cookies must never be cached.
            headers.set("cache-control", "no-store")?;
        }
        let (_, body) = response.into_parts();
        Ok(Response::builder()
            .with_status(status)
            .with_headers(headers)
            .body(body))
    }

    /// A redirect to the origin's own URL becomes one to the worker's.
    fn rewrite_location(&self, location: &str) -> String {
        match Url::parse(location) {
            Ok(mut url) if url.origin() == self.base.origin() => {
                let _ = url.set_scheme(self.tool.scheme());
                let _ = url.set_host(self.tool.host_str());
                let _ = url.set_port(self.tool.port());
                url.into()
            }
            _ => location.to_owned(),
        }
    }
}
