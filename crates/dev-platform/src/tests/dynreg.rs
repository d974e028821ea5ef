//! LTI Dynamic Registration, platform side: the configuration, the registration
//! endpoint in each mode, and launches of the client it creates.

use serde_json::{json, Value};

use super::tool::{json_of, sign, token_form, tool_key, Tool};
use super::{agent, claims_of_launch, get, login_params, platform, send};
use crate::claims::SCOPE_SCORE;
use crate::{DevPlatform, RegistrationMode};

const TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";
const PLATFORM_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-platform-configuration";
const TOOL: &str = "http://127.0.0.1:8787";

/// The client registration the interface says the worker sends.
fn registration(tool: &str) -> Value {
    let domain = tool.trim_start_matches("http://");
    json!({
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": format!("{tool}/lti/login"),
        "redirect_uris": [format!("{tool}/lti/launch")],
        "client_name": "lti-edge",
        "jwks_uri": format!("{tool}/.well-known/jwks.json"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score \
                  https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        TOOL_CONFIGURATION: {
            "domain": domain,
            "target_link_uri": format!("{tool}/"),
            "claims": ["iss", "sub", "name"],
            "messages": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
        },
    })
}

fn bearer_request(request: ureq::Request, token: Option<&str>) -> ureq::Request {
    match token {
        Some(token) => request.set("Authorization", &format!("Bearer {token}")),
        None => request,
    }
}

fn configuration(platform: &DevPlatform, token: Option<&str>) -> (u16, Value) {
    let request = bearer_request(agent().get(&platform.openid_configuration_url()), token);
    json_of(send(request, None))
}

fn register(platform: &DevPlatform, token: Option<&str>, body: &Value) -> (u16, Value) {
    let url = format!("{}/register", platform.issuer("dynreg"));
    let request = bearer_request(agent().post(&url), token).set("Content-Type", "application/json");
    let response = match request.send_string(&body.to_string()) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    json_of(response)
}

#[test]
fn openid_configuration_describes_the_platform() {
    let platform = platform();
    let token = platform.registration_token().expect("a token by default");
    assert_eq!(configuration(&platform, None).0, 401);
    assert_eq!(configuration(&platform, Some("guess")).0, 401);
    let (status, config) = configuration(&platform, Some(&token));
    assert_eq!(status, 200);
    let issuer = platform.issuer("dynreg");
    assert_eq!(config["issuer"], issuer);
    assert_eq!(
        config["registration_endpoint"],
        format!("{issuer}/register")
    );
    assert_eq!(config["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(config["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(
        config["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(config["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(SCOPE_SCORE)));
    let lti = &config[PLATFORM_CONFIGURATION];
    assert_eq!(lti["product_family_code"], "lti-edge-dev-platform");
    assert_eq!(
        lti["messages_supported"][0]["type"],
        "LtiResourceLinkRequest"
    );
    assert_eq!(
        platform.config_requests(),
        [None, Some("guess".into()), Some(token)]
    );
}

#[test]
fn registration_creates_a_client_with_a_deployment() {
    let platform = platform();
    let token = platform.registration_token().unwrap();
    let body = registration(TOOL);
    assert_eq!(register(&platform, None, &body).0, 401);
    assert_eq!(register(&platform, Some("guess"), &body).0, 401);
    let (status, answer) = register(&platform, Some(&token), &body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["client_id"], "dynreg-client-1");
    assert_eq!(answer[TOOL_CONFIGURATION]["deployment_id"], "dynreg-dep-1");
    assert_eq!(answer["initiate_login_uri"], body["initiate_login_uri"]);
    let received = platform.registrations_received();
    assert_eq!(received.len(), 3);
    assert_eq!(received[2].bearer.as_deref(), Some(token.as_str()));
    assert_eq!(
        (&received[2].body, received[2].client_id.as_deref()),
        (&body, Some("dynreg-client-1"))
    );
    assert_eq!(received[0].client_id, None);
    assert_eq!(
        platform.clients("dynreg"),
        [("dynreg-client-1".into(), vec!["dynreg-dep-1".into()])]
    );

    let login = login_params(
        &platform,
        "dynreg",
        "client_id=dynreg-client-1&deployment_id=dynreg-dep-1",
    );
    let claims = claims_of_launch(&platform, "dynreg", &login);
    assert_eq!(
        (&claims["aud"], &claims["iss"]),
        (&json!("dynreg-client-1"), &json!(platform.issuer("dynreg")))
    );
    let html = get(&format!("{}/", platform.base_url()))
        .into_string()
        .unwrap();
    assert!(html.contains("/dynreg/start?client_id=dynreg-client-1&amp;deployment_id=dynreg-dep-1"));
}

#[test]
fn registrations_missing_a_required_field_are_refused_by_name() {
    let platform = platform();
    platform.set_registration_mode(RegistrationMode::NoToken);
    type Mutation = fn(&mut Value);
    let cases: [(&str, Mutation); 9] = [
        ("application_type", |b| {
            b["application_type"] = json!("native")
        }),
        ("response_types", |b| b["response_types"] = json!(["code"])),
        ("grant_types", |b| b["grant_types"] = json!(["implicit"])),
        ("initiate_login_uri", |b| {
            b["initiate_login_uri"] = json!("https://evil.example/login")
        }),
        ("jwks_uri", |b| {
            drop(b.as_object_mut().unwrap().remove("jwks_uri"))
        }),
        ("token_endpoint_auth_method", |b| {
            b["token_endpoint_auth_method"] = json!("client_secret_basic")
        }),
        ("scope", |b| {
            b["scope"] = json!("https://example.com/everything")
        }),
        ("domain", |b| {
            b[TOOL_CONFIGURATION]["domain"] = json!("127.0.0.1")
        }),
        ("messages", |b| {
            b[TOOL_CONFIGURATION]["messages"] = json!([{"type": "LtiResourceLinkRequest"}])
        }),
    ];
    for (field, mutate) in cases {
        let mut body = registration(TOOL);
        mutate(&mut body);
        let (status, answer) = register(&platform, None, &body);
        assert_eq!(
            (status, &answer["error"]),
            (400, &json!("invalid_client_metadata")),
            "{field}"
        );
        assert!(
            answer["error_description"]
                .as_str()
                .unwrap()
                .contains(field),
            "{answer}"
        );
    }
    assert!(platform.clients("dynreg").is_empty());
    assert_eq!(platform.registrations_received().len(), cases.len());
}

#[test]
fn registration_modes_change_the_platforms_answers() {
    let platform = platform();
    platform.set_registration_mode(RegistrationMode::NoToken);
    assert_eq!(platform.registration_token(), None);
    assert_eq!(configuration(&platform, None).0, 200);
    let (status, answer) = register(&platform, None, &registration(TOOL));
    assert_eq!(
        (status, &answer["client_id"]),
        (200, &json!("dynreg-client-1"))
    );

    platform.set_registration_mode(RegistrationMode::WithToken("tok-1".into()));
    assert_eq!(platform.registration_token().as_deref(), Some("tok-1"));
    assert_eq!(register(&platform, None, &registration(TOOL)).0, 401);

    platform.set_registration_mode(RegistrationMode::Fail);
    let token = platform.registration_token().unwrap();
    let (status, answer) = register(&platform, Some(&token), &registration(TOOL));
    assert_eq!(status, 422);
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("disabled"));

    platform.set_registration_mode(RegistrationMode::IssuerMismatch);
    let (_, config) = configuration(&platform, Some(&token));
    let named = config["issuer"].as_str().unwrap();
    assert!(
        named.starts_with("http://localhost:") && named.ends_with("/dynreg"),
        "{named}"
    );
    assert_eq!(
        config["token_endpoint"],
        format!("{}/token", platform.issuer("dynreg"))
    );

    platform.set_registration_mode(RegistrationMode::NoDeploymentId);
    let (status, answer) = register(&platform, Some(&token), &registration(TOOL));
    assert_eq!(
        (status, &answer["client_id"]),
        (200, &json!("dynreg-client-2"))
    );
    assert!(answer[TOOL_CONFIGURATION].get("deployment_id").is_none());
    assert_eq!(
        platform.clients("dynreg")[1].1,
        ["dynreg-dep-2"],
        "the platform made one"
    );
    assert_eq!(
        platform.registration_mode(),
        RegistrationMode::NoDeploymentId
    );
}

#[test]
fn registered_clients_get_access_tokens() {
    let tool = Tool::start();
    let token = tool.platform.registration_token().unwrap();
    let worker = tool.worker_base();
    let (status, answer) = register(&tool.platform, Some(&token), &registration(&worker));
    assert_eq!(status, 200, "{answer}");
    let client_id = answer["client_id"].as_str().unwrap();
    let claims = tool.assertion_claims("dynreg", client_id);
    let (status, body) = tool.request_token(
        "dynreg",
        &token_form(&sign(tool_key(), &claims), SCOPE_SCORE),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn home_page_opens_the_workers_registration_url() {
    let platform = platform();
    assert_eq!(platform.registration_url(), None);
    platform.set_registration_secret(Some("dev-registration-secret"));
    let url = url::Url::parse(&platform.registration_url().unwrap()).unwrap();
    assert_eq!(url.path(), "/lti/register/dev-registration-secret");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [
            (
                "openid_configuration".into(),
                platform.openid_configuration_url()
            ),
            (
                "registration_token".into(),
                platform.registration_token().unwrap()
            ),
        ]
    );
    let html = get(&format!("{}/", platform.base_url()))
        .into_string()
        .unwrap();
    let escaped = crate::http::escape(url.as_str());
    assert!(html.contains(&format!("data-url=\"{escaped}\"")), "{html}");
    assert!(html.contains("org.imsglobal.lti.close"));
    assert!(html.contains("const toolOrigin = \"http://127.0.0.1:8787\";"));
    platform.set_registration_mode(RegistrationMode::NoToken);
    assert!(!platform
        .registration_url()
        .unwrap()
        .contains("registration_token"));
}
