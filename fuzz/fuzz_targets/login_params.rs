//! The OIDC login initiation form, its target_link_uri check, and the
//! authentication request built from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::login::{check_same_origin, initiate_login, LoginRequest};
use lti_core::platform_storage::page::login_page;
use lti_core::ports::Rng;
use lti_edge_fuzz::{borrowed, form, registration, render_err, tool_base};
use url::Url;

struct FixedRng;

impl Rng for FixedRng {
    fn fill(&self, dest: &mut [u8]) {
        dest.fill(0x5a);
    }
}

fuzz_target!(|data: &[u8]| {
    let pairs = form(data);
    let request = LoginRequest::from_params(borrowed(&pairs));
    render_err(&request);
    let Ok(request) = request else {
        return;
    };
    let tool = tool_base();
    let same = check_same_origin(&request.target_link_uri, &tool, "target_link_uri");
    render_err(&same);
    if let Ok(target) = &same {
        assert_eq!(target.origin(), tool.origin());
    }
    let redirect = initiate_login(&request, &registration(), &tool, &FixedRng);
    render_err(&redirect);
    if let Ok(redirect) = redirect {
        assert!(same.is_ok());
        // The platform receives the login_hint intact, beside our state and nonce.
        let location = Url::parse(&redirect.location).expect("location parses");
        let hint = location.query_pairs().find(|(n, _)| n == "login_hint");
        assert_eq!(
            hint.map(|(_, v)| v.into_owned()),
            Some(request.login_hint.clone())
        );
        assert_eq!(
            redirect.login_state.target_link_uri,
            request.target_link_uri
        );
        // With platform storage: one script, which no supplied value closes.
        if let Some(page) = login_page(&redirect, &FixedRng) {
            assert!(request.lti_storage_target.is_some());
            assert_eq!(page.html.matches("</script").count(), 1);
            assert_eq!(page.html.matches("<script").count(), 1);
        }
    }
});
