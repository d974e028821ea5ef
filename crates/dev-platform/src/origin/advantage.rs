//! The LTI Advantage part of the demo origin, as pure functions: the demo content
//! catalog, the payloads sent to the worker's `/lti/services/...` routes, and the HTML
//! around them. Every input is either the verified assertion's claims, form fields
//! (only ever used as choices among fixed options or as a score and comment), or the
//! worker's JSON answer.

use serde_json::{json, Value};

use crate::http::{escape, param};

use super::client::ServiceError;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
pub(crate) const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
pub(crate) const NRPS_CLAIM: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
pub(crate) const DEEP_LINKING: &str = "LtiDeepLinkingRequest";
pub(crate) const RESOURCE_LINK: &str = "LtiResourceLinkRequest";

/// Where the demo's forms post (paths on the worker, passed through to this origin).
pub(crate) const DEEP_LINK_PATH: &str = "/demo/deep-link";
pub(crate) const GRADE_PATH: &str = "/demo/grade";
pub(crate) const ROSTER_PATH: &str = "/demo/roster";
/// The roles the roster can be filtered by (NRPS short names).
pub(crate) const ROSTER_ROLES: [&str; 2] = ["Learner", "Instructor"];

/// The most a demo grade can be, and the `scoreMaximum` sent with it.
pub(crate) const SCORE_MAXIMUM: f64 = 10.0;
/// Longest comment passed on (the platform would take more; a demo needs no more).
const MAX_COMMENT_CHARS: usize = 1000;

/// One entry of the demo content picker.
pub(crate) struct DemoItem {
    /// The checkbox value; the only thing the browser sends back.
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

/// What the content picker offers, in display order.
pub(crate) const CATALOG: [DemoItem; 3] = [
    DemoItem {
        id: "chapter-1",
        title: "Chapter 1: Getting started",
        description: "An LTI resource link with a gradebook column (line item, out of 10).",
    },
    DemoItem {
        id: "chapter-2",
        title: "Chapter 2: Going further",
        description: "An LTI resource link without a grade.",
    },
    DemoItem {
        id: "lti-spec",
        title: "LTI 1.3 core specification",
        description: "A plain link to an external page (1EdTech), opened in a new window.",
    },
];

/// The Deep Linking 2.0 content item of a catalog entry; `tool_base` is the worker.
pub(crate) fn content_item(id: &str, tool_base: &str) -> Option<Value> {
    let item = match id {
        "chapter-1" => json!({
            "type": "ltiResourceLink",
            "title": "Chapter 1: Getting started",
            "text": "Reading and a short quiz.",
            "url": format!("{tool_base}/course/chapter-1"),
            "lineItem": {
                "scoreMaximum": SCORE_MAXIMUM,
                "label": "Chapter 1 quiz",
                "resourceId": "chapter-1",
            },
            "custom": {"chapter": "1"},
        }),
        "chapter-2" => json!({
            "type": "ltiResourceLink",
            "title": "Chapter 2: Going further",
            "url": format!("{tool_base}/course/chapter-2"),
            "custom": {"chapter": "2"},
        }),
        "lti-spec" => json!({
            "type": "link",
            "title": "LTI 1.3 core specification",
            "url": "https://www.imsglobal.org/spec/lti/v1p3/",
            "window": {"targetName": "_blank"},
        }),
        _ => return None,
    };
    Some(item)
}

/// The content items ticked in the picker form (fields `item`), in catalog order,
/// each once. An unknown `item` is an error, never passed on.
pub(crate) fn chosen_items(
    form: &[(String, String)],
    tool_base: &str,
) -> Result<Vec<Value>, String> {
    let ticked: Vec<&str> = form
        .iter()
        .filter(|(name, _)| name == "item")
        .map(|(_, value)| value.as_str())
        .collect();
    if let Some(unknown) = ticked
        .iter()
        .find(|id| !CATALOG.iter().any(|item| item.id == **id))
    {
        return Err(format!("item: unknown content item {unknown:?}"));
    }
    Ok(CATALOG
        .iter()
        .filter(|item| ticked.contains(&item.id))
        .filter_map(|item| content_item(item.id, tool_base))
        .collect())
}

/// The body of `POST /lti/services/deep-linking`.
pub(crate) fn deep_linking_payload(items: Vec<Value>) -> Value {
    let msg = match items.len() {
        0 => "Nothing was added from the lti-edge demo.".to_string(),
        1 => "Added 1 item from the lti-edge demo.".to_string(),
        n => format!("Added {n} items from the lti-edge demo."),
    };
    json!({"content_items": items, "msg": msg})
}

/// The body of `POST /lti/services/scores` from the grade form (`score`, `comment`).
pub(crate) fn score_payload(form: &[(String, String)]) -> Result<Value, String> {
    let text = param(form, "score").map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err("score: required".into());
    }
    let score: f64 = text
        .parse()
        .map_err(|_| format!("score: {text:?} is not a number"))?;
    if !score.is_finite() || !(0.0..=SCORE_MAXIMUM).contains(&score) {
        return Err(format!("score: must be between 0 and {SCORE_MAXIMUM}"));
    }
    let mut payload = json!({
        "scoreGiven": score,
        "scoreMaximum": SCORE_MAXIMUM,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    });
    let comment = param(form, "comment").map(str::trim).unwrap_or_default();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!("comment: at most {MAX_COMMENT_CHARS} characters"));
    }
    if !comment.is_empty() {
        payload["comment"] = json!(comment);
    }
    Ok(payload)
}

pub(crate) fn message_type(lti: &Value) -> Option<&str> {
    lti[format!("{LTI}message_type")].as_str()
}

/// The "LTI Advantage" part of the launch page, chosen from the verified claims only.
pub(crate) fn advantage_section(lti: &Value) -> String {
    match message_type(lti) {
        Some(DEEP_LINKING) => picker_html(),
        Some(RESOURCE_LINK) => resource_link_section(lti),
        _ => String::new(),
    }
}

/// The content picker of a deep linking launch.
pub(crate) fn picker_html() -> String {
    let rows: String = CATALOG
        .iter()
        .enumerate()
        .map(|(index, item)| {
            format!(
                "<p><label><input type=\"checkbox\" name=\"item\" value=\"{id}\"{checked}> \
                 <strong>{title}</strong></label><br><span class=\"muted\">{description}</span></p>\n",
                id = escape(item.id),
                checked = if index == 0 { " checked" } else { "" },
                title = escape(item.title),
                description = escape(item.description),
            )
        })
        .collect();
    format!(
        "<h2>Content picker (deep linking)</h2>\n\
         <p>The platform asked for content. Choose what to add; the worker signs the \
         deep linking response and the browser takes it back to the platform.</p>\n\
         <form method=\"post\" action=\"{DEEP_LINK_PATH}\">\n{rows}\
         <button type=\"submit\">Add to course</button>\n</form>"
    )
}

fn resource_link_section(lti: &Value) -> String {
    let mut out = String::new();
    let ags = &lti[AGS_CLAIM];
    if ags.is_object() {
        let scoped = ags["scope"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|s| s == SCOPE_SCORE));
        let note = if scoped {
            String::new()
        } else {
            "<p class=\"muted\">This launch's AGS claim does not grant the score scope; \
             the worker will refuse the grade.</p>\n"
                .to_string()
        };
        out.push_str(&format!(
            "<h2>Post a grade (AGS)</h2>\n{note}{}",
            grade_form("", "")
        ));
    }
    if ags["lineitems"].is_string() {
        out.push_str(&format!(
            "<h2>Line items (AGS)</h2>\n<p><a class=\"button alt\" href=\"{}\">\
             Line items</a> (edit, delete)</p>\n",
            super::line_items::LINE_ITEMS_PATH
        ));
    }
    if lti[NRPS_CLAIM].is_object() {
        let filters: String = ROSTER_ROLES
            .iter()
            .map(|role| {
                format!(" <a class=\"button alt\" href=\"{ROSTER_PATH}?role={role}\">{role}s</a>")
            })
            .collect();
        out.push_str(&format!(
            "<h2>Class roster (NRPS)</h2>\n<p><a class=\"button alt\" href=\"{ROSTER_PATH}\">\
             Class roster</a>{filters}</p>\n"
        ));
    }
    out
}

/// The roster's `role` filter: absent, or one of `ROSTER_ROLES` (never passed on blindly).
pub(crate) fn roster_role(query: &[(String, String)]) -> Result<Option<&'static str>, String> {
    match param(query, "role") {
        None | Some("") => Ok(None),
        Some(role) => ROSTER_ROLES
            .iter()
            .find(|known| **known == role)
            .map(|known| Some(*known))
            .ok_or_else(|| format!("role: one of {}", ROSTER_ROLES.join(", "))),
    }
}

/// The grade form, pre-filled (after a rejected input) with what was typed.
pub(crate) fn grade_form(score: &str, comment: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{GRADE_PATH}\">\n\
         <p><label>Score (0–{max}) <input type=\"number\" name=\"score\" min=\"0\" max=\"{max}\" \
         step=\"any\" required value=\"{score}\"></label></p>\n\
         <p><label>Comment <input type=\"text\" name=\"comment\" size=\"40\" \
         maxlength=\"{MAX_COMMENT_CHARS}\" value=\"{comment}\"></label></p>\n\
         <button type=\"submit\">Post grade</button>\n</form>\n",
        max = SCORE_MAXIMUM,
        score = escape(score),
        comment = escape(comment),
    )
}

/// The worker's answer to a score: `{lineitem, score}`.
pub(crate) fn grade_result_html(answer: &Value) -> String {
    let score = &answer["score"];
    let given = match (score["scoreGiven"].as_f64(), score["scoreMaximum"].as_f64()) {
        (Some(given), Some(maximum)) => format!("{given} / {maximum}"),
        _ => "(no score)".into(),
    };
    let facts = [
        ("Score", given),
        ("User", text(&score["userId"])),
        ("Comment", text(&score["comment"])),
        ("Line item", text(&answer["lineitem"])),
        ("Timestamp", text(&score["timestamp"])),
    ];
    format!(
        "<p class=\"ok\"><strong>Grade posted to the platform.</strong></p>\n{}\n\
         <h2>The worker's answer</h2>\n<pre>{}</pre>",
        table(&facts),
        pretty(answer)
    )
}

/// The worker's answer to the members call: `{"members": [...]}`.
pub(crate) fn roster_html(answer: &Value) -> String {
    let members = answer["members"].as_array().map_or(&[][..], Vec::as_slice);
    let rows: String = members
        .iter()
        .map(|member| {
            let roles: Vec<String> = member["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(short_role)
                .collect();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&member_name(member)),
                escape(&roles.join(", ")),
                escape(&text(&member["user_id"]))
            )
        })
        .collect();
    format!(
        "<p class=\"ok\"><strong>{} members</strong>, every page fetched by the worker.</p>\n\
         <table><tr><th>Name</th><th>Roles</th><th>User id</th></tr>\n{rows}</table>",
        members.len()
    )
}

fn member_name(member: &Value) -> String {
    if let Some(name) = member["name"].as_str() {
        return name.to_string();
    }
    let parts: Vec<&str> = ["given_name", "family_name"]
        .iter()
        .filter_map(|field| member[*field].as_str())
        .collect();
    if parts.is_empty() {
        "(no name)".into()
    } else {
        parts.join(" ")
    }
}

/// `…/membership#Instructor` → `Instructor`, `…/membership/Instructor#TeachingAssistant`
/// → `Instructor#TeachingAssistant`; anything else as it is.
pub(crate) fn short_role(role: &str) -> String {
    const VOCAB: &str = "http://purl.imsglobal.org/vocab/lis/v2/";
    let Some(rest) = role.strip_prefix(VOCAB) else {
        return role.to_string();
    };
    rest.strip_prefix("membership#")
        .or_else(|| rest.strip_prefix("membership/"))
        .unwrap_or(rest)
        .to_string()
}

/// A failed service call, readably: the worker's `{error, message}` when it sent one.
pub(crate) fn service_error_html(what: &str, error: &ServiceError) -> String {
    let mut out = format!(
        "<p class=\"err\"><strong>{} failed</strong></p>\n",
        escape(what)
    );
    let mut facts = Vec::new();
    if let Some(status) = error.status {
        facts.push(("Status", status.to_string()));
    }
    if let Some(code) = &error.code {
        facts.push(("Error", code.clone()));
    }
    facts.push(("Message", error.message.clone()));
    out.push_str(&table(&facts));
    if let Some(raw) = &error.raw {
        out.push_str(&format!(
            "\n<details><summary>The worker's answer</summary><pre>{}</pre></details>",
            escape(raw)
        ));
    }
    out
}

/// A rejected form field (never sent to the worker).
pub(crate) fn input_error_html(reason: &str) -> String {
    format!(
        "<p class=\"err\"><strong>Not sent:</strong> {}</p>\n",
        escape(reason)
    )
}

fn table(facts: &[(&str, String)]) -> String {
    let rows: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v)))
        .collect();
    format!("<table>{rows}</table>")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("(none)").to_string()
}

pub(crate) fn pretty(value: &Value) -> String {
    escape(&serde_json::to_string_pretty(value).unwrap_or_default())
}
