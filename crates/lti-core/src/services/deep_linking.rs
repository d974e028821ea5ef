//! Deep Linking 2.0: the `LtiDeepLinkingResponse` the worker signs for a deep
//! linking launch, from content items the origin chose.

use serde_json::{json, Map, Value};
use url::Url;

use super::{invalid, Grant};
use crate::error::Result;
use crate::jws::{Signer, Stamp};
use crate::keys::SigningKey;
use crate::ports::{Crypto, Rng};

/// Seconds a deep linking response stays valid.
const RESPONSE_TTL: u64 = 300;
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

/// The content item types of Deep Linking 2.0 §3, with the field each requires.
const TYPES: [(&str, Option<&str>); 5] = [
    ("ltiResourceLink", None),
    ("link", Some("url")),
    ("file", Some("url")),
    ("html", Some("html")),
    ("image", Some("url")),
];

/// What the origin hands back: the signed response and how to deliver it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeepLinkingResponse {
    pub return_url: String,
    pub jwt: String,
    /// A self-submitting HTML form posting `JWT` to `return_url`.
    pub form: String,
}

fn accepts(settings: &Map<String, Value>, field: &str) -> Option<Vec<String>> {
    let list = settings.get(field)?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// Checks content items against the spec and the platform's settings.
pub fn validate_content_items(items: &Value, settings: &Map<String, Value>) -> Result<Vec<Value>> {
    let items = items
        .as_array()
        .ok_or_else(|| invalid("content_items", "must be an array"))?;
    let multiple = settings
        .get("accept_multiple")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if !multiple && items.len() > 1 {
        return Err(invalid(
            "content_items",
            "the platform accepts one item only",
        ));
    }
    let accept_types = accepts(settings, "accept_types");
    let lineitems = settings
        .get("accept_lineitem")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("content_items[{i}].{name}");
        let item = item
            .as_object()
            .ok_or_else(|| invalid(format!("content_items[{i}]"), "must be an object"))?;
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(field("type"), "required"))?;
        let required = TYPES.iter().find(|(t, _)| *t == kind).map(|(_, r)| *r);
        let required =
            required.ok_or_else(|| invalid(field("type"), format!("unknown type {kind}")))?;
        if accept_types
            .as_ref()
            .is_some_and(|types| !types.iter().any(|t| t == kind))
        {
            return Err(invalid(
                field("type"),
                format!("the platform does not accept {kind}"),
            ));
        }
        if let Some(name) = required {
            if item
                .get(name)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(invalid(field(name), "required"));
            }
        }
        for url_field in ["url", "icon", "thumbnail"] {
            check_url(item, url_field, &field)?;
        }
        if item.contains_key("lineItem") {
            check_lineitem(item, lineitems, &field)?;
        }
        if item.get("custom").is_some_and(|c| {
            !c.as_object()
                .is_some_and(|c| c.values().all(Value::is_string))
        }) {
            return Err(invalid(field("custom"), "must be an object of strings"));
        }
    }
    Ok(items.clone())
}

fn check_url(item: &Map<String, Value>, name: &str, field: &impl Fn(&str) -> String) -> Result<()> {
    let value = match item.get(name) {
        None => return Ok(()),
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("url").and_then(Value::as_str),
        Some(_) => None,
    };
    match value.and_then(|v| url::Url::parse(v).ok()) {
        Some(url) if matches!(url.scheme(), "https" | "http") => Ok(()),
        _ => Err(invalid(field(name), "must be an absolute http(s) URL")),
    }
}

fn check_lineitem(
    item: &Map<String, Value>,
    accepted: bool,
    field: &impl Fn(&str) -> String,
) -> Result<()> {
    if !accepted {
        return Err(invalid(
            field("lineItem"),
            "the platform does not accept line items",
        ));
    }
    let maximum = item["lineItem"].get("scoreMaximum").and_then(Value::as_f64);
    if !maximum.is_some_and(|m| m > 0.0) {
        return Err(invalid(
            field("lineItem.scoreMaximum"),
            "must be a number above 0",
        ));
    }
    Ok(())
}

/// Signs the response for the deep linking launch behind `grant`.
pub async fn respond(
    crypto: &impl Crypto,
    key: &SigningKey,
    grant: Grant<'_>,
    payload: &Map<String, Value>,
    rng: &dyn Rng,
    now: u64,
) -> Result<DeepLinkingResponse> {
    let settings = grant.deep_linking_settings()?;
    let return_url = return_url(settings)?;
    let items =
        validate_content_items(payload.get("content_items").unwrap_or(&json!([])), settings)?;
    let signer = Signer::new(crypto, key, rng, now);
    // Deep Linking 2.0 §4.2 names the unique value `nonce`.
    let Stamp { iat, exp, jti } = signer.stamp(RESPONSE_TTL);
    let mut claims = json!({
        "iss": grant.client_id(),
        "aud": grant.issuer(),
        "iat": iat,
        "exp": exp,
        "nonce": jti,
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): grant.deployment_id(),
        format!("{DL}content_items"): items,
    });
    if let Some(data) = settings.get("data") {
        claims[format!("{DL}data")] = data.clone();
    }
    for field in ["msg", "log", "errormsg", "errorlog"] {
        match payload.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => claims[format!("{DL}{field}")] = json!(text),
            Some(_) => return Err(invalid(field, "must be a string")),
        }
    }
    let jwt = signer.sign(&claims).await?;
    let form = auto_post_form(return_url.as_str(), &jwt);
    Ok(DeepLinkingResponse {
        return_url: return_url.into(),
        jwt,
        form,
    })
}

/// Where the response goes (Deep Linking 2.0 §4.4.1): it becomes a form's
/// `action`, so it must be an absolute `http` or `https` URL, never
/// `javascript:` or `data:`. Returned as it will be written.
pub fn return_url(settings: &Map<String, Value>) -> Result<Url> {
    const FIELD: &str = "deep_link_return_url";
    let refused = || {
        invalid(
            FIELD,
            "the launch's deep linking settings must give an absolute http or https URL",
        )
    };
    let text = settings.get(FIELD).and_then(Value::as_str);
    let url = text.and_then(|t| Url::parse(t).ok()).ok_or_else(refused)?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        _ => Err(refused()),
    }
}

/// A page that posts `JWT` to the platform at once (Deep Linking 2.0 §4.2).
pub fn auto_post_form(return_url: &str, jwt: &str) -> String {
    use crate::html::escape;
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Returning to the platform</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{}"><input type="hidden" name="JWT" value="{}">
<noscript><button type="submit">Continue</button></noscript></form></body></html>"#,
        escape(return_url),
        escape(jwt)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn return_url_must_be_absolute_http() {
        let ok = settings(json!({"deep_link_return_url": "https://lms.example.edu/dl?x=1"}));
        assert_eq!(
            return_url(&ok).unwrap().as_str(),
            "https://lms.example.edu/dl?x=1"
        );
        for bad in [
            json!("javascript:alert(1)"),
            json!(" javascript:alert(1)"),
            json!("java\tscript:alert(1)"),
            json!("data:text/html,<script>alert(1)</script>"),
            json!("/relative"),
            json!(""),
            json!(7),
        ] {
            let err = return_url(&settings(json!({ "deep_link_return_url": bad }))).unwrap_err();
            assert!(
                matches!(&err, crate::Error::InvalidPayload { field, .. } if field == "deep_link_return_url"),
                "{bad}: {err}"
            );
        }
        assert!(return_url(&settings(json!({}))).is_err(), "absent");
    }

    #[test]
    fn validates_items_against_the_settings() {
        let s = settings(
            json!({"accept_types": ["link", "ltiResourceLink"], "accept_multiple": false}),
        );
        assert!(
            validate_content_items(&json!([{"type": "link", "url": "https://x/y"}]), &s).is_ok()
        );
        let cases = [
            (json!([{"type": "link"}]), "content_items[0].url"),
            (
                json!([{"type": "html", "html": "<p>"}]),
                "content_items[0].type",
            ),
            (
                json!([{"type": "video", "url": "https://x"}]),
                "content_items[0].type",
            ),
            (
                json!([{"type": "link", "url": "https://a"}, {"type": "link", "url": "https://b"}]),
                "content_items",
            ),
            (
                json!([{"type": "link", "url": "javascript:alert(1)"}]),
                "content_items[0].url",
            ),
            (
                json!([{"type": "ltiResourceLink", "lineItem": {"scoreMaximum": 0}}]),
                "content_items[0].lineItem.scoreMaximum",
            ),
            (
                json!([{"type": "ltiResourceLink", "custom": {"a": 1}}]),
                "content_items[0].custom",
            ),
            (json!({}), "content_items"),
        ];
        for (items, expected) in cases {
            let err = validate_content_items(&items, &s).unwrap_err();
            assert!(
                matches!(&err, crate::Error::InvalidPayload { field, .. } if field == expected),
                "{items}: {err}"
            );
        }
    }
}
