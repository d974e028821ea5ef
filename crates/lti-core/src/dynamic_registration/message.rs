//! A platform's error message, read from the common shapes of error bodies
//! so the page can say what went wrong: OAuth 2 (`error`,
//! `error_description`), Canvas (`errors` as a list or by field), a
//! `message` member, or plain text (HTML tags dropped, never echoed raw).

use serde_json::Value;

use crate::error::MESSAGE_CHARS;

/// Only the start of a large body is read.
const READ_BYTES: usize = 64 * 1024;

/// The platform's message in an error `body`, shortened; `None` when it has none.
pub(crate) fn platform_message(body: &[u8]) -> Option<String> {
    let body = &body[..body.len().min(READ_BYTES)];
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(json) => json_message(&json),
        Err(_) => text_message(&String::from_utf8_lossy(body)),
    }?;
    Some(shorten(&collapse(&message)))
}

fn json_message(json: &Value) -> Option<String> {
    match json {
        Value::String(text) => text_message(text),
        Value::Object(members) => {
            let oauth = oauth_message(json);
            oauth
                .or_else(|| members.get("errors").and_then(errors_message))
                .or_else(|| members.get("message").and_then(item_message))
                .or_else(|| members.get("error").and_then(item_message))
        }
        _ => None,
    }
}

/// OAuth 2 (RFC 6749 §5.2, RFC 7591 §3.2.2): `error` with its description.
fn oauth_message(json: &Value) -> Option<String> {
    let error = json.get("error")?.as_str()?;
    let description = json.get("error_description").and_then(Value::as_str);
    Some(match description {
        Some(description) => format!("{error}: {description}"),
        None => error.to_owned(),
    })
}

/// Canvas: `{"errors": [{"message": ..}, ..]}` or `{"errors": {"field": [..]}}`.
fn errors_message(errors: &Value) -> Option<String> {
    let parts: Vec<String> = match errors {
        Value::Array(items) => items.iter().filter_map(item_message).collect(),
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(field, value)| Some(with_field(field, item_message(value)?)))
            .collect(),
        other => item_message(other).into_iter().collect(),
    };
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `message`, prefixed with the field it concerns unless it names it already.
fn with_field(field: &str, message: String) -> String {
    match message.strip_prefix(field) {
        Some(rest) if rest.starts_with(": ") => message,
        _ => format!("{field}: {message}"),
    }
}

/// One error: a string, an object with a `message` (and maybe the field it
/// concerns), or a list of those.
fn item_message(item: &Value) -> Option<String> {
    match item {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(item_message).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(members) => {
            let message = members.get("message").and_then(Value::as_str)?;
            let field = ["field", "attribute"]
                .iter()
                .find_map(|name| members.get(*name).and_then(Value::as_str));
            Some(match field {
                Some(field) => format!("{field}: {message}"),
                None => message.to_owned(),
            })
        }
        _ => None,
    }
}

/// Plain text or HTML: the text of it, tags and scripts dropped.
fn text_message(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        rest = skip_tag(&rest[open..]);
    }
    out.push_str(rest);
    let out = collapse(&out);
    (!out.is_empty()).then_some(out)
}

/// `markup` starts with `<`: what follows the tag, and for `<script>` and
/// `<style>` what follows their closing tag.
fn skip_tag(markup: &str) -> &str {
    let end = markup.find('>').map_or(markup.len(), |i| i + 1);
    let name: String = markup[1..end.max(1)]
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    let after = &markup[end..];
    if name == "script" || name == "style" {
        let close = format!("</{name}");
        if let Some(i) = after.to_ascii_lowercase().find(&close) {
            return skip_tag(&after[i..]);
        }
        return "";
    }
    after
}

/// Runs of whitespace (line breaks included) as one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(MESSAGE_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Option<String> {
        platform_message(body.as_bytes())
    }

    #[test]
    fn reads_oauth_errors() {
        let body = r#"{"error":"invalid_client_metadata","error_description":"bad jwks_uri"}"#;
        assert_eq!(read(body).unwrap(), "invalid_client_metadata: bad jwks_uri");
        assert_eq!(
            read(r#"{"error":"invalid_token"}"#).unwrap(),
            "invalid_token"
        );
    }

    #[test]
    fn reads_canvas_error_lists_and_fields() {
        let list = r#"{"errors":[{"message":"Invalid scope"},{"message":"Bad domain"}]}"#;
        assert_eq!(read(list).unwrap(), "Invalid scope; Bad domain");
        let by_field = r#"{"errors":{"scopes":["is invalid"],"redirect_uris":["can't be blank"]}}"#;
        let message = read(by_field).unwrap();
        assert!(message.contains("scopes: is invalid"), "{message}");
        assert!(
            message.contains("redirect_uris: can't be blank"),
            "{message}"
        );
        let objects = r#"{"errors":{"base":[{"attribute":"base","message":"Token expired"}]}}"#;
        assert_eq!(read(objects).unwrap(), "base: Token expired");
    }

    #[test]
    fn reads_text_without_its_markup() {
        let html = "<html><head><title>502</title><style>b{x:y}</style>\
            <script>alert('x')</script></head><body><h1>Bad   Gateway</h1>\n</body></html>";
        assert_eq!(read(html).unwrap(), "502 Bad Gateway");
        assert_eq!(read("Unauthorized\r\n").unwrap(), "Unauthorized");
        assert_eq!(read("<br><br>"), None);
        assert_eq!(read(""), None);
        assert_eq!(read("<unclosed"), None);
    }

    #[test]
    fn shortens_long_messages() {
        let message = read(&"x".repeat(10_000)).unwrap();
        assert_eq!(message.chars().count(), MESSAGE_CHARS + 1);
        assert!(message.ends_with('…'));
    }
}
