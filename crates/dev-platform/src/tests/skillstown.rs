//! The SkillsTown profile: POST login, minimal id_token, scores at the line item URL.

use serde_json::{json, Value};

use super::services::score;
use super::tool::{call_service, Tool};
use super::{claims_of_launch, form_value, get, login_params, platform};
use crate::ags::SCORE;
use crate::claims::SCOPE_SCORE;
use crate::SKILLSTOWN_AUDIENCE;

const AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";

#[test]
fn skillstown_logs_in_by_post_without_a_message_hint() {
    let platform = platform();
    let html = get(&format!(
        "{}/start?client_id=skillstown",
        platform.issuer("skillstown")
    ))
    .into_string()
    .unwrap();
    assert!(html.contains("<form method=\"post\" action=\"http://127.0.0.1:8787/lti/login\">"));
    let expected = platform.skillstown_login_form("skillstown");
    for (name, value) in &expected {
        assert_eq!(&form_value(&html, name), value, "{name}");
    }
    let names: Vec<&str> = expected.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_deployment_id",
            "client_id"
        ]
    );
    assert!(!html.contains("lti_message_hint"));
    assert_eq!(form_value(&html, "lti_deployment_id"), "skillstown-dep-1");
}

#[test]
fn skillstown_id_tokens_carry_only_its_few_claims() {
    let platform = platform();
    for client in ["skillstown", "skillstown-strict"] {
        let login = login_params(&platform, "skillstown", &format!("client_id={client}"));
        let claims = claims_of_launch(&platform, "skillstown", &login);
        let mut names: Vec<&String> = claims.as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(
            names,
            ["aud", "exp", AGS, CUSTOM, "iat", "iss", "nonce", "sub"],
            "{client}"
        );
        assert_eq!(
            claims["aud"], SKILLSTOWN_AUDIENCE,
            "the company, not {client}"
        );
        assert_eq!(claims["nonce"], "nonce-42");
        let lineitem = claims[AGS]["lineitem"].as_str().unwrap();
        assert!(lineitem.ends_with("/scores"), "{lineitem}");
        assert_eq!(claims[AGS]["scope"], json!([SCOPE_SCORE]));
    }
    let mut expected = platform.skillstown_claims("nonce-42");
    let launched = claims_of_launch(
        &platform,
        "skillstown",
        &login_params(&platform, "skillstown", "client_id=skillstown"),
    );
    for time in ["iat", "exp"] {
        expected[time] = launched[time].clone();
    }
    assert_eq!(launched, expected);
}

#[test]
fn skillstown_takes_scores_at_the_line_item_url_itself() {
    let tool = Tool::start();
    let claims = tool.platform.skillstown_claims("n-1");
    let lineitem = claims[AGS]["lineitem"].as_str().unwrap().to_string();
    let token = tool.access_token_of("skillstown", "skillstown", SCOPE_SCORE);
    let post = |url: &str| {
        let body = score("user-123", 8.0).to_string();
        call_service("POST", url, Some(&token), Some((SCORE, &body))).status()
    };
    assert_eq!(post(&lineitem), 204);
    assert_eq!(
        post(&format!("{lineitem}/scores")),
        404,
        "not <lineitem>/scores"
    );
    let recorded: Vec<(String, Value)> = tool.platform.scores("skillstown");
    assert_eq!(recorded, [(lineitem.clone(), score("user-123", 8.0))]);
    let other_course = lineitem.replace("acme-101", "acme-999");
    assert_eq!(post(&other_course), 404);
    let a_token = tool.access_token("a", SCOPE_SCORE);
    let on_a = tool.url("a", "/courses/acme-101/scores");
    let body = score("user-123", 1.0).to_string();
    assert_eq!(
        call_service("POST", &on_a, Some(&a_token), Some((SCORE, &body))).status(),
        404,
        "only SkillsTown has the route"
    );
}
