//! Forwarding to the origin. Nothing reaches it without passing here, and
//! here every client-sent `Lti-Jwt-Assertion` is dropped.

use lti_core::assertion::HEADER as ASSERTION;
use lti_core::cookies;
use lti_core::forwarding::{drops_client_header, private_cache_control, rewrite_location};
use url::Url;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestRedirect, ResponseInit, WorkerGlobalScope};
use worker::{Headers, Method};

use crate::response::Failure;

/// The origin app behind the worker.
pub struct Origin<'a> {
    /// `ORIGIN_URL`.
    pub base: &'a Url,
    /// The worker's own base URL, as browsers see it.
    pub tool: &'a Url,
    /// How long the origin may take to start answering.
    pub timeout_ms: u32,
    /// The client's address as Cloudflare saw it (`CF-Connecting-IP`, which
    /// Cloudflare sets and clients cannot).
    pub client_ip: Option<String>,
}

/// A request on its way to the origin.
pub struct Forward {
    pub url: Url,
    pub method: Method,
    pub headers: Headers,
    pub body: Option<JsValue>,
    /// Whether the request carries a session's assertion: the answer is then
    /// for this browser alone.
    pub for_session: bool,
    /// Whether the page's URL may hold a session token: the answer then
    /// sends no `Referer` anywhere (`no-referrer`, the strictest policy, so
    /// no origin value is stricter).
    pub no_referrer: bool,
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

    /// Headers for the origin: the client's, minus what must not pass (see
    /// [`drops_client_header`]: the assertion header in any spelling, proxy
    /// headers), plus the worker's own. The copy is made natively, then trimmed.
    pub fn headers(
        &self,
        client: &Headers,
        cookies: &[(String, String)],
        assertion: Option<&str>,
    ) -> worker::Result<Headers> {
        let headers = Headers(web_sys::Headers::new_with_headers(&client.0)?);
        // Names come lower-cased; collected first, as deleting while
        // iterating skips entries.
        let dropped: Vec<String> = headers.keys().filter(|n| drops_client_header(n)).collect();
        for name in dropped {
            headers.delete(&name)?;
        }
        self.add_worker_headers(headers, cookies, assertion)
    }

    /// Adds the worker's own headers to `headers`, which must hold nothing a
    /// client chose unchecked: its cookies, proxy headers, the assertion.
    pub fn add_worker_headers(
        &self,
        headers: Headers,
        cookies: &[(String, String)],
        assertion: Option<&str>,
    ) -> worker::Result<Headers> {
        if let Some(cookie) = cookies::for_origin(cookies) {
            headers.set("cookie", &cookie)?;
        }
        let host = &self.tool[url::Position::BeforeHost..url::Position::AfterPort];
        headers.set("x-forwarded-host", host)?;
        headers.set("x-forwarded-proto", self.tool.scheme())?;
        if let Some(ip) = &self.client_ip {
            headers.set("x-forwarded-for", ip)?;
        }
        if let Some(assertion) = assertion {
            headers.set(ASSERTION, assertion)?;
        }
        Ok(headers)
    }

    /// Sends `forward` and returns the origin's answer for the browser, with
    /// `set_cookies` added and the origin's own host hidden from redirects.
    ///
    /// The runtime's own request and response objects are used directly: the
    /// origin's headers and body are passed on natively, not copied through wasm.
    pub async fn send(
        &self,
        forward: Forward,
        set_cookies: &[String],
    ) -> Result<web_sys::Response, Failure> {
        let signal = crate::platform::timeout(self.timeout_ms);
        let init = RequestInit::new();
        init.set_method(forward.method.as_ref());
        init.set_headers(&forward.headers.0);
        init.set_redirect(RequestRedirect::Manual);
        init.set_signal(Some(&*signal));
        if let Some(body) = &forward.body {
            init.set_body(body);
        }
        let global: WorkerGlobalScope = js_sys::global().unchecked_into();
        let fetch = global.fetch_with_str_and_init(forward.url.as_str(), &init);
        let response: web_sys::Response = JsFuture::from(fetch)
            .await
            .map_err(|e| match signal.aborted() {
                true => Failure::OriginTimeout,
                false => Failure::Origin(worker::Error::from(e).to_string()),
            })?
            .unchecked_into();
        // The origin's status and headers, copied natively; then what changes.
        let answer = web_sys::Response::new_with_opt_readable_stream_and_init(
            response.body().as_ref(),
            response.unchecked_ref::<ResponseInit>(),
        )?;
        let headers = Headers(answer.headers());
        if let Some(location) = headers.get("location")? {
            if let Some(location) = rewrite_location(&location, self.base, self.tool) {
                headers.set("location", &location)?;
            }
        }
        if forward.no_referrer {
            headers.set("referrer-policy", "no-referrer")?;
        }
        for cookie in set_cookies {
            headers.append("set-cookie", cookie)?;
        }
        if !set_cookies.is_empty() {
            // A response carrying the worker's cookies must never be cached.
            headers.set("cache-control", "no-store")?;
        } else if forward.for_session {
            let origin = headers.get("cache-control")?;
            if let Some(value) = private_cache_control(origin.as_deref()) {
                headers.set("cache-control", &value)?;
            }
        }
        Ok(answer)
    }
}
