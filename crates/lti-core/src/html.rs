//! HTML for the few pages the worker writes (error pages, the deep linking
//! form, the platform storage and registration pages): text and attribute
//! values escaped once, in one place, and one way to allow a page's script.

use crate::login::random_token;
use crate::ports::Rng;

/// A page with one inline script, and the CSP nonce that allows it.
#[derive(Debug, Clone)]
pub struct Page {
    nonce: String,
    pub html: String,
}

impl Page {
    /// A page whose one script runs under a fresh nonce, which `html` writes
    /// into its `<script nonce="..">`.
    pub fn with_script(rng: &dyn Rng, html: impl FnOnce(&str) -> String) -> Self {
        let nonce = random_token(rng);
        let html = html(&nonce);
        Self { nonce, html }
    }

    /// The page's `Content-Security-Policy`: its own script, nothing fetched.
    pub fn content_security_policy(&self) -> String {
        format!(
            "default-src 'none'; script-src 'nonce-{}'; style-src 'unsafe-inline'",
            self.nonce
        )
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
