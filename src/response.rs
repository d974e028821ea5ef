//! The one table from failures to HTTP responses. Bodies name the failed check
//! for a person (launch errors show inside an LMS iframe); internal details go
//! to the log only, never a token, key or secret.

use lti_core::html::escape;
use lti_core::platform_storage::page::Page;
use lti_core::{Error, ErrorKind};
use worker::{console_error, console_warn, Headers, Response};

/// Why a request could not be served.
pub enum Failure {
    /// A protocol failure from the core.
    Lti(Error),
    /// The origin could not be reached.
    Origin(String),
    /// The origin did not answer in time.
    OriginTimeout,
    /// The runtime failed (a binding missing, a JS exception).
    Runtime(worker::Error),
    /// An unsafe request with the session, sent from another site's page.
    CrossSite,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lti(e)
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<wasm_bindgen::JsValue> for Failure {
    fn from(e: wasm_bindgen::JsValue) -> Self {
        Failure::Runtime(e.into())
    }
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Failure::Lti(e) => match e.kind() {
                ErrorKind::BadRequest => 400,
                ErrorKind::PayloadTooLarge => 413,
                ErrorKind::Unauthorized => 401,
                ErrorKind::Forbidden => 403,
                ErrorKind::PlatformUnavailable => 502,
                ErrorKind::StorageUnavailable => 503,
                ErrorKind::Internal => 500,
                ErrorKind::Conflict => 409,
            },
            Failure::Origin(_) => 502,
            Failure::OriginTimeout => 504,
            Failure::Runtime(_) => 500,
            Failure::CrossSite => 403,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Lti(e) => e.code(),
            Failure::Origin(_) => "origin_unavailable",
            Failure::OriginTimeout => "origin_timeout",
            Failure::Runtime(_) => "internal_error",
            Failure::CrossSite => "cross_site_request",
        }
    }

    /// What the person sees. Internal failures say nothing more than that.
    fn public_message(&self) -> String {
        match self {
            Failure::Lti(e) if e.kind() != ErrorKind::Internal => e.to_string(),
            Failure::Origin(_) => "the application behind this tool could not be reached".into(),
            Failure::OriginTimeout => {
                "the application behind this tool did not answer in time".into()
            }
            Failure::CrossSite => "a page of another site sent this request with your session \
                of this tool; it was not passed on. Use the tool's own pages."
                .into(),
            _ => "internal error; the details are in the tool's log".into(),
        }
    }

    /// The full detail, for the log only.
    fn detail(&self) -> String {
        match self {
            Failure::Lti(e) => e.detail(),
            Failure::Origin(e) => format!("origin fetch failed: {e}"),
            Failure::OriginTimeout => "origin fetch timed out".into(),
            Failure::Runtime(e) => format!("runtime: {e}"),
            Failure::CrossSite => "cross-site unsafe request with a session".into(),
        }
    }

    /// Logs the failure and answers with a short HTML page.
    pub fn into_response(self, title: &str) -> worker::Result<Response> {
        self.into_page(title, LAUNCH_HINT)
    }

    /// [`Failure::into_response`], with `hint` telling the person what to do next.
    pub fn into_page(self, title: &str, hint: &str) -> worker::Result<Response> {
        self.into_page_with(title, hint, "")
    }

    /// [`Failure::into_page`], with `extra`, HTML the core wrote (escaped
    /// there), after the hint: a way out, such as a new-window link.
    pub fn into_page_with(self, title: &str, hint: &str, extra: &str) -> worker::Result<Response> {
        let status = self.status();
        self.log(title, status);
        let body = error_page(title, &self.public_message(), self.code(), hint, extra);
        Ok(Response::from_html(body)?
            .with_status(status)
            .with_headers(page_headers()?))
    }
}

impl Failure {
    /// Logs the failure and answers JSON, for server-to-server callers.
    pub fn into_json_response(self) -> worker::Result<Response> {
        let status = self.status();
        self.log("service call failed", status);
        let body = serde_json::json!({ "error": self.code(), "message": self.public_message() });
        json(status, &body)
    }

    fn log(&self, title: &str, status: u16) {
        if status >= 500 {
            console_error!("{title}: {status} {}: {}", self.code(), self.detail());
        } else {
            console_warn!("{title}: {status} {}: {}", self.code(), self.detail());
        }
    }
}

/// A JSON answer for server-to-server callers; never cached.
pub fn json(status: u16, body: &serde_json::Value) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::from_json(body)?
        .with_status(status)
        .with_headers(headers))
}

/// Headers for pages the worker writes itself. No `frame-ancestors`: the pages
/// must show inside an LMS iframe.
pub fn page_headers() -> worker::Result<Headers> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'",
    )?;
    Ok(headers)
}

/// A page of the core's that runs its own inline script: `headers` (from
/// [`page_headers`]) get the page's CSP, which allows that script alone.
pub fn script_page(page: &Page, headers: Headers) -> worker::Result<Response> {
    headers.set("content-security-policy", &page.content_security_policy())?;
    Ok(Response::from_html(&page.html)?.with_headers(headers))
}

/// What a person whose launch failed can do.
pub const LAUNCH_HINT: &str = "Try launching the tool again from your course. \
    If it keeps failing, tell your LMS administrator this code.";

fn error_page(title: &str, message: &str, code: &str, hint: &str, extra: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#222}}h1{{font-size:1.3rem;color:#a11}}code{{background:#f3f3f3;padding:0 .3em}}</style>
</head><body><h1>{title}</h1><p>{message}</p><p>Error code: <code>{code}</code></p>
<p>{hint}</p>{extra}
</body></html>"#,
        title = escape(title),
        message = escape(message),
        code = escape(code),
        hint = escape(hint),
    )
}
