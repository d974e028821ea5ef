//! The id_token claim checks, over any JSON object, against a fixed registration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::launch::claims::{self, MessageType};
use lti_edge_fuzz::{registration, render_err, NOW};
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(data) else {
        return;
    };
    let reg = registration();
    // Each check runs on its own, so a failing early one does not hide the others.
    render_err(&claims::check_issuer(&claims, &reg));
    render_err(&claims::check_audience(&claims, &reg));
    render_err(&claims::check_times(&claims, NOW));
    render_err(&claims::check_version(&claims));
    let deployment = claims::check_deployment(&claims, &reg);
    render_err(&deployment);
    if let Ok(id) = deployment {
        assert!(reg.has_deployment(id));
    }
    let message = claims::check_message(&claims);
    render_err(&message);
    if let Ok(MessageType::ResourceLink) = message {
        assert!(claims::string(&claims, claims::TARGET_LINK_URI).is_ok());
    }
});
