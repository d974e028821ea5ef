use lti_core::ports::{HttpClient, HttpError, HttpRequest, HttpResponse, Method};
use worker::{AbortSignal, Fetch, Headers, Request, RequestInit};

/// Outgoing requests to platforms, with the runtime's `fetch`.
pub struct FetchClient;

/// A platform that has not answered by then is down, as far as a launch
/// waiting in a browser is concerned.
const PLATFORM_TIMEOUT_MS: u32 = 5_000;
/// No platform document (JWKS, token, page of members) is larger.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// An abort signal that fires after `ms`.
pub fn timeout(ms: u32) -> AbortSignal {
    AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(ms))
}

fn err(e: impl std::fmt::Display) -> HttpError {
    HttpError(e.to_string())
}

impl HttpClient for FetchClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(err)?;
        }
        let mut init = RequestInit::new();
        init.with_headers(headers)
            .with_method(match request.method {
                Method::Get => worker::Method::Get,
                Method::Post => worker::Method::Post,
            });
        if let Some(body) = &request.body {
            init.with_body(Some(body.into()));
        }
        let outgoing = Request::new_with_init(&request.url, &init).map_err(err)?;
        let signal = timeout(PLATFORM_TIMEOUT_MS);
        let mut response = Fetch::Request(outgoing)
            .send_with_signal(&signal)
            .await
            .map_err(err)?;
        let declared = response.headers().get("content-length").ok().flatten();
        if declared
            .and_then(|l| l.parse::<usize>().ok())
            .is_some_and(|l| l > MAX_RESPONSE_BYTES)
        {
            return Err(HttpError("response too large".into()));
        }
        let headers = response.headers().entries().collect();
        Ok(HttpResponse {
            status: response.status_code(),
            headers,
            body: response.bytes().await.map_err(err)?,
        })
        .and_then(|r| match r.body.len() > MAX_RESPONSE_BYTES {
            true => Err(HttpError("response too large".into())),
            false => Ok(r),
        })
    }
}
