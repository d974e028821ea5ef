//! A stored platform registration. Input: `<key>\n<json>`; the JSON is also
//! parsed under the key it names itself, so the endpoint checks are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::ids::RegistrationKey;
use lti_core::registration::{check_endpoint, PlatformRegistration};
use lti_edge_fuzz::render_err;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (key, json) = text.split_once('\n').unwrap_or(("", text));
    check(key, json);
    let own_key = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| {
            let issuer = v.get("issuer")?.as_str()?;
            let client_id = v.get("client_id")?.as_str()?;
            Some(RegistrationKey::of(issuer, client_id))
        });
    if let Some(own_key) = own_key {
        check(own_key.as_str(), json);
    }
});

fn check(key: &str, json: &str) {
    let parsed = PlatformRegistration::parse(key, json);
    render_err(&parsed);
    if let Ok(reg) = parsed {
        assert_eq!(reg.key().as_str(), key);
        assert!(!reg.issuer().as_str().is_empty() && !reg.client_id().as_str().is_empty());
        assert!(!reg.deployment_ids().is_empty());
        for url in [
            reg.authorization_endpoint(),
            reg.token_endpoint(),
            reg.jwks_uri(),
        ] {
            assert!(check_endpoint(url).is_ok());
        }
        // What is stored must read back as the same registration.
        let stored = serde_json::to_string(&reg).expect("registration serializes");
        assert_eq!(PlatformRegistration::parse(key, &stored).ok(), Some(reg));
    }
}
