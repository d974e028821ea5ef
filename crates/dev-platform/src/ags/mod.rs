//! Assignment and Grade Services 2.0: line items, scores and results of context `ctx-1`.

use serde_json::{json, Map, Value};

use crate::http::{media_type, param, Reply};
use crate::services::{paged_reply, paginate, require_media_type, service_error, Call};

mod scores;
mod time;

pub(crate) use scores::{list_results, post_score, post_score_at};
pub(crate) use time::is_timestamp;

pub(crate) const LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub(crate) const LINEITEM_CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
pub(crate) const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
pub(crate) const RESULT_CONTAINER: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

/// Small, so that even the three seeded items span two pages.
const PAGE_SIZE: usize = 2;
/// Query filter parameter and the line item field it matches.
const FILTERS: [(&str, &str); 3] = [
    ("resource_link_id", "resourceLinkId"),
    ("resource_id", "resourceId"),
    ("tag", "tag"),
];

pub(crate) fn item_url(issuer: &str, number: impl std::fmt::Display) -> String {
    format!("{issuer}/lineitems/ctx-1/{number}")
}

fn with_id(mut item: Value, id: &str) -> Value {
    if let Some(members) = item.as_object_mut() {
        members.insert("id".into(), json!(id));
    }
    item
}

/// The line items every platform starts with; the first is the launch's `lineitem`.
pub(crate) fn seed_line_items(issuer: &str) -> Vec<Value> {
    let items = [
        json!({"label": "Week 1: Welcome quiz", "scoreMaximum": 10,
               "resourceLinkId": "rl-1", "resourceId": "quiz-1", "tag": "quiz"}),
        json!({"label": "Essay: The Analytical Engine", "scoreMaximum": 100,
               "resourceId": "essay-1", "tag": "essay"}),
        json!({"label": "Participation", "scoreMaximum": 5, "tag": "participation"}),
    ];
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| with_id(item, &item_url(issuer, index + 1)))
        .collect()
}

pub(crate) fn bad_request(description: &str) -> Reply {
    service_error(400, "invalid_request", description)
}

pub(crate) fn no_line_item(url: &str) -> Reply {
    service_error(404, "not_found", &format!("no line item {url}"))
}

/// `GET lineitems`: filtered, then paged.
pub(crate) fn list_line_items(call: &Call<'_>) -> Reply {
    let items = call
        .state
        .advantage
        .with(call.platform, |ledger| ledger.line_items.clone());
    let matching: Vec<Value> = items
        .into_iter()
        .filter(|item| matches_filters(item, &call.req.query))
        .collect();
    match paginate(call, &matching, PAGE_SIZE) {
        Ok(page) => paged_reply(LINEITEM_CONTAINER, &json!(page.items), page.next),
        Err(reply) => reply,
    }
}

fn matches_filters(item: &Value, query: &[(String, String)]) -> bool {
    FILTERS
        .iter()
        .all(|(name, field)| param(query, name).is_none_or(|wanted| item[field] == wanted))
}

/// `POST lineitems`: validates and stores a new line item, answered with its `id`.
pub(crate) fn create_line_item(call: &Call<'_>) -> Reply {
    if let Err(reply) = require_media_type(call.req, LINEITEM) {
        return reply;
    }
    let item = match parse_line_item(&call.req.body) {
        Ok(item) => item,
        Err(reason) => return bad_request(&reason),
    };
    let created = call.state.advantage.with(call.platform, |ledger| {
        let id = item_url(&ledger.issuer, ledger.next_line_item);
        ledger.next_line_item += 1;
        let item = with_id(item, &id);
        ledger.line_items.push(item.clone());
        item
    });
    let location = created["id"].as_str().unwrap_or_default().to_string();
    Reply::typed(201, LINEITEM, created.to_string()).with_header("Location", &location)
}

fn parse_line_item(body: &str) -> Result<Value, String> {
    let item: Value = serde_json::from_str(body).map_err(|e| format!("body: not JSON: {e}"))?;
    let members = item.as_object().ok_or("body: not a JSON object")?;
    members
        .get("label")
        .and_then(Value::as_str)
        .filter(|label| !label.trim().is_empty())
        .ok_or("label: required, a non-empty string")?;
    positive(members, "scoreMaximum").ok_or("scoreMaximum: required, a number > 0")?;
    for name in ["resourceLinkId", "resourceId", "tag"] {
        if members.get(name).is_some_and(|value| !value.is_string()) {
            return Err(format!("{name}: must be a string"));
        }
    }
    for name in ["startDateTime", "endDateTime"] {
        optional_timestamp(members, name)?;
    }
    Ok(item)
}

pub(crate) fn positive(members: &Map<String, Value>, name: &str) -> Option<f64> {
    members
        .get(name)
        .and_then(Value::as_f64)
        .filter(|number| *number > 0.0)
}

fn optional_timestamp(members: &Map<String, Value>, name: &str) -> Result<(), String> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(text)) if is_timestamp(text) => Ok(()),
        Some(_) => Err(format!("{name}: must be an ISO 8601 date-time with offset")),
    }
}

pub(crate) fn find_line_item(call: &Call<'_>, number: &str) -> Option<Value> {
    let url = item_url(&call.issuer(), number);
    call.state.advantage.with(call.platform, |ledger| {
        ledger
            .line_items
            .iter()
            .find(|item| item["id"] == url)
            .cloned()
    })
}

/// `GET lineitems/{n}`: one line item, for a client that accepts its media type.
pub(crate) fn get_line_item(call: &Call<'_>, number: &str) -> Reply {
    if let Err(reply) = require_accept(call, LINEITEM) {
        return reply;
    }
    match find_line_item(call, number) {
        Some(item) => Reply::typed(200, LINEITEM, item.to_string()),
        None => no_line_item(&item_url(&call.issuer(), number)),
    }
}

/// `406` unless `Accept` lists `expected` (AGS names the media type of each answer).
fn require_accept(call: &Call<'_>, expected: &str) -> Result<(), Reply> {
    let accept = call.req.header("accept").unwrap_or_default();
    if accept.split(',').any(|offer| media_type(offer) == expected) {
        return Ok(());
    }
    Err(service_error(
        406,
        "not_acceptable",
        &format!("Accept must list {expected}, got {accept:?}"),
    ))
}

/// `PUT lineitems/{n}`: the body replaces the line item, which keeps its `id`.
pub(crate) fn put_line_item(call: &Call<'_>, number: &str) -> Reply {
    let url = item_url(&call.issuer(), number);
    if let Err(reply) = require_media_type(call.req, LINEITEM) {
        return reply;
    }
    let item = match parse_line_item(&call.req.body) {
        Ok(item) => item,
        Err(reason) => return bad_request(&reason),
    };
    if item.get("id").is_some_and(|id| *id != url) {
        return bad_request(&format!("id: must be this line item's URL {url}"));
    }
    let item = with_id(item, &url);
    let replaced = call.state.advantage.with(call.platform, |ledger| {
        let slot = ledger.line_items.iter_mut().find(|it| it["id"] == url)?;
        *slot = item.clone();
        Some(item)
    });
    match replaced {
        Some(item) => Reply::typed(200, LINEITEM, item.to_string()),
        None => no_line_item(&url),
    }
}

/// `DELETE lineitems/{n}`: removes the line item (its scores stay in the ledger).
pub(crate) fn delete_line_item(call: &Call<'_>, number: &str) -> Reply {
    let url = item_url(&call.issuer(), number);
    let removed = call.state.advantage.with(call.platform, |ledger| {
        let before = ledger.line_items.len();
        ledger.line_items.retain(|item| item["id"] != url);
        ledger.line_items.len() < before
    });
    if removed {
        Reply::no_content()
    } else {
        no_line_item(&url)
    }
}
