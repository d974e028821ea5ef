//! The LTI Advantage service routes (AGS line items, scores, results; NRPS memberships):
//! bearer token checks, dispatch, paging and error answers common to all of them.

use std::time::SystemTime;

use serde_json::{json, Value};

use crate::claims::{
    SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_MEMBERSHIP, SCOPE_RESULT_READONLY, SCOPE_SCORE,
};
use crate::http::{encode_query, Incoming, Reply};
use crate::platform::State;
use crate::registry::Kind;
use crate::{ags, canvas, nrps, skillstown};

/// The only context the mock has (as in the launch claims).
const CONTEXT: &str = "ctx-1";

/// One service operation, from method and path (below the issuer).
enum Route<'a> {
    ListLineItems,
    CreateLineItem,
    GetLineItem(&'a str),
    PutLineItem(&'a str),
    DeleteLineItem(&'a str),
    PostScore(&'a str),
    /// SkillsTown: a score POSTed to its line item URL, `courses/{course}/scores`.
    PostProgress(&'a str),
    ListResults(&'a str),
    Members,
}

impl<'a> Route<'a> {
    fn parse(kind: Kind, method: &str, rest: &[&'a str]) -> Option<Route<'a>> {
        let route = match (method, rest) {
            ("GET", ["lineitems", CONTEXT]) => Route::ListLineItems,
            ("POST", ["lineitems", CONTEXT]) => Route::CreateLineItem,
            ("GET", ["lineitems", CONTEXT, item]) => Route::GetLineItem(item),
            ("PUT", ["lineitems", CONTEXT, item]) => Route::PutLineItem(item),
            ("DELETE", ["lineitems", CONTEXT, item]) => Route::DeleteLineItem(item),
            ("POST", ["courses", course, "scores"]) if kind == Kind::SkillsTown => {
                Route::PostProgress(course)
            }
            ("POST", ["lineitems", CONTEXT, item, "scores"]) => Route::PostScore(item),
            ("GET", ["lineitems", CONTEXT, item, "results"]) => Route::ListResults(item),
            ("GET", ["memberships", CONTEXT]) => Route::Members,
            _ => return None,
        };
        Some(route)
    }

    /// Any one of these scopes allows the operation.
    fn scopes(&self) -> &'static [&'static str] {
        match self {
            Route::ListLineItems | Route::GetLineItem(_) => {
                &[SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY]
            }
            Route::CreateLineItem | Route::PutLineItem(_) | Route::DeleteLineItem(_) => {
                &[SCOPE_LINEITEM]
            }
            Route::PostScore(_) | Route::PostProgress(_) => &[SCOPE_SCORE],
            Route::ListResults(_) => &[SCOPE_RESULT_READONLY],
            Route::Members => &[SCOPE_MEMBERSHIP],
        }
    }
}

pub(crate) fn handle(state: &State, req: &Incoming, platform: &str, rest: &[&str]) -> Reply {
    state.advantage.log_service_request(platform, req);
    let kind = state.kind(platform);
    if let Err(reply) = canvas::require_user_agent(kind, req) {
        return reply;
    }
    let Some(route) = Route::parse(kind, &req.method, rest) else {
        return service_error(404, "not_found", "no such service endpoint");
    };
    if let Err(reply) = authorize(state, platform, req, route.scopes()) {
        return reply;
    }
    let call = Call {
        state,
        platform,
        req,
    };
    match route {
        Route::ListLineItems => ags::list_line_items(&call),
        Route::CreateLineItem => ags::create_line_item(&call),
        Route::GetLineItem(item) => ags::get_line_item(&call, item),
        Route::PutLineItem(item) => ags::put_line_item(&call, item),
        Route::DeleteLineItem(item) => ags::delete_line_item(&call, item),
        Route::PostScore(item) => ags::post_score(&call, item),
        Route::PostProgress(course) => skillstown::post_progress(&call, course),
        Route::ListResults(item) => ags::list_results(&call, item),
        Route::Members => nrps::memberships(&call),
    }
}

/// An authorized service request.
pub(crate) struct Call<'a> {
    pub state: &'a State,
    pub platform: &'a str,
    pub req: &'a Incoming,
}

impl Call<'_> {
    pub fn issuer(&self) -> String {
        self.state.issuer(self.platform)
    }
}

/// Why a bearer is refused.
enum Denial {
    /// `401`: unknown or expired token.
    Invalid(&'static str),
    /// `403`: a live token without the scope; holds the token's client_id.
    Scope(String),
}

/// RFC 6750: the bearer must be a live token of this platform holding one of `scopes`.
fn authorize(state: &State, platform: &str, req: &Incoming, scopes: &[&str]) -> Result<(), Reply> {
    let token = bearer(req).ok_or_else(|| invalid_token("no Bearer access token"))?;
    let now = SystemTime::now();
    let verdict = state.advantage.with(platform, |ledger| {
        let grant = ledger
            .grants
            .get(token)
            .ok_or(Denial::Invalid("unknown access token"))?;
        if grant.expires_at <= now {
            return Err(Denial::Invalid("access token expired"));
        }
        if grant.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
            Ok(())
        } else {
            Err(Denial::Scope(grant.client_id.clone()))
        }
    });
    verdict.map_err(|denial| match denial {
        Denial::Invalid(reason) => invalid_token(reason),
        Denial::Scope(client_id) => insufficient_scope(&client_id, scopes),
    })
}

fn bearer(req: &Incoming) -> Option<&str> {
    let value = req.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn invalid_token(reason: &str) -> Reply {
    service_error(401, "invalid_token", reason).with_header(
        "WWW-Authenticate",
        &format!("Bearer error=\"invalid_token\", error_description=\"{reason}\""),
    )
}

fn insufficient_scope(client_id: &str, scopes: &[&str]) -> Reply {
    let needed = scopes.join(" ");
    let reason = format!("the token of {client_id} lacks scope {needed}");
    service_error(403, "insufficient_scope", &reason).with_header(
        "WWW-Authenticate",
        &format!("Bearer error=\"insufficient_scope\", scope=\"{needed}\""),
    )
}

/// A JSON error body: `{"error", "error_description"}`, as for OAuth errors.
pub(crate) fn service_error(status: u16, code: &str, description: &str) -> Reply {
    let body = json!({"error": code, "error_description": description});
    Reply::typed(status, "application/json", body.to_string())
}

/// `415` unless the request body has the media type the operation requires.
pub(crate) fn require_media_type(req: &Incoming, expected: &str) -> Result<(), Reply> {
    match req.media_type() {
        Some(found) if found == expected => Ok(()),
        found => Err(service_error(
            415,
            "unsupported_media_type",
            &format!(
                "Content-Type must be {expected}, got {}",
                found.as_deref().unwrap_or("none")
            ),
        )),
    }
}

/// One page of a paged container answer.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    /// `Link` header value when more items remain.
    pub next: Option<String>,
}

/// Page `?page=N` (1-based) of `items`; the next-page URL keeps the other query parameters.
pub(crate) fn paginate<T: Clone>(
    call: &Call<'_>,
    items: &[T],
    size: usize,
) -> Result<Page<T>, Reply> {
    let number = page_number(call.req)?;
    let start = (number - 1).saturating_mul(size);
    let page: Vec<T> = items.iter().skip(start).take(size).cloned().collect();
    let more = start.saturating_add(size) < items.len();
    let next = more.then(|| next_link(call, number + 1));
    Ok(Page { items: page, next })
}

fn page_number(req: &Incoming) -> Result<usize, Reply> {
    match crate::http::param(&req.query, "page") {
        None => Ok(1),
        Some(text) => {
            text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                service_error(400, "invalid_request", "page: must be a number from 1")
            })
        }
    }
}

fn next_link(call: &Call<'_>, number: usize) -> String {
    let mut query: Vec<(&str, String)> = call
        .req
        .query
        .iter()
        .filter(|(name, _)| name != "page")
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    query.push(("page", number.to_string()));
    let url = format!(
        "{}{}?{}",
        call.state.base_url,
        call.req.path,
        encode_query(&query)
    );
    format!("<{url}>; rel=\"next\"")
}

/// A container answer with its media type, and `Link` when another page follows.
pub(crate) fn paged_reply(media_type: &str, body: &Value, next: Option<String>) -> Reply {
    let reply = Reply::typed(200, media_type, body.to_string());
    match next {
        Some(link) => reply.with_header("Link", &link),
        None => reply,
    }
}
