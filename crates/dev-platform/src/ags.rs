//! Assignment and Grade Services 2.0: line items, scores and results of context `ctx-1`.

use serde_json::{json, Map, Value};

use crate::http::{param, Reply};
use crate::services::{paged_reply, paginate, require_media_type, service_error, Call};

pub(crate) const LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub(crate) const LINEITEM_CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
pub(crate) const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
pub(crate) const RESULT_CONTAINER: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

/// Small, so that even the three seeded items span two pages.
const PAGE_SIZE: usize = 2;
const ACTIVITY_PROGRESS: [&str; 5] = [
    "Initialized",
    "Started",
    "InProgress",
    "Submitted",
    "Completed",
];
const GRADING_PROGRESS: [&str; 5] = [
    "FullyGraded",
    "Pending",
    "PendingManual",
    "Failed",
    "NotReady",
];
/// Query filter parameter and the line item field it matches.
const FILTERS: [(&str, &str); 3] = [
    ("resource_link_id", "resourceLinkId"),
    ("resource_id", "resourceId"),
    ("tag", "tag"),
];

fn item_url(issuer: &str, number: impl std::fmt::Display) -> String {
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

fn bad_request(description: &str) -> Reply {
    service_error(400, "invalid_request", description)
}

fn no_line_item(url: &str) -> Reply {
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

fn positive(members: &Map<String, Value>, name: &str) -> Option<f64> {
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

fn find_line_item(call: &Call<'_>, number: &str) -> Option<Value> {
    let url = item_url(&call.issuer(), number);
    call.state.advantage.with(call.platform, |ledger| {
        ledger
            .line_items
            .iter()
            .find(|item| item["id"] == url)
            .cloned()
    })
}

/// `GET lineitems/{n}`: one line item.
pub(crate) fn get_line_item(call: &Call<'_>, number: &str) -> Reply {
    match find_line_item(call, number) {
        Some(item) => Reply::typed(200, LINEITEM, item.to_string()),
        None => no_line_item(&item_url(&call.issuer(), number)),
    }
}

/// `POST lineitems/{n}/scores`: validates and records the score; `204` as AGS specifies.
pub(crate) fn post_score(call: &Call<'_>, number: &str) -> Reply {
    let url = item_url(&call.issuer(), number);
    if find_line_item(call, number).is_none() {
        return no_line_item(&url);
    }
    if let Err(reply) = require_media_type(call.req, SCORE) {
        return reply;
    }
    let score = match parse_score(&call.req.body) {
        Ok(score) => score,
        Err(reason) => return bad_request(&reason),
    };
    call.state
        .advantage
        .with(call.platform, |ledger| ledger.scores.push((url, score)));
    Reply::no_content()
}

fn parse_score(body: &str) -> Result<Value, String> {
    let score: Value = serde_json::from_str(body).map_err(|e| format!("body: not JSON: {e}"))?;
    let members = score.as_object().ok_or("body: not a JSON object")?;
    let text = |name: &str| members.get(name).and_then(Value::as_str);
    text("userId")
        .filter(|user| !user.is_empty())
        .ok_or("userId: required, a non-empty string")?;
    one_of(
        text("activityProgress"),
        "activityProgress",
        &ACTIVITY_PROGRESS,
    )?;
    one_of(
        text("gradingProgress"),
        "gradingProgress",
        &GRADING_PROGRESS,
    )?;
    text("timestamp")
        .filter(|stamp| is_timestamp(stamp))
        .ok_or("timestamp: required, an ISO 8601 date-time with offset")?;
    check_score_values(members)?;
    Ok(score)
}

fn one_of(value: Option<&str>, name: &str, allowed: &[&str]) -> Result<(), String> {
    match value {
        Some(value) if allowed.contains(&value) => Ok(()),
        _ => Err(format!("{name}: required, one of {}", allowed.join("|"))),
    }
}

fn check_score_values(members: &Map<String, Value>) -> Result<(), String> {
    let present = |name: &str| members.get(name).filter(|value| !value.is_null());
    if present("comment").is_some_and(|comment| !comment.is_string()) {
        return Err("comment: must be a string".into());
    }
    let Some(given) = present("scoreGiven") else {
        return Ok(());
    };
    if given.as_f64().is_none_or(|given| given < 0.0) {
        return Err("scoreGiven: must be a number >= 0".into());
    }
    if positive(members, "scoreMaximum").is_none() {
        return Err("scoreMaximum: required with scoreGiven, a number > 0".into());
    }
    Ok(())
}

/// `GET lineitems/{n}/results`: each user's latest score as a result.
pub(crate) fn list_results(call: &Call<'_>, number: &str) -> Reply {
    let url = item_url(&call.issuer(), number);
    if find_line_item(call, number).is_none() {
        return no_line_item(&url);
    }
    let scores: Vec<Value> = call.state.advantage.with(call.platform, |ledger| {
        let of_item = ledger.scores.iter().filter(|(item, _)| *item == url);
        of_item.map(|(_, score)| score.clone()).collect()
    });
    let wanted = param(&call.req.query, "user_id");
    let results: Vec<Value> = latest_per_user(scores)
        .iter()
        .filter(|score| wanted.is_none_or(|user| score["userId"] == user))
        .map(|score| result(&url, score))
        .collect();
    Reply::typed(200, RESULT_CONTAINER, json!(results).to_string())
}

/// The last score of each user, in order of their first score.
fn latest_per_user(scores: Vec<Value>) -> Vec<Value> {
    let mut latest: Vec<Value> = Vec::new();
    for score in scores {
        match latest
            .iter_mut()
            .find(|seen| seen["userId"] == score["userId"])
        {
            Some(seen) => *seen = score,
            None => latest.push(score),
        }
    }
    latest
}

fn result(line_item: &str, score: &Value) -> Value {
    let user = score["userId"].as_str().unwrap_or_default();
    let mut result = json!({
        "id": format!("{line_item}/results/{user}"),
        "scoreOf": line_item,
        "userId": user,
    });
    let members = result.as_object_mut().expect("result is an object");
    let copies = [
        ("scoreGiven", "resultScore"),
        ("scoreMaximum", "resultMaximum"),
        ("comment", "comment"),
    ];
    for (from, to) in copies {
        if let Some(value) = score.get(from).filter(|value| !value.is_null()) {
            members.insert(to.into(), value.clone());
        }
    }
    result
}

/// RFC 3339 date-time (the profile of ISO 8601 AGS uses), e.g. `2024-05-01T12:30:00.5Z`.
pub(crate) fn is_timestamp(text: &str) -> bool {
    text.split_once(['T', 't'])
        .is_some_and(|(date, time)| is_date(date) && is_time(time))
}

/// `text` split at `separator` into fixed-width decimal fields.
fn fields(text: &str, separator: char, widths: &[usize]) -> Option<Vec<u32>> {
    let parts: Vec<&str> = text.split(separator).collect();
    if parts.len() != widths.len() {
        return None;
    }
    parts
        .iter()
        .zip(widths)
        .map(|(part, width)| {
            let digits = part.len() == *width && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        })
        .collect()
}

fn is_date(text: &str) -> bool {
    matches!(fields(text, '-', &[4, 2, 2]).as_deref(),
        Some([_, month, day]) if (1..=12).contains(month) && (1..=31).contains(day))
}

fn is_time(text: &str) -> bool {
    let (clock, offset) = match text.strip_suffix(['Z', 'z']) {
        Some(clock) => (clock, "00:00"),
        None => match text.rfind(['+', '-']) {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => return false,
        },
    };
    let clock = match clock.split_once('.') {
        Some((clock, fraction))
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            clock
        }
        Some(_) => return false,
        None => clock,
    };
    // Second 60 is a leap second, which RFC 3339 allows.
    let clock_ok = matches!(fields(clock, ':', &[2, 2, 2]).as_deref(),
        Some([hour, minute, second]) if *hour < 24 && *minute < 60 && *second <= 60);
    let offset_ok = matches!(fields(offset, ':', &[2, 2]).as_deref(),
        Some([hour, minute]) if *hour < 24 && *minute < 60);
    clock_ok && offset_ok
}
