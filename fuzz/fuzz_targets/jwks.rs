//! The platform's JWKS response, and its Cache-Control header.
//! Input: the first line is the Cache-Control value, the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::jwks::{self, MAX_MAX_AGE, MIN_MAX_AGE};
use lti_core::ports::HttpResponse;
use lti_edge_fuzz::{render_err, NOW};

fuzz_target!(|data: &[u8]| {
    let (cache_control, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
        None => (None, data),
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let age = jwks::max_age(Some(text));
        assert!((MIN_MAX_AGE..=MAX_MAX_AGE).contains(&age));
    }
    // As it arrives, and once more as the bare body with no header.
    for (header, body) in [(cache_control, body), (None, data)] {
        let response = HttpResponse {
            status: 200,
            headers: header
                .map(|v| vec![("Cache-Control".to_owned(), v.to_owned())])
                .unwrap_or_default(),
            body: body.to_vec(),
        };
        let set = jwks::parse_jwks_response(&response, NOW);
        render_err(&set);
        if let Ok(set) = set {
            assert_eq!(set.fetched_at, NOW);
            assert!((MIN_MAX_AGE..=MAX_MAX_AGE).contains(&(set.expires_at - NOW)));
            assert!(set.keys.iter().all(|k| k.kty == "RSA"));
            let kid = set.keys.first().and_then(|k| k.kid.as_deref());
            let _ = set.find(kid);
            let _ = set.find(None);
            // What is cached must read back.
            let stored = serde_json::to_string(&set).expect("JWKS serializes");
            let back: jwks::CachedJwks = serde_json::from_str(&stored).expect("cached JWKS parses");
            assert_eq!(back, set);
        }
    }
});
