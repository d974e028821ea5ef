//! A demo origin app: shows what lti-edge forwards (the assertion's normalized view
//! first, the raw header and claims below), and verifies the assertion the way a real
//! origin would (against the worker's published JWKS).
//!
//! It also shows LTI Advantage through the worker's service routes, server to server
//! with the assertion of the current request as the bearer: a content picker for deep
//! linking launches (`POST /demo/deep-link`), and for resource link launches a grade
//! form (`POST /demo/grade`), the class roster (`GET /demo/roster[?role=Learner]`) and
//! the line items with edit and delete forms (`/demo/lineitems`). The browser reaches
//! these paths through the worker, which adds a fresh assertion each time.

use std::io;
use std::sync::Arc;

use serde_json::{Map, Value};
use url::{Position, Url};

use crate::claims::now;
use crate::http::{escape, page, param, Incoming, Reply, Serving};
use crate::keys::verify_rs256_or_es256;
use crate::tool_keys::fetch_jwks;

mod advantage;
mod client;
mod line_items;
mod session;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_line_items;

use advantage::{
    advantage_section, chosen_items, deep_linking_payload, grade_form, grade_result_html,
    input_error_html, message_type, pretty, roster_html, roster_role, score_payload,
    service_error_html, DEEP_LINKING, DEEP_LINK_PATH, GRADE_PATH, ROSTER_PATH,
};
use client::ServiceError;
use line_items::{DELETE_PATH, EDIT_PATH, LINE_ITEMS_PATH};

const ASSERTION_HEADER: &str = "Lti-Jwt-Assertion";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const SCORES_SERVICE: &str = "/lti/services/scores";
const MEMBERS_SERVICE: &str = "/lti/services/members";
const DEEP_LINKING_SERVICE: &str = "/lti/services/deep-linking";

/// A running demo origin on 127.0.0.1; stops on `stop()` or drop.
pub struct DemoOrigin {
    serving: Serving,
}

impl DemoOrigin {
    /// Starts the origin (`port` 0 = any free port); `tool_base` is the worker's base URL.
    pub fn start(port: u16, tool_base: &str) -> io::Result<DemoOrigin> {
        let tool_base = tool_base.trim_end_matches('/').to_string();
        let serving = Serving::bind(port)?;
        serving.run(Arc::new(move |req| handle(&tool_base, req)));
        Ok(DemoOrigin { serving })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.serving.port())
    }

    pub fn stop(&self) {
        self.serving.stop();
    }
}

fn handle(tool_base: &str, req: &Incoming) -> Reply {
    let demo = req.path.starts_with("/demo/");
    let Some(token) = req.header(ASSERTION_HEADER) else {
        let report = "<p class=\"muted\">No assertion: this request did not come through an LTI \
                      launch session.</p>";
        return respond(req, if demo { 401 } else { 200 }, report, None);
    };
    let (header, claims) = match verify(tool_base, token) {
        Ok(verified) => verified,
        Err(reason) => {
            let report = format!(
                "<p class=\"err\"><strong>Assertion NOT verified:</strong> {}</p>",
                escape(&reason)
            );
            return respond(req, if demo { 403 } else { 200 }, &report, None);
        }
    };
    let lti = &claims["lti"];
    let mut reply = if (req.method.as_str(), req.path.as_str()) == ("POST", DEEP_LINK_PATH) {
        deep_link(tool_base, token, lti, req)
    } else {
        match service_page(tool_base, token, req) {
            Some((status, report)) => respond(req, status, &report, Some(launch_path(lti))),
            None => respond(req, 200, &verified(&header, &claims), None),
        }
    };
    // No cookie session in this browser: keep the session on every link instead.
    if let Some(session) = claims["session_token"].as_str() {
        reply.body = session::carry_session(&reply.body, session);
    }
    reply
}

/// The demo pages that call the worker's services: `(status, report)`, or `None` for
/// any other request (the launch page itself).
fn service_page(tool_base: &str, token: &str, req: &Incoming) -> Option<(u16, String)> {
    let page = match (req.method.as_str(), req.path.as_str()) {
        ("POST", GRADE_PATH) => grade(tool_base, token, req),
        ("GET", ROSTER_PATH) => roster(tool_base, token, &req.query),
        ("GET", LINE_ITEMS_PATH) => line_items::list(tool_base, token),
        ("POST", EDIT_PATH) => line_items::edit(tool_base, token, &req.form()),
        ("POST", DELETE_PATH) => line_items::delete(tool_base, token, &req.form()),
        _ => return None,
    };
    Some(page)
}

/// A page of the demo origin around `report` (already HTML). `back`: a link to the
/// launch page; without it, a link that reloads this page.
fn respond(req: &Incoming, status: u16, report: &str, back: Option<String>) -> Reply {
    let link = match back {
        Some(path) => format!("<a href=\"{}\">Back to the launch page</a>", escape(&path)),
        None => format!(
            "<a href=\"{}\">Reload (the session sends a fresh assertion)</a>",
            escape(&req.url)
        ),
    };
    let body = format!(
        "<h1>Demo origin</h1>\n<p><code>{} {}</code></p>\n{report}\n<p>{link}</p>",
        escape(&req.method),
        escape(&req.url),
    );
    Reply::html(status, page("Demo origin", &body))
}

/// The path and query of the launch's `target_link_uri` (a page on the worker).
fn launch_path(lti: &Value) -> String {
    lti[format!("{LTI}target_link_uri")]
        .as_str()
        .and_then(|uri| Url::parse(uri).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .map_or_else(
            || "/".to_string(),
            |url| url[Position::BeforePath..Position::AfterQuery].to_string(),
        )
}

/// The content picker's "Add to course": the worker signs the deep linking response;
/// its self-submitting form goes to the browser as is.
fn deep_link(tool_base: &str, token: &str, lti: &Value, req: &Incoming) -> Reply {
    let back = Some(launch_path(lti));
    if message_type(lti) != Some(DEEP_LINKING) {
        let report = input_error_html("this session is not a deep linking launch");
        return respond(req, 400, &report, back);
    }
    let items = match chosen_items(&req.form(), tool_base) {
        Ok(items) => items,
        Err(reason) => return respond(req, 400, &input_error_html(&reason), back),
    };
    let payload = deep_linking_payload(items);
    let answer = client::call(tool_base, DEEP_LINKING_SERVICE, token, Some(&payload));
    match answer {
        Ok(answer) => match answer["form"].as_str() {
            Some(form) => Reply::html(200, form.to_string()),
            None => {
                let report = service_error_html(
                    "Deep linking",
                    &ServiceError {
                        status: None,
                        code: None,
                        message: "the worker's answer has no form".into(),
                        raw: Some(answer.to_string()),
                    },
                );
                respond(req, 502, &report, back)
            }
        },
        Err(error) => {
            let report = format!(
                "{}<h2>What was sent</h2>\n<pre>{}</pre>",
                service_error_html("Deep linking", &error),
                pretty(&payload)
            );
            respond(req, error.reply_status(), &report, back)
        }
    }
}

/// "Post a grade": the score for the launch's user on the launch's line item.
fn grade(tool_base: &str, token: &str, req: &Incoming) -> (u16, String) {
    let form = req.form();
    let payload = match score_payload(&form) {
        Ok(payload) => payload,
        Err(reason) => {
            let typed = |name| param(&form, name).unwrap_or_default();
            let report = format!(
                "{}{}",
                input_error_html(&reason),
                grade_form(typed("score"), typed("comment"))
            );
            return (400, report);
        }
    };
    match client::call(tool_base, SCORES_SERVICE, token, Some(&payload)) {
        Ok(answer) => (200, grade_result_html(&answer)),
        Err(error) => (
            error.reply_status(),
            service_error_html("Posting the grade", &error),
        ),
    }
}

/// "Class roster": the context's members, as the worker gathered them; `role` (one
/// of a fixed few) is passed on as the NRPS filter.
fn roster(tool_base: &str, token: &str, query: &[(String, String)]) -> (u16, String) {
    let role = match roster_role(query) {
        Ok(role) => role,
        Err(reason) => return (400, input_error_html(&reason)),
    };
    let (path, heading) = match role {
        Some(role) => (
            format!("{MEMBERS_SERVICE}?role={role}"),
            format!("Class roster: {role}s"),
        ),
        None => (MEMBERS_SERVICE.to_string(), "Class roster".to_string()),
    };
    match client::call(tool_base, &path, token, None) {
        Ok(answer) => (200, format!("<h2>{heading}</h2>\n{}", roster_html(&answer))),
        Err(error) => (
            error.reply_status(),
            service_error_html("Fetching the roster", &error),
        ),
    }
}

/// Signature against the worker's JWKS (by kid), then expiry.
fn verify(tool_base: &str, token: &str) -> Result<(Value, Value), String> {
    let jwks = fetch_jwks(tool_base)?;
    let (header, claims) = verify_rs256_or_es256(token, &jwks)?;
    match claims["exp"].as_u64() {
        Some(exp) if exp + 30 >= now() => Ok((header, claims)),
        Some(_) => Err("assertion expired".into()),
        None => Err("assertion has no numeric exp".into()),
    }
}

/// The members of the assertion's normalized view, in the order the page shows them.
const VIEW_MEMBERS: [&str; 8] = [
    "user",
    "context",
    "resource_link",
    "platform",
    "message_type",
    "custom",
    "launch_presentation",
    "services",
];

/// The launch page: the normalized view first (what an origin reads), the raw
/// header and claims below.
fn verified(header: &Value, claims: &Value) -> String {
    let (view, raw): (Map<String, Value>, Map<String, Value>) = claims
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), value.clone()))
        .partition(|(name, _)| VIEW_MEMBERS.contains(&name.as_str()));
    let ordered: Map<String, Value> = VIEW_MEMBERS
        .iter()
        .filter_map(|name| Some((name.to_string(), view.get(*name)?.clone())))
        .collect();
    format!(
        "<p class=\"ok\"><strong>Verified by lti-edge</strong></p>\n{}\n{}\n\
         <h2>Normalized view</h2>\n<pre>{}</pre>\n<h2>Raw claims</h2>\n\
         <h3>Header</h3>\n<pre>{}</pre>\n<h3>Claims</h3>\n<pre>{}</pre>",
        facts_table(claims),
        advantage_section(&claims["lti"]),
        pretty(&Value::Object(ordered)),
        pretty(header),
        pretty(&Value::Object(raw))
    )
}

/// The view's main facts, as a person reads them.
fn facts_table(claims: &Value) -> String {
    let list = |value: &Value| -> String {
        let items = value.as_array().into_iter().flatten();
        items
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let services = claims["services"].as_object().into_iter().flatten();
    let services: Vec<&str> = services
        .filter(|(_, on)| on.as_bool() == Some(true))
        .map(|(name, _)| name.as_str())
        .collect();
    let facts = [
        ("User", text(&claims["user"]["name"])),
        ("Email", text(&claims["user"]["email"])),
        ("Roles", list(&claims["user"]["roles"])),
        ("Context", text(&claims["context"]["title"])),
        ("Resource link", text(&claims["resource_link"]["title"])),
        ("Platform", text(&claims["platform"]["name"])),
        ("Message type", text(&claims["message_type"])),
        ("Services", services.join(", ")),
    ];
    let rows: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{}</td></tr>\n", escape(v)))
        .collect();
    format!("<table>{rows}</table>")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("(none)").to_string()
}
