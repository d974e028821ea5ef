//! LTI Dynamic Registration against a scripted platform: the configuration
//! checks, the registration sent, the platform's refusals, and what is stored.

mod support;

use std::cell::RefCell;

use lti_core::dynamic_registration::{
    parse_openid_configuration, register, registered_page, Registered, RegistrationRequest, Step,
    StepError, TOOL_CONFIGURATION,
};
use lti_core::ports::*;
use lti_core::registration::{find_registration, PlatformRegistration};
use lti_core::rust_crypto::RustCrypto;
use lti_core::{Error, ErrorKind};
use serde_json::{json, Value};
use support::*;
use url::Url;

const NEW_ISSUER: &str = "https://canvas.example.org";
const CONFIG_URL: &str = "https://canvas.example.org/api/lti/security/openid-configuration";
const REGISTRATION_ENDPOINT: &str = "https://canvas.example.org/api/lti/registrations";
const NEW_CLIENT: &str = "10000000000042";
const NEW_KEY: &str = "https://canvas.example.org#10000000000042";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJ1dWlkIjoiMSJ9.sig";
const ALL_SCOPES: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem \
    https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly \
    https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly \
    https://purl.imsglobal.org/spec/lti-ags/scope/score \
    https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";

/// A platform's OpenID configuration, as Canvas serves it.
fn openid_configuration() -> Value {
    json!({
        "issuer": NEW_ISSUER,
        "authorization_endpoint": "https://canvas.example.org/api/lti/authorize_redirect",
        "token_endpoint": "https://canvas.example.org/login/oauth2/token",
        "jwks_uri": "https://canvas.example.org/api/lti/security/jwks",
        "registration_endpoint": REGISTRATION_ENDPOINT,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["id_token"],
        "scopes_supported": [
            "openid",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            "https://canvas.instructure.com/lti/public_jwk/scope/update",
        ],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "canvas",
            "version": "OpenSource",
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "placements": ["editor_button"]},
            ],
        },
    })
}

fn reply(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

/// A platform serving its configuration and registration endpoint, keeping
/// every request; any other URL fails the test.
struct Lms {
    configuration: RefCell<HttpResponse>,
    registration: RefCell<HttpResponse>,
    requests: RefCell<Vec<HttpRequest>>,
}

impl Lms {
    fn new() -> Self {
        let created = json!({
            "client_id": NEW_CLIENT,
            TOOL_CONFIGURATION: {"deployment_id": "1:abc", "domain": "tool.example.com"},
        });
        Self {
            configuration: RefCell::new(reply(200, &openid_configuration().to_string())),
            registration: RefCell::new(reply(201, &created.to_string())),
            requests: RefCell::default(),
        }
    }

    fn serve_configuration(&self, edit: impl FnOnce(&mut Value)) {
        let mut config = openid_configuration();
        edit(&mut config);
        *self.configuration.borrow_mut() = reply(200, &config.to_string());
    }

    fn answer_registration(&self, status: u16, body: &str) {
        *self.registration.borrow_mut() = reply(status, body);
    }

    fn requests_to(&self, url: &str) -> Vec<HttpRequest> {
        let requests = self.requests.borrow();
        requests.iter().filter(|r| r.url == url).cloned().collect()
    }

    /// The one registration POSTed, as JSON.
    fn registration_body(&self) -> Value {
        let posts = self.requests_to(REGISTRATION_ENDPOINT);
        assert_eq!(posts.len(), 1);
        serde_json::from_str(posts[0].body.as_deref().unwrap()).unwrap()
    }
}

impl HttpClient for Lms {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.requests.borrow_mut().push(request.clone());
        match (&request.method, request.url.as_str()) {
            (Method::Get, CONFIG_URL) => Ok(self.configuration.borrow().clone()),
            (Method::Post, REGISTRATION_ENDPOINT) => Ok(self.registration.borrow().clone()),
            other => panic!("unexpected request {other:?}"),
        }
    }
}

struct Rig {
    world: World,
    lms: Lms,
}

impl Rig {
    fn new() -> Self {
        Self {
            world: World::new(),
            lms: Lms::new(),
        }
    }

    fn ports(&self) -> Ports<'_, Native<Lms>> {
        let w = &self.world;
        Ports {
            platforms: &w.platforms,
            store: &w.store,
            logins: &w.store,
            http: &self.lms,
            crypto: &RustCrypto,
            rng: &w.rng,
            cache: &w.cache,
            now: w.now.get(),
        }
    }

    fn register_at(&self, tool: &str, token: Option<&str>) -> Result<Registered, StepError> {
        let mut params = vec![("openid_configuration", CONFIG_URL)];
        params.extend(token.map(|t| ("registration_token", t)));
        let request = RegistrationRequest::from_params(params).unwrap();
        block_on(register(
            &self.ports(),
            &Url::parse(tool).unwrap(),
            &request,
        ))
    }

    fn register(&self) -> Result<Registered, StepError> {
        self.register_at(TOOL, Some(TOKEN))
    }

    fn stored(&self, key: &str) -> Option<String> {
        self.world.platforms.entries.borrow().get(key).cloned()
    }
}

fn header<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    let mut found = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name));
    let value = found.next().map(|(_, v)| v.as_str());
    assert!(found.next().is_none(), "one {name} header");
    value
}

/// The configuration with `edit` applied, parsed as fetched from `url`.
fn parse_from(url: &str, edit: impl FnOnce(&mut Value)) -> Result<(), Error> {
    let mut config = openid_configuration();
    edit(&mut config);
    let response = reply(200, &config.to_string());
    parse_openid_configuration(&response, &Url::parse(url).unwrap()).map(drop)
}

fn parse(edit: impl FnOnce(&mut Value)) -> Result<(), Error> {
    parse_from(CONFIG_URL, edit)
}

fn invalid_configuration(result: Result<(), Error>, mentions: &str) {
    match result {
        Err(e @ Error::InvalidPlatformConfiguration(_)) => {
            assert_eq!(e.kind(), ErrorKind::BadRequest);
            assert!(e.to_string().contains(mentions), "{e}");
        }
        other => panic!("expected an invalid configuration, got {other:?}"),
    }
}

#[test]
fn registers_and_stores_a_registration_launches_can_read() {
    let rig = Rig::new();
    let registered = rig.register().unwrap();
    assert_eq!(registered.key, NEW_KEY);
    assert_eq!(registered.issuer, NEW_ISSUER);
    assert_eq!(registered.client_id, NEW_CLIENT);
    assert_eq!(registered.deployment_id.as_deref(), Some("1:abc"));
    assert_eq!(
        registered.platform.product_family_code.as_deref(),
        Some("canvas")
    );
    assert_eq!(
        registered.platform.messages_supported,
        ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]
    );

    let stored = rig.stored(NEW_KEY).expect("stored");
    let reg = PlatformRegistration::parse(NEW_KEY, &stored).unwrap();
    assert_eq!(
        reg.authorization_endpoint(),
        "https://canvas.example.org/api/lti/authorize_redirect"
    );
    assert_eq!(
        reg.token_endpoint(),
        "https://canvas.example.org/login/oauth2/token"
    );
    assert_eq!(
        reg.jwks_uri(),
        "https://canvas.example.org/api/lti/security/jwks"
    );
    assert_eq!(reg.deployment_ids(), ["1:abc"]);
    let members: Value = serde_json::from_str(&stored).unwrap();
    let names: Vec<&str> = members
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names.len(),
        6,
        "exactly the documented members, no token_audience: {names:?}"
    );
}

#[test]
fn both_requests_carry_the_registration_token_as_a_bearer() {
    let rig = Rig::new();
    rig.register().unwrap();
    let get = &rig.lms.requests_to(CONFIG_URL)[0];
    assert_eq!(header(get, "accept"), Some("application/json"));
    assert_eq!(
        header(get, "authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    let post = &rig.lms.requests_to(REGISTRATION_ENDPOINT)[0];
    assert_eq!(header(post, "content-type"), Some("application/json"));
    assert_eq!(
        header(post, "authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[test]
fn without_a_registration_token_no_request_carries_a_bearer() {
    let rig = Rig::new();
    rig.register_at(TOOL, None).unwrap();
    let requests = rig.lms.requests.borrow();
    assert_eq!(requests.len(), 2);
    for request in requests.iter() {
        assert_eq!(header(request, "authorization"), None, "{}", request.url);
    }
}

#[test]
fn registration_names_every_member_the_specification_asks_for() {
    let rig = Rig::new();
    rig.register().unwrap();
    let body = rig.lms.registration_body();
    assert_eq!(body["application_type"], "web");
    assert_eq!(body["response_types"], json!(["id_token"]));
    assert_eq!(
        body["grant_types"],
        json!(["implicit", "client_credentials"])
    );
    assert_eq!(
        body["initiate_login_uri"],
        "https://tool.example.com/lti/login"
    );
    assert_eq!(
        body["redirect_uris"],
        json!(["https://tool.example.com/lti/launch"])
    );
    assert_eq!(
        body["jwks_uri"],
        "https://tool.example.com/.well-known/jwks.json"
    );
    assert_eq!(body["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(body["client_name"], "tool.example.com");
    let lti = &body[TOOL_CONFIGURATION];
    assert_eq!(lti["domain"], "tool.example.com");
    assert_eq!(lti["target_link_uri"], "https://tool.example.com/");
    assert_eq!(
        lti["claims"],
        json!(["iss", "sub", "name", "given_name", "family_name", "email"])
    );
    assert_eq!(
        lti["messages"],
        json!([{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}])
    );
}

#[test]
fn asks_only_for_the_scopes_the_platform_supports() {
    let rig = Rig::new();
    rig.register().unwrap();
    assert_eq!(
        rig.lms.registration_body()["scope"],
        "https://purl.imsglobal.org/spec/lti-ags/scope/score \
         https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    );
}

#[test]
fn asks_for_every_scope_when_the_platform_lists_none() {
    let rig = Rig::new();
    rig.lms
        .serve_configuration(|c| drop(c.as_object_mut().unwrap().remove("scopes_supported")));
    let registered = rig.register().unwrap();
    assert_eq!(rig.lms.registration_body()["scope"], ALL_SCOPES);
    assert_eq!(registered.scopes.join(" "), ALL_SCOPES);
}

#[test]
fn domain_carries_the_port_when_it_is_not_the_default() {
    let rig = Rig::new();
    rig.register_at("http://127.0.0.1:8787/", Some(TOKEN))
        .unwrap();
    let body = rig.lms.registration_body();
    assert_eq!(body[TOOL_CONFIGURATION]["domain"], "127.0.0.1:8787");
    assert_eq!(
        body["initiate_login_uri"],
        "http://127.0.0.1:8787/lti/login"
    );

    let rig = Rig::new();
    rig.register_at("https://tool.example.com:443/", Some(TOKEN))
        .unwrap();
    assert_eq!(
        rig.lms.registration_body()[TOOL_CONFIGURATION]["domain"],
        "tool.example.com"
    );
}

#[test]
fn accepts_a_valid_configuration() {
    parse(|_| {}).unwrap();
    // Lists are checked only when present.
    parse(|c| {
        let c = c.as_object_mut().unwrap();
        c.remove("token_endpoint_auth_methods_supported");
        c.remove("response_types_supported");
        c.remove(lti_core::dynamic_registration::PLATFORM_CONFIGURATION);
    })
    .unwrap();
    // Loopback hosts may use plain http, as in development.
    parse_from("http://127.0.0.1:9001/openid-configuration", |c| {
        for field in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        ] {
            c[field] = json!(format!("http://127.0.0.1:9001/{field}"));
        }
        c["issuer"] = json!("http://127.0.0.1:9001");
    })
    .unwrap();
}

#[test]
fn refuses_an_issuer_on_another_host_than_the_configuration() {
    invalid_configuration(
        parse(|c| c["issuer"] = json!("https://other.example.org")),
        "is not the configuration URL's host",
    );
}

#[test]
fn refuses_an_issuer_over_plain_http_or_with_a_query() {
    invalid_configuration(
        parse(|c| c["issuer"] = json!("http://canvas.example.org")),
        "`issuer` must use https",
    );
    invalid_configuration(
        parse(|c| c["issuer"] = json!("https://canvas.example.org/?x=1")),
        "no query or fragment",
    );
    invalid_configuration(
        parse(|c| c["issuer"] = json!("https://canvas.example.org#frag")),
        "no query or fragment",
    );
}

#[test]
fn refuses_a_configuration_without_a_registration_endpoint() {
    invalid_configuration(
        parse(|c| drop(c.as_object_mut().unwrap().remove("registration_endpoint"))),
        "`registration_endpoint` is missing",
    );
    invalid_configuration(
        parse(|c| c["jwks_uri"] = json!("http://canvas.example.org/jwks")),
        "`jwks_uri` must use https",
    );
}

#[test]
fn refuses_a_platform_that_cannot_take_what_the_tool_sends() {
    invalid_configuration(
        parse(|c| c["token_endpoint_auth_methods_supported"] = json!(["client_secret_basic"])),
        "private_key_jwt",
    );
    invalid_configuration(
        parse(|c| c["id_token_signing_alg_values_supported"] = json!(["ES256"])),
        "RS256",
    );
    invalid_configuration(
        parse(|c| c["response_types_supported"] = json!(["code"])),
        "id_token",
    );
    invalid_configuration(
        parse(|c| c["scopes_supported"] = json!("openid")),
        "expected",
    );
}

/// Blackboard serves the configuration from the school's host, with the
/// issuer every Blackboard launch carries.
fn blackboard(config: &mut Value) {
    config["issuer"] = json!("https://blackboard.com");
    config[lti_core::dynamic_registration::PLATFORM_CONFIGURATION]["product_family_code"] =
        json!("BlackboardLearn");
}

#[test]
fn accepts_blackboards_shared_issuer_and_nothing_looser() {
    parse(blackboard).unwrap();
    invalid_configuration(
        parse(|c| {
            blackboard(c);
            c["issuer"] = json!("https://blackboard.com/evil");
        }),
        "host",
    );
    invalid_configuration(
        parse(|c| {
            blackboard(c);
            c["issuer"] = json!("https://evil.example.com");
        }),
        "host",
    );
    invalid_configuration(
        parse(|c| {
            blackboard(c);
            c[lti_core::dynamic_registration::PLATFORM_CONFIGURATION]["product_family_code"] =
                json!("moodle");
        }),
        "host",
    );
}

#[test]
fn an_invalid_configuration_registers_nothing() {
    let rig = Rig::new();
    rig.lms
        .serve_configuration(|c| c["issuer"] = json!("https://other.example.org"));
    let err = rig.register().unwrap_err();
    assert_eq!(err.step, Step::ValidatingConfiguration);
    assert!(rig.lms.requests_to(REGISTRATION_ENDPOINT).is_empty());
    assert_eq!(rig.world.platforms.writes.get(), 0);
}

#[test]
fn a_refused_configuration_fetch_names_its_step() {
    let rig = Rig::new();
    *rig.lms.configuration.borrow_mut() = reply(401, r#"{"error":"invalid_token"}"#);
    let err = rig.register().unwrap_err();
    assert_eq!(err.step, Step::FetchingConfiguration);
    assert_eq!(err.error.kind(), ErrorKind::PlatformUnavailable);
    assert_eq!(
        err.error.to_string(),
        "the platform answered HTTP 401: invalid_token"
    );
    assert!(rig.lms.requests_to(REGISTRATION_ENDPOINT).is_empty());
}

#[test]
fn platform_refusals_show_its_status_and_message_readably() {
    let cases = [
        (
            400,
            r#"{"error":"invalid_client_metadata","error_description":"jwks_uri unreachable"}"#,
            "HTTP 400: invalid_client_metadata: jwks_uri unreachable",
        ),
        (
            422,
            r#"{"errors":[{"field":"scope","message":"Invalid scope requested"}]}"#,
            "HTTP 422: scope: Invalid scope requested",
        ),
        (
            422,
            r#"{"errors":{"redirect_uris":["must be on the tool's domain"]}}"#,
            "HTTP 422: redirect_uris: must be on the tool's domain",
        ),
        (
            500,
            "<html><body><h1>Internal <b>Server</b> Error</h1></body></html>",
            "HTTP 500: Internal Server Error",
        ),
    ];
    for (status, body, expected) in cases {
        let rig = Rig::new();
        rig.lms.answer_registration(status, body);
        let err = rig.register().unwrap_err();
        assert_eq!(err.step, Step::Registering);
        assert!(
            matches!(err.error, Error::RegistrationRejected { status: s, .. } if s == status),
            "{:?}",
            err.error
        );
        assert_eq!(err.error.kind(), ErrorKind::PlatformUnavailable);
        let message = err.error.to_string();
        assert!(message.ends_with(expected), "{message}");
        assert!(!message.contains('<'), "{message}");
        assert!(rig.world.platforms.entries.borrow().get(NEW_KEY).is_none());
    }
}

#[test]
fn an_answer_without_client_id_stores_nothing() {
    let rig = Rig::new();
    rig.lms.answer_registration(200, r#"{"client_name":"x"}"#);
    let err = rig.register().unwrap_err();
    assert_eq!(err.step, Step::Registering);
    assert!(matches!(err.error, Error::InvalidRegistrationResponse(_)));
    assert_eq!(err.error.kind(), ErrorKind::PlatformUnavailable);
    assert_eq!(rig.world.platforms.writes.get(), 0);
}

#[test]
fn an_existing_registration_is_never_replaced() {
    let rig = Rig::new();
    let existing = registration_json()
        .replace(ISSUER, NEW_ISSUER)
        .replace(CLIENT_ID, NEW_CLIENT);
    rig.world
        .platforms
        .entries
        .borrow_mut()
        .insert(NEW_KEY.into(), existing.clone());
    let err = rig.register().unwrap_err();
    assert_eq!(err.step, Step::Storing);
    assert!(err.platform_client_created());
    assert_eq!(err.error.kind(), ErrorKind::Conflict);
    let message = err.error.to_string();
    assert!(
        message.contains(NEW_CLIENT) && message.contains("delete it there"),
        "{message}"
    );
    assert_eq!(rig.stored(NEW_KEY), Some(existing));
    assert_eq!(rig.world.platforms.writes.get(), 0);
}

#[test]
fn accepts_every_deployment_when_the_platform_returns_none() {
    let rig = Rig::new();
    rig.lms
        .answer_registration(200, &json!({"client_id": 42}).to_string());
    let registered = rig.register().unwrap();
    assert_eq!(registered.client_id, "42");
    assert_eq!(registered.deployment_id, None);
    let key = format!("{NEW_ISSUER}#42");
    let reg = PlatformRegistration::parse(&key, &rig.stored(&key).unwrap()).unwrap();
    assert_eq!(reg.deployment_ids(), ["*"]);
}

#[test]
fn a_distinct_authorization_server_becomes_the_token_audience() {
    let rig = Rig::new();
    rig.lms.serve_configuration(|c| {
        c["authorization_server"] = json!("https://api.brightspace.com/auth/token");
    });
    rig.register().unwrap();
    let reg = PlatformRegistration::parse(NEW_KEY, &rig.stored(NEW_KEY).unwrap()).unwrap();
    assert_eq!(
        reg.token_audience(),
        Some("https://api.brightspace.com/auth/token")
    );
}

#[test]
fn a_login_right_after_registration_finds_it() {
    let rig = Rig::new();
    let find = |client_id| {
        let platforms = rig.ports().cached_platforms();
        block_on(find_registration(&platforms, NEW_ISSUER, client_id))
    };
    // Unknown a moment ago, and remembered as absent by this isolate.
    assert!(matches!(find(None), Err(Error::UnknownPlatform { .. })));
    assert!(matches!(
        find(Some(NEW_CLIENT)),
        Err(Error::UnknownPlatform { .. })
    ));
    rig.register().unwrap();
    assert_eq!(find(None).unwrap().client_id(), NEW_CLIENT);
    assert_eq!(find(Some(NEW_CLIENT)).unwrap().client_id(), NEW_CLIENT);
}

#[test]
fn a_second_registration_of_an_issuer_makes_logins_name_their_client() {
    let rig = Rig::new();
    let find = || {
        let platforms = rig.ports().cached_platforms();
        block_on(find_registration(&platforms, NEW_ISSUER, None))
    };
    rig.register().unwrap();
    assert_eq!(
        find().unwrap().client_id(),
        NEW_CLIENT,
        "the sole one, now cached"
    );
    rig.lms
        .answer_registration(201, r#"{"client_id":"second"}"#);
    rig.register().unwrap();
    assert!(matches!(find(), Err(Error::AmbiguousPlatform(_))));
}

#[test]
fn the_page_closes_the_platforms_window_and_escapes_what_it_shows() {
    let rig = Rig::new();
    rig.lms
        .answer_registration(200, r#"{"client_id":"<b>x</b>"}"#);
    let registered = rig.register().unwrap();
    let page = registered_page(&registered, "n0nce");
    assert!(page.contains(r#"<script nonce="n0nce">(window.opener || window.parent).postMessage({"subject": "org.imsglobal.lti.close"}, "*");</script>"#));
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;") && !page.contains("<b>x"));
    assert!(page.contains("Brightspace") && page.contains("Canvas"));
    assert!(page.contains(r#"[\"*\"]"#) || page.contains("every deployment"));
}
