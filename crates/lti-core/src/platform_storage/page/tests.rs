use std::cell::Cell;

use super::*;
use crate::login::{initiate_login, LoginRequest};

const REGISTRATION: &str = r#"{"issuer": "https://lms.example.edu", "client_id": "c1",
    "authorization_endpoint": "https://auth.example.edu:8443/authorize?tenant=a&b=c",
    "token_endpoint": "https://lms.example.edu/token",
    "jwks_uri": "https://lms.example.edu/jwks", "deployment_ids": ["d1"]}"#;

#[derive(Default)]
struct Counter(Cell<u8>);
impl Rng for Counter {
    fn fill(&self, dest: &mut [u8]) {
        self.0.set(self.0.get() + 1);
        dest.fill(self.0.get());
    }
}

fn registration() -> PlatformRegistration {
    PlatformRegistration::parse("https://lms.example.edu#c1", REGISTRATION).unwrap()
}

fn login(target: &str) -> LoginRedirect {
    let request = LoginRequest::from_params([
        ("iss", "https://lms.example.edu"),
        ("login_hint", "u&1"),
        ("target_link_uri", "https://tool.example.com/a"),
        ("lti_storage_target", target),
    ])
    .unwrap();
    let tool = Url::parse("https://tool.example.com").unwrap();
    initiate_login(&request, &registration(), &tool, &Counter::default()).unwrap()
}

/// The script element's `data-*` attributes, unescaped.
fn config(page: &Page) -> std::collections::BTreeMap<String, String> {
    let start = page.html.find("<script ").unwrap();
    let tag = &page.html[start..start + page.html[start..].find('>').unwrap()];
    tag.split(" data-")
        .skip(1)
        .map(|attribute| {
            let (name, value) = attribute.split_once("=\"").unwrap();
            let value = value.strip_suffix('"').unwrap();
            let unescaped = value
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            (name.to_owned(), unescaped)
        })
        .collect()
}

/// One inline script, allowed by the nonce in the CSP; nothing loaded.
fn assert_only_its_own_script(page: &Page) {
    let csp = page.content_security_policy();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(nonce.len() >= 22, "{csp}");
    assert!(csp.starts_with("default-src 'none'; script-src 'nonce-"));
    assert!(page.html.contains(&format!("<script nonce=\"{nonce}\" ")));
    assert!(page
        .html
        .contains("\">(function(){var c=document.currentScript.dataset"));
    assert_eq!(page.html.matches("<script").count(), 1, "{}", page.html);
    assert_eq!(page.html.matches("</script>").count(), 1, "{}", page.html);
    assert!(!page.html.contains(" src="));
}

#[test]
fn login_page_stores_the_proof_then_continues_to_the_authorization_url() {
    let redirect = login("post_message_forwarding");
    let page = login_page(&redirect, &Counter::default()).unwrap();
    assert_only_its_own_script(&page);
    let c = config(&page);
    assert_eq!(c["target"], "post_message_forwarding");
    assert_eq!(c["origin"], "https://auth.example.edu:8443");
    assert_eq!(c["key"], format!("lti_edge_state_{}", redirect.state));
    assert_eq!(c["value"], redirect.proof.as_ref().unwrap().expose());
    assert_ne!(c["value"], redirect.state, "the proof is not the state");
    assert_eq!(c["url"], redirect.location, "exactly the 302's URL");
    assert_eq!(
        (c["wait"].as_str(), c["storage"].as_str()),
        ("1000", "2000")
    );
    assert!(page.html.contains("lti.capabilities") && page.html.contains("lti.put_data"));
    assert!(page.html.contains("location.replace(c.url)"));
    // The no-script link, its URL escaped for the attribute.
    let href = escape(&redirect.location);
    assert!(href.contains("&amp;"));
    assert!(page
        .html
        .contains(&format!("id=\"continue\" href=\"{href}\"")));
    // Two pages never share a nonce.
    let again = login_page(&redirect, &Counter(Cell::new(9))).unwrap();
    assert_ne!(
        again.content_security_policy(),
        page.content_security_policy()
    );
}

#[test]
fn no_login_page_without_platform_storage() {
    let request = LoginRequest::from_params([
        ("iss", "https://lms.example.edu"),
        ("login_hint", "u1"),
        ("target_link_uri", "https://tool.example.com/a"),
    ])
    .unwrap();
    let tool = Url::parse("https://tool.example.com").unwrap();
    let redirect = initiate_login(&request, &registration(), &tool, &Counter::default()).unwrap();
    assert!(redirect.proof.is_none());
    assert!(login_page(&redirect, &Counter::default()).is_none());
}

#[test]
fn embedded_values_cannot_close_the_script_or_open_markup() {
    let hostile = "</script><script>alert(1)</script><!--\u{2028}&\"'";
    let page = login_page(&login(hostile), &Counter::default()).unwrap();
    assert_only_its_own_script(&page);
    assert!(!page.html.contains("<!--"));
    assert!(!page.html.contains("<script>"));
    assert_eq!(
        config(&page)["target"],
        hostile,
        "the value survives intact"
    );
}

#[test]
fn proof_page_reads_the_proof_back_and_posts_it_with_the_held_launch() {
    let held = HeldLaunchId("h".repeat(43));
    let new_window = Url::parse("https://tool.example.com/lti/login?iss=a&login_hint=b").unwrap();
    let page = proof_page(ProofPage {
        held: &held,
        target: "_parent",
        state: "st",
        registration: &registration(),
        new_window: Some(&new_window),
        rng: &Counter::default(),
    })
    .unwrap();
    assert_only_its_own_script(&page);
    let c = config(&page);
    assert_eq!(c["target"], "_parent");
    assert_eq!(c["origin"], "https://auth.example.edu:8443");
    assert_eq!(c["key"], "lti_edge_state_st");
    assert!(
        !c.contains_key("value"),
        "the proof comes from the platform only"
    );
    assert!(page.html.contains(
        r#"<form id="lti-launch-proof" method="post" action="/lti/launch/proof"><input type="hidden" name="launch" value="hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"><input type="hidden" name="proof"></form>"#
    ));
    assert!(page
        .html
        .contains(r#"<div id="lti-storage-failed" hidden>"#));
    assert!(page.html.contains(
        r#"id="open-in-new-window" href="https://tool.example.com/lti/login?iss=a&amp;login_hint=b" target="_blank""#
    ));
    assert!(page.html.contains("lti.get_data"));
}
