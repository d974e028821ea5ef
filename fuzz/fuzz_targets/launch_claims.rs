//! The id_token claim checks, over any JSON object, against a fixed registration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::launch::claims::{self, LaunchClaims, MessageType};
use lti_edge_fuzz::{registration, registration_with, render_err, DEPLOYMENT_ID, NOW};
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(object) = serde_json::from_slice::<Map<String, Value>>(data) else {
        return;
    };
    // Every member reads, whatever its shape: a malformed claim fails its check.
    let claims = LaunchClaims::read(&object);
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
        assert!(claims.target_link_uri.text().is_some());
    }
    // The whole message check, also for a minimal-claims platform: only a
    // token without any message claim takes the login's deployment.
    let minimal = registration_with(r#","minimal_claims":true,"launch_audience":"Acme Corp""#);
    render_err(&claims::check_audience(&claims, &minimal));
    for reg in [&reg, &minimal] {
        let checked = claims::check_lti_message(&claims, reg, Some(DEPLOYMENT_ID));
        render_err(&checked);
        if let Ok((deployment, _)) = checked {
            assert!(reg.has_deployment(deployment));
            let from_login = deployment == DEPLOYMENT_ID && claims::has_no_message_claims(&claims);
            assert!(from_login || claims::check_version(&claims).is_ok());
        }
    }
});
