//! AGS scores (`POST .../scores`) and results (`GET .../results`).

use serde_json::{json, Map, Value};

use super::RESULT_CONTAINER;
use super::{bad_request, find_line_item, is_timestamp, item_url, no_line_item, positive, SCORE};
use crate::http::{param, Reply};
use crate::services::{require_media_type, Call};

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

/// `POST lineitems/{n}/scores`: validates and records the score; `204` as AGS specifies.
pub(crate) fn post_score(call: &Call<'_>, number: &str) -> Reply {
    let url = item_url(&call.issuer(), number);
    if find_line_item(call, number).is_none() {
        return no_line_item(&url);
    }
    post_score_at(call, url)
}

/// Validates the score and records it under `url` (the line item it is for).
pub(crate) fn post_score_at(call: &Call<'_>, url: String) -> Reply {
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
