//! `Debug` of what holds a token or secret prints `[redacted]` for it, so a
//! stray `{:?}` in a log line leaks nothing.

use lti_core::launch::LaunchRequest;
use lti_core::ports::PrivateKey;
use lti_core::services::token::AccessToken;

#[test]
fn launch_request_debug_hides_the_id_token_and_state() {
    let request = LaunchRequest {
        id_token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln".into(),
        state: "state-3f9a1c".into(),
    };
    let printed = format!("{request:?}");
    assert_eq!(
        printed,
        r#"LaunchRequest { id_token: [redacted], state: [redacted] }"#
    );
    let pretty = format!("{request:#?}");
    for secret in ["eyJhbGci", "state-3f9a1c"] {
        assert!(
            !printed.contains(secret) && !pretty.contains(secret),
            "{pretty}"
        );
    }
}

#[test]
fn access_token_debug_hides_the_token() {
    let token = AccessToken {
        access_token: "platform-bearer-8d2e".into(),
        use_until: 1_800_003_540,
    };
    let printed = format!("{token:?}");
    assert!(!printed.contains("platform-bearer-8d2e"), "{printed}");
    assert_eq!(
        printed,
        "AccessToken { access_token: [redacted], use_until: 1800003540 }"
    );
}

#[test]
fn private_key_debug_hides_the_key() {
    let printed = format!("{:?}", PrivateKey(b"pkcs8-der-bytes".to_vec()));
    assert_eq!(printed, "PrivateKey([redacted])");
}
