//! The launch form (`id_token`, `state`) and the compact JWS it carries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::jws;
use lti_core::launch::{LaunchRequest, MAX_ID_TOKEN_BYTES};
use lti_edge_fuzz::{borrowed, form, render_err};

fuzz_target!(|data: &[u8]| {
    // The bytes as a bare token.
    if let Ok(token) = std::str::from_utf8(data) {
        check_jws(token);
    }
    // The bytes as the form the platform posts to the redirect_uri.
    let pairs = form(data);
    let request = LaunchRequest::from_params(borrowed(&pairs));
    render_err(&request);
    if let Ok(request) = request {
        assert!(!request.id_token.is_empty() && !request.state.is_empty());
        assert!(request.id_token.len() <= MAX_ID_TOKEN_BYTES);
        check_jws(&request.id_token);
    }
});

fn check_jws(token: &str) {
    let parsed = jws::parse(token);
    render_err(&parsed);
    if let Ok(jws) = parsed {
        // The signed part is the token up to its last dot.
        let signed = jws.signing_input();
        assert!(token.starts_with(signed));
        assert_eq!(token.as_bytes().get(signed.len()), Some(&b'.'));
        assert!(!token[signed.len() + 1..].contains('.'));
        // Only the header is readable before the signature verified.
        let _ = (
            jws.algorithm(),
            jws.kid(),
            jws.has_critical(),
            jws.signature().len(),
        );
    }
}
