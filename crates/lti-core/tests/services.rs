//! LTI Advantage calls against a scripted platform: tokens, caching, paging,
//! refusals, and the deep linking response.

mod support;

use std::cell::RefCell;

use lti_core::assertion::{issue_service_token, verify_assertion, AssertionConfig};
use lti_core::ports::*;
use lti_core::registration::PlatformRegistration;
use lti_core::rust_crypto::RustCrypto;
use lti_core::services::grant::scope;
use lti_core::services::{self, ags, deep_linking, nrps, Grant};
use lti_core::{b64, Error};
use serde_json::{json, Map, Value};
use support::*;

type Handler = Box<dyn Fn(&HttpRequest) -> HttpResponse>;

/// A platform answering with `handler`, keeping every request.
struct Platform {
    handler: RefCell<Handler>,
    requests: RefCell<Vec<HttpRequest>>,
}

impl Platform {
    fn new(handler: impl Fn(&HttpRequest) -> HttpResponse + 'static) -> Self {
        Self {
            handler: RefCell::new(Box::new(handler)),
            requests: RefCell::default(),
        }
    }

    fn to(&self, path: &str) -> Vec<HttpRequest> {
        self.requests
            .borrow()
            .iter()
            .filter(|r| r.url.contains(path))
            .cloned()
            .collect()
    }
}

impl HttpClient for Platform {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.requests.borrow_mut().push(request.clone());
        Ok((self.handler.borrow())(&request))
    }
}

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: body.to_string().into_bytes(),
    }
}

/// Tokens on `/token`, 204 elsewhere.
fn token_then(status: u16) -> impl Fn(&HttpRequest) -> HttpResponse {
    move |r| match r.url.ends_with("/token") {
        true => reply(
            200,
            json!({"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}),
        ),
        false => reply(status, json!({})),
    }
}

fn registration() -> PlatformRegistration {
    PlatformRegistration::parse(&format!("{ISSUER}#{CLIENT_ID}"), &registration_json()).unwrap()
}

fn lti(scopes: &[&str]) -> Map<String, Value> {
    let mut claims = launch_claims("n").as_object().unwrap().clone();
    claims.insert(
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint".into(),
        json!({"scope": scopes, "lineitems": "https://lms.example.edu/ctx/1/lineitems",
               "lineitem": "https://lms.example.edu/ctx/1/lineitems/7"}),
    );
    claims.insert(
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice".into(),
        json!({"context_memberships_url": "https://lms.example.edu/ctx/1/members", "service_versions": ["2.0"]}),
    );
    claims
}

struct World2 {
    world: World,
    platform: Platform,
}

impl World2 {
    fn new(handler: impl Fn(&HttpRequest) -> HttpResponse + 'static) -> Self {
        Self {
            world: World::new(),
            platform: Platform::new(handler),
        }
    }

    fn ports(&self) -> Ports<'_, MemoryKv, Platform, RustCrypto> {
        let w = &self.world;
        Ports {
            platforms: &w.platforms,
            store: &w.store,
            logins: &w.store,
            http: &self.platform,
            crypto: &RustCrypto,
            rng: &w.rng,
            cache: &w.cache,
            now: w.now.get(),
        }
    }
}

fn score(world: &World2, lti: &Map<String, Value>) -> Result<Value, Error> {
    let payload = json!({"scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
    let (ports, registration, key) = (world.ports(), registration(), signing_key(TOOL_PEM));
    block_on(ags::post_score(
        &services::Platform {
            ports: &ports,
            registration: &registration,
            key: &key,
        },
        Grant { lti },
        payload.as_object().unwrap(),
    ))
}

fn claims_of(jwt: &str) -> Value {
    serde_json::from_slice(&b64::decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[test]
fn one_token_request_serves_many_scores() {
    let world = World2::new(token_then(204));
    let lti = lti(&[scope::SCORE]);
    for _ in 0..5 {
        let posted = score(&world, &lti).unwrap();
        assert_eq!(
            posted["lineitem"],
            "https://lms.example.edu/ctx/1/lineitems/7"
        );
    }
    let tokens = world.platform.to("/token");
    assert_eq!(tokens.len(), 1, "the token is cached");
    let scores = world.platform.to("/lineitems/7/scores");
    assert_eq!(scores.len(), 5);
    let headers = &scores[0].headers;
    assert!(headers.contains(&("content-type".into(), ags::SCORE.into())));
    assert!(headers.contains(&("authorization".into(), "Bearer tok".into())));
    let body: Value = serde_json::from_str(scores[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(body["userId"], "user-1");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));

    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(tokens[0].body.as_ref().unwrap().as_bytes())
            .into_owned()
            .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field("grant_type"), "client_credentials");
    assert_eq!(field("scope"), scope::SCORE);
    let assertion = claims_of(&field("client_assertion"));
    assert_eq!(assertion["iss"], CLIENT_ID);
    assert_eq!(assertion["sub"], CLIENT_ID);
    assert_eq!(assertion["aud"], "https://lms.example.edu/token");
    assert!(assertion["exp"].as_u64().unwrap() - assertion["iat"].as_u64().unwrap() <= 300);
}

#[test]
fn expired_token_is_renewed_once_not_in_a_loop() {
    let calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = calls.clone();
    let world = World2::new(move |r| {
        if r.url.ends_with("/token") {
            return reply(200, json!({"access_token": "tok", "expires_in": 3600}));
        }
        counter.set(counter.get() + 1);
        reply(if counter.get() == 1 { 401 } else { 204 }, json!({}))
    });
    score(&world, &lti(&[scope::SCORE])).unwrap();
    assert_eq!(
        world.platform.to("/token").len(),
        2,
        "renewed after the 401"
    );

    *world.platform.handler.borrow_mut() = Box::new(|r| match r.url.ends_with("/token") {
        true => reply(200, json!({"access_token": "tok", "expires_in": 3600})),
        false => reply(401, json!({"error": "invalid_token"})),
    });
    let before = world.platform.requests.borrow().len();
    let err = score(&world, &lti(&[scope::SCORE])).unwrap_err();
    assert!(
        matches!(err, Error::PlatformRejected { status: 401, .. }),
        "{err}"
    );
    assert_eq!(
        world.platform.requests.borrow().len() - before,
        3,
        "score, token, score: no loop"
    );
}

#[test]
fn token_endpoint_errors_carry_the_platform_code() {
    let world = World2::new(|_| reply(400, json!({"error": "invalid_client"})));
    let err = score(&world, &lti(&[scope::SCORE])).unwrap_err();
    assert!(
        matches!(&err, Error::PlatformRejected { status: 400, error: Some(e) } if e == "invalid_client")
    );
    assert_eq!(err.kind(), lti_core::ErrorKind::PlatformUnavailable);
    assert_eq!(world.platform.requests.borrow().len(), 1);
}

#[test]
fn refuses_what_the_launch_did_not_grant() {
    let world = World2::new(token_then(204));
    let err = score(&world, &lti(&[scope::LINEITEM_READONLY])).unwrap_err();
    assert!(matches!(err, Error::ScopeNotGranted(s) if s == scope::SCORE));
    let mut no_ags = lti(&[]);
    no_ags.remove("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint");
    assert!(matches!(
        score(&world, &no_ags),
        Err(Error::ClaimNotGranted(_))
    ));
    assert!(
        world.platform.requests.borrow().is_empty(),
        "the platform saw nothing"
    );
}

#[test]
fn members_follow_every_page() {
    let world = World2::new(|r| {
        if r.url.ends_with("/token") {
            return reply(200, json!({"access_token": "tok", "expires_in": 3600}));
        }
        let page: usize = r
            .url
            .rsplit("page=")
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let mut response = reply(200, json!({"members": [{"user_id": format!("u{page}")}]}));
        if page < 3 {
            let next = format!(
                "<https://lms.example.edu/ctx/1/members?page={}>; rel=\"next\"",
                page + 1
            );
            response.headers.push(("link".into(), next));
        }
        response
    });
    let lti = lti(&[]);
    let (ports, registration, key) = (world.ports(), registration(), signing_key(TOOL_PEM));
    let members = block_on(nrps::members(
        &services::Platform {
            ports: &ports,
            registration: &registration,
            key: &key,
        },
        Grant { lti: &lti },
    ))
    .unwrap();
    let ids: Vec<_> = members
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u1", "u2", "u3"]);
    let pages = world.platform.to("/members");
    assert!(pages.iter().all(|r| r
        .headers
        .contains(&("accept".into(), nrps::MEMBERSHIP_CONTAINER.into()))));
    assert_eq!(world.platform.to("/token").len(), 1);
}

#[test]
fn deep_linking_response_is_signed_for_the_platform() {
    let world = World::new();
    let mut lti = launch_claims("n").as_object().unwrap().clone();
    let key = signing_key(TOOL_PEM);
    let payload =
        json!({"content_items": [{"type": "link", "url": "https://example.com/a"}], "msg": "done"});
    let payload = payload.as_object().unwrap();
    let refused = block_on(deep_linking::respond(
        &RustCrypto,
        &key,
        Grant { lti: &lti },
        payload,
        &world.rng,
        NOW,
    ));
    assert!(
        matches!(refused, Err(Error::ClaimNotGranted(_))),
        "a resource link launch cannot deep link"
    );

    lti.insert(
        "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
        json!("LtiDeepLinkingRequest"),
    );
    lti.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        json!({"deep_link_return_url": "https://lms.example.edu/dl?x=1&y=2", "data": "opaque", "accept_types": ["link"]}),
    );
    let response = block_on(deep_linking::respond(
        &RustCrypto,
        &key,
        Grant { lti: &lti },
        payload,
        &world.rng,
        NOW,
    ))
    .unwrap();
    let claims = claims_of(&response.jwt);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/msg"],
        "done"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"],
        DEPLOYMENT
    );
    assert!(response
        .form
        .contains(r#"action="https://lms.example.edu/dl?x=1&amp;y=2""#));
    assert!(response.form.contains(&response.jwt));
}

#[test]
fn deep_linking_refuses_a_return_url_that_is_not_http() {
    let world = World::new();
    let mut lti = launch_claims("n").as_object().unwrap().clone();
    lti.insert(
        "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
        json!("LtiDeepLinkingRequest"),
    );
    lti.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        json!({"deep_link_return_url": "javascript:alert(1)"}),
    );
    let payload = json!({"content_items": []});
    let refused = block_on(deep_linking::respond(
        &RustCrypto,
        &signing_key(TOOL_PEM),
        Grant { lti: &lti },
        payload.as_object().unwrap(),
        &world.rng,
        NOW,
    ));
    assert!(
        matches!(&refused, Err(Error::InvalidPayload { field, .. }) if field == "deep_link_return_url"),
        "{refused:?}"
    );
}

#[test]
fn service_tokens_are_narrow_and_not_assertions() {
    let world = World::new();
    let key = signing_key(TOOL_PEM);
    let config = AssertionConfig {
        issuer: TOOL.into(),
        audience: "https://origin".into(),
    };
    let mut lti = lti(&[scope::SCORE]);
    lti.insert("email".into(), json!("a@example.edu"));
    let subset = Grant { lti: &lti }.service_subset();
    assert!(!subset.contains_key("email") && subset.contains_key("sub"));
    let (token, expires_at) = block_on(issue_service_token(
        &RustCrypto,
        &key,
        &config,
        subset,
        &world.rng,
        NOW,
        86400,
    ))
    .unwrap();
    assert_eq!(expires_at, NOW + 86400);
    let keys = [key];
    let claims = block_on(verify_assertion(
        &RustCrypto,
        &keys,
        &config,
        &token,
        NOW + 3600,
    ))
    .unwrap();
    assert_eq!(claims.token_use.as_deref(), Some("service"));
    assert_eq!(
        claims_of(&token)["aud"],
        "https://tool.example.com/lti/services",
        "an origin checking aud refuses it"
    );
}
