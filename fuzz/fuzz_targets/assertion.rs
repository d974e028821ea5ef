//! A bearer assertion the origin presents: the JWS and its claims (the
//! signature check itself needs crypto and is not fuzzed here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::assertion::AssertionClaims;
use lti_core::jws;
use lti_edge_fuzz::render_err;

fuzz_target!(|data: &[u8]| {
    // Claims straight from the bytes, so serde is fuzzed without base64 in the way.
    let _ = serde_json::from_slice::<AssertionClaims>(data);
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = jws::parse(token);
    render_err(&parsed);
    if let Ok(jws) = parsed {
        let _ = (
            jws.header.alg.as_str(),
            jws.header.kid.as_deref(),
            jws.signature.len(),
        );
        if let Ok(claims) = serde_json::from_slice::<AssertionClaims>(&jws.payload) {
            let stored = serde_json::to_vec(&claims).expect("claims serialize");
            let back: AssertionClaims = serde_json::from_slice(&stored).expect("claims read back");
            assert_eq!(back.jti, claims.jti);
        }
    }
});
