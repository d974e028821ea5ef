use lti_core::ports::{HttpClient, HttpError, HttpRequest, HttpResponse, Method};
use url::Url;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestRedirect, WorkerGlobalScope};
use worker::{AbortSignal, Headers};

use crate::body::{read_capped, BodyError};

/// Outgoing requests to platforms, with the runtime's `fetch`. Each carries
/// a `User-Agent` naming the tool: Canvas refuses API requests without one,
/// and the Workers runtime adds none.
pub struct FetchClient {
    user_agent: String,
}

impl FetchClient {
    /// A client for the worker at `tool` (its base URL).
    pub fn new(tool: &Url) -> Self {
        Self {
            user_agent: user_agent(tool),
        }
    }
}

/// `lti-edge/<version> (+<worker base URL>)`.
fn user_agent(tool: &Url) -> String {
    let base = tool.as_str().trim_end_matches('/');
    format!("lti-edge/{} (+{base})", env!("CARGO_PKG_VERSION"))
}

/// A platform that has not answered by then is down, as far as a launch
/// waiting in a browser is concerned.
const PLATFORM_TIMEOUT_MS: u32 = 5_000;
/// No platform document (JWKS, token, page of members) is larger.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// An abort signal that fires after `ms`.
pub fn timeout(ms: u32) -> AbortSignal {
    AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(ms))
}

fn err(e: impl Into<worker::Error>) -> HttpError {
    HttpError(e.into().to_string())
}

impl HttpClient for FetchClient {
    /// Redirects are not followed: an `https` JWKS must not turn into `http`,
    /// and a bearer token must never travel to where a redirect points.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(err)?;
        }
        // A user-agent the request sets itself is kept.
        if !headers.has("user-agent").map_err(err)? {
            headers.set("user-agent", &self.user_agent).map_err(err)?;
        }
        let init = RequestInit::new();
        init.set_method(match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        });
        init.set_headers(&headers.0);
        init.set_redirect(RequestRedirect::Manual);
        if let Some(body) = &request.body {
            init.set_body(&body.into());
        }
        let signal = timeout(PLATFORM_TIMEOUT_MS);
        init.set_signal(Some(&*signal));
        let global: WorkerGlobalScope = js_sys::global().unchecked_into();
        let fetch = global.fetch_with_str_and_init(&request.url, &init);
        let response: web_sys::Response =
            JsFuture::from(fetch).await.map_err(err)?.unchecked_into();
        let status = response.status();
        if (300..400).contains(&status) {
            return Err(HttpError(format!(
                "the platform redirected (HTTP {status}); platform requests do not follow redirects"
            )));
        }
        let headers = Headers(response.headers());
        let declared = headers.get("content-length").ok().flatten();
        let body = read_capped(response.body(), declared.as_deref(), MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => HttpError("response too large".into()),
                BodyError::Failed(e) => err(e),
            })?;
        Ok(HttpResponse {
            status,
            headers: headers.entries().collect(),
            body,
        })
    }
}
