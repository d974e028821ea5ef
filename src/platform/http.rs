use lti_core::ports::{HttpClient, HttpError, HttpRequest, HttpResponse, Method};
use worker::{Fetch, Headers, Request, RequestInit};

/// Outgoing requests with the runtime's `fetch`.
pub struct FetchClient;

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
        let mut response = Fetch::Request(outgoing).send().await.map_err(err)?;
        let headers = response.headers().entries().collect();
        Ok(HttpResponse {
            status: response.status_code(),
            headers,
            body: response.bytes().await.map_err(err)?,
        })
    }
}
