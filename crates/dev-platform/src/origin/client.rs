//! Calls to the worker's `/lti/services/...` routes, server to server, with the
//! assertion the origin just received as the bearer.

use std::time::Duration;

use serde_json::Value;

/// Why a service call did not give a JSON success.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceError {
    /// The worker's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
    /// `error` of the worker's `{"error", "message"}` body.
    pub code: Option<String>,
    pub message: String,
    /// The body as received, when there was one.
    pub raw: Option<String>,
}

impl ServiceError {
    fn unreachable(message: String) -> ServiceError {
        ServiceError {
            status: None,
            code: None,
            message,
            raw: None,
        }
    }

    /// The status the origin answers the browser with: the worker's 4xx as is (the
    /// request was refused), `502` when the worker failed or was not reached.
    pub fn reply_status(&self) -> u16 {
        self.status
            .filter(|status| (400..500).contains(status))
            .unwrap_or(502)
    }
}

/// Reads a service answer: a `2xx` JSON body is a success; anything else an error,
/// with the worker's `error` and `message` when the body has them.
pub(crate) fn interpret(status: u16, body: &str) -> Result<Value, ServiceError> {
    // A DELETE succeeds with `204` and nothing to read.
    if status == 204 {
        return Ok(Value::Null);
    }
    let json = serde_json::from_str::<Value>(body).ok();
    match json {
        Some(value) if (200..300).contains(&status) => Ok(value),
        _ => {
            let field = |name: &str| {
                json.as_ref()
                    .and_then(|v| v[name].as_str())
                    .map(str::to_string)
            };
            let message = field("message").unwrap_or_else(|| {
                if (200..300).contains(&status) {
                    "the answer is not JSON".to_string()
                } else {
                    format!("HTTP {status}")
                }
            });
            Err(ServiceError {
                status: Some(status),
                code: field("error"),
                message,
                raw: (!body.is_empty()).then(|| truncate(body, 4000)),
            })
        }
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// `GET` (no body) or `POST` (JSON body) `{tool_base}{path}` with the bearer.
pub(crate) fn call(
    tool_base: &str,
    path: &str,
    assertion: &str,
    body: Option<&Value>,
) -> Result<Value, ServiceError> {
    let method = if body.is_some() { "POST" } else { "GET" };
    request(tool_base, method, path, assertion, body)
}

/// Any method on `{tool_base}{path}` with the bearer, and a JSON body when given.
pub(crate) fn request(
    tool_base: &str,
    method: &str,
    path: &str,
    assertion: &str,
    body: Option<&Value>,
) -> Result<Value, ServiceError> {
    let url = format!("{tool_base}{path}");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build();
    let request = agent
        .request(method, &url)
        .set("Authorization", &format!("Bearer {assertion}"))
        .set("Accept", "application/json");
    let result = match body {
        Some(body) => request
            .set("Content-Type", "application/json")
            .send_string(&body.to_string()),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => {
            return Err(ServiceError::unreachable(format!(
                "could not reach the worker at {url}: {error}"
            )))
        }
    };
    let status = response.status();
    let text = response
        .into_string()
        .map_err(|e| ServiceError::unreachable(format!("reading the answer of {url}: {e}")))?;
    interpret(status, &text)
}
