//! Session tokens in the page URL and the proof page's form: whatever the
//! query holds, no `lti_session` parameter reaches the origin, and the other
//! parameters pass as sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::forwarding::take_session_params;
use lti_core::platform_storage::held::LaunchProof;
use lti_core::session::{session_credential, TOKEN_PARAM};
use lti_edge_fuzz::{borrowed, form, render_err};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut url) = Url::parse(&format!("https://tool.example.com/p?{query}")) else {
        return;
    };
    let before = url.query_pairs().count();
    let tokens = take_session_params(&mut url);
    assert!(url.query_pairs().all(|(name, _)| name != TOKEN_PARAM));
    assert_eq!(url.query_pairs().count() + tokens.len(), before);
    let presented: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let credential = session_credential(Some("cookie"), &presented);
    render_err(&credential);
    if let Ok(Some(credential)) = credential {
        assert!(presented
            .iter()
            .all(|t| t.is_empty() || *t == credential.id()));
    }
    let pairs = form(data);
    render_err(&LaunchProof::from_params(borrowed(&pairs)));
});
