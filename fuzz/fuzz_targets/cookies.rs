//! The browser's `Cookie` header: state binding, session id, and what is
//! forwarded to the origin.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::cookies::{self, SESSION};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let jar = cookies::parse(Some(header));
    for (name, _) in &jar {
        if let Some(state) = name.strip_prefix("lti_state_") {
            assert!(cookies::has_state(&jar, state));
        }
    }
    let _ = cookies::has_state(&jar, "abc");
    let _ = cookies::has_state(&jar, "");
    let session = cookies::session_id(&jar);
    assert_eq!(session.is_some(), jar.iter().any(|(n, _)| n == SESSION));
    // The worker's own cookies are credentials for the worker alone: whatever
    // the header held, none of them may reach the origin.
    if let Some(forwarded) = cookies::for_origin(&jar) {
        let again = cookies::parse(Some(&forwarded));
        assert!(cookies::session_id(&again).is_none(), "session cookie forwarded: {forwarded:?}");
        assert!(
            again.iter().all(|(n, _)| !n.starts_with("lti_state_")),
            "state cookie forwarded: {forwarded:?}"
        );
    }
});
