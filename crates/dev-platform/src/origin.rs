//! A demo origin app: shows what lti-edge forwards, and verifies the assertion the way a
//! real origin would (against the worker's published JWKS).

use std::io;
use std::sync::Arc;

use serde_json::Value;

use crate::claims::now;
use crate::http::{escape, page, Incoming, Reply, Serving};
use crate::keys::verify_rs256;
use crate::tool_keys::fetch_jwks;

const ASSERTION_HEADER: &str = "Lti-Jwt-Assertion";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

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
    let report = match req.header(ASSERTION_HEADER) {
        None => "<p class=\"muted\">No assertion: this request did not come through an LTI \
                 launch session.</p>"
            .to_string(),
        Some(token) => match verify(tool_base, token) {
            Ok((header, claims)) => verified(&header, &claims),
            Err(reason) => format!(
                "<p class=\"err\"><strong>Assertion NOT verified:</strong> {}</p>",
                escape(&reason)
            ),
        },
    };
    let body = format!(
        "<h1>Demo origin</h1>\n<p><code>{} {}</code></p>\n{report}\n\
         <p><a href=\"{}\">Reload (the session sends a fresh assertion)</a></p>",
        escape(&req.method),
        escape(&req.url),
        escape(&req.url)
    );
    Reply::html(200, page("Demo origin", &body))
}

/// Signature against the worker's JWKS (by kid), then expiry.
fn verify(tool_base: &str, token: &str) -> Result<(Value, Value), String> {
    let jwks = fetch_jwks(tool_base)?;
    let (header, claims) = verify_rs256(token, &jwks)?;
    match claims["exp"].as_u64() {
        Some(exp) if exp + 30 >= now() => Ok((header, claims)),
        Some(_) => Err("assertion expired".into()),
        None => Err("assertion has no numeric exp".into()),
    }
}

fn verified(header: &Value, claims: &Value) -> String {
    let lti = &claims["lti"];
    let roles: Vec<&str> = lti[format!("{LTI}roles")]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let facts = [
        ("User", text(&lti["name"])),
        ("Context", text(&lti[format!("{LTI}context")]["title"])),
        ("Roles", roles.join(", ")),
        ("Message type", text(&lti[format!("{LTI}message_type")])),
    ];
    let rows: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{}</td></tr>\n", escape(v)))
        .collect();
    format!(
        "<p class=\"ok\"><strong>Verified by lti-edge</strong></p>\n<table>{rows}</table>\n\
         <h2>Header</h2>\n<pre>{}</pre>\n<h2>Claims</h2>\n<pre>{}</pre>",
        pretty(header),
        pretty(claims)
    )
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("(none)").to_string()
}

fn pretty(value: &Value) -> String {
    escape(&serde_json::to_string_pretty(value).unwrap_or_default())
}
