//! The browser's `Cookie` header: state binding, session id, the state cookies
//! a login clears, and what is forwarded to the origin.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::cookies::{self, MAX_STATE_COOKIES, SESSION};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let jar = cookies::parse(Some(header));
    let states: Vec<&str> = jar
        .iter()
        .filter_map(|(name, _)| name.strip_prefix("__Host-lti_state_"))
        .collect();
    for state in &states {
        assert!(cookies::has_state(&jar, state));
    }
    let cleared = cookies::states_to_clear(&jar);
    assert_eq!(
        cleared.len(),
        (states.len() + 1).saturating_sub(MAX_STATE_COOKIES)
    );
    assert!(cleared.iter().all(|s| states.contains(s)));
    let _ = cookies::has_state(&jar, "abc");
    let _ = cookies::has_state(&jar, "");
    let sessions = jar.iter().filter(|(n, _)| n == SESSION).count();
    match cookies::session_id(&jar) {
        Ok(session) => assert_eq!(session.is_some(), sessions == 1),
        Err(_) => assert!(sessions > 1),
    }
    // The worker's own cookies are credentials for the worker alone: whatever
    // the header held, none of them may reach the origin.
    if let Some(forwarded) = cookies::for_origin(&jar) {
        let again = cookies::parse(Some(&forwarded));
        assert!(
            again
                .iter()
                .all(|(n, _)| n != SESSION && !n.starts_with("__Host-lti_state_")),
            "worker cookie forwarded: {forwarded:?}"
        );
    }
});
