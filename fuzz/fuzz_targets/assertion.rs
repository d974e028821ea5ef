//! A bearer assertion the origin presents, through the real verifier
//! (`verify_assertion`) with a crypto port that accepts every signature, so
//! the header, the claims and the time rule behind it are fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::assertion::{verify_assertion, AssertionConfig};
use lti_core::b64;
use lti_edge_fuzz::{ready, render_err, worker_key, AcceptingCrypto, NOW, TOOL_BASE, WORKER_KID};

fuzz_target!(|data: &[u8]| {
    let config = AssertionConfig {
        issuer: TOOL_BASE.into(),
        audience: "https://origin.example.com".into(),
    };
    let keys = [worker_key()];
    let verify = |token: &str| {
        let verified = ready(verify_assertion(
            &AcceptingCrypto,
            &keys,
            &config,
            token,
            NOW,
        ));
        render_err(&verified);
        if let Ok(claims) = verified {
            assert!(claims.expires_at() > NOW, "an expired bearer was accepted");
            assert!(claims.issued_at() <= NOW);
            let _ = (claims.jti(), claims.sub(), claims.grant().service_subset());
        }
    };
    // The bytes as the claims of a token signed by the worker's key, so
    // serde is fuzzed without base64 in the way.
    let header = b64::encode(format!(r#"{{"alg":"RS256","kid":"{WORKER_KID}"}}"#));
    verify(&format!("{header}.{}.AAAA", b64::encode(data)));
    // The bytes as a whole token.
    if let Ok(token) = std::str::from_utf8(data) {
        verify(token);
    }
});
