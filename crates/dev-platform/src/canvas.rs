//! The Canvas profile's API gate: Canvas refuses API requests that carry no
//! `User-Agent` (and the Workers runtime adds none by itself), so the worker must name
//! itself on every token and service request.

use serde_json::json;

use crate::http::{Incoming, Reply};
use crate::registry::Kind;

/// `Err(403)` with a Canvas-style body when a Canvas API request has no `User-Agent`.
pub(crate) fn require_user_agent(kind: Kind, req: &Incoming) -> Result<(), Reply> {
    let named = req
        .header("user-agent")
        .is_some_and(|agent| !agent.trim().is_empty());
    if kind != Kind::Canvas || named {
        return Ok(());
    }
    let body = json!({
        "errors": [{"message": "A User-Agent header is required for API requests"}],
        "status": "forbidden",
    });
    Err(Reply::typed(
        403,
        "application/json; charset=utf-8",
        body.to_string(),
    ))
}
