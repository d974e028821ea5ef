//! The page that ends a registration: it says what was registered and tells
//! the platform's window the tool is done (§3.6.3: the
//! `org.imsglobal.lti.close` message, to `window.opener || window.parent`).

use super::Registered;
use crate::html::escape;

/// The page for `registered`. Its one inline script carries `nonce`, which
/// the response's `Content-Security-Policy` must allow (`script-src 'nonce-..'`).
pub fn registered_page(registered: &Registered, nonce: &str) -> String {
    let platform = &registered.platform;
    let product = [&platform.product_family_code, &platform.version]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    let deployment = match &registered.deployment_id {
        Some(id) => escape(id),
        None => "none returned: every deployment of this client is accepted \
            (<code>\"deployment_ids\": [\"*\"]</code>)"
            .into(),
    };
    let rows = [
        (
            "Platform",
            escape(if product.is_empty() {
                "unnamed"
            } else {
                &product
            }),
        ),
        ("Issuer", escape(&registered.issuer)),
        ("Client ID", escape(&registered.client_id)),
        ("Deployment", deployment),
        ("Scopes", escape(&registered.scopes.join(" "))),
    ];
    let rows: String = rows
        .iter()
        .map(|(name, value)| format!("<tr><th>{name}</th><td>{value}</td></tr>"))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Tool registered</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#222}}h1{{font-size:1.3rem;color:#161}}th{{text-align:left;padding-right:1em;vertical-align:top}}td{{word-break:break-all}}</style>
</head><body><h1>Tool registered</h1>
<table>{rows}</table>
<p>Canvas: an administrator may trim the scopes of the new developer key and must turn it on.
Brightspace: an administrator must still enable the new deployment and choose where it is available.</p>
<p>You can close this window.</p>
<script nonce="{nonce}">(window.opener || window.parent).postMessage({{"subject": "org.imsglobal.lti.close"}}, "*");</script>
</body></html>"#,
        nonce = escape(nonce),
    )
}
