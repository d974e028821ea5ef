//! LTI Advantage calls against a scripted platform: tokens, caching, paging,
//! refusals, and the deep linking response.

mod support;

use std::cell::RefCell;
use std::sync::LazyLock;

use lti_core::assertion::{issue_service_token, verify_assertion, AssertionConfig};
use lti_core::keys::SigningKey;
use lti_core::launch::{ClientId, DeploymentId, Issuer, LaunchPlatform};
use lti_core::ports::*;
use lti_core::registration::PlatformRegistration;
use lti_core::rust_crypto::RustCrypto;
use lti_core::services::grant::scope;
use lti_core::services::{self, ags, deep_linking, nrps};
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

const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

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

    fn ports(&self) -> Ports<'_, Native<Platform>> {
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

/// What a service call needs besides the grant, for one request.
struct Call<'w> {
    ports: Ports<'w, Native<Platform>>,
    registration: PlatformRegistration,
    key: SigningKey,
}

impl World2 {
    fn call(&self) -> Call<'_> {
        self.call_for(registration())
    }

    fn call_for(&self, registration: PlatformRegistration) -> Call<'_> {
        Call {
            ports: self.ports(),
            registration,
            key: signing_key(TOOL_PEM),
        }
    }
}

impl Call<'_> {
    fn platform(&self) -> services::Platform<'_, Native<Platform>> {
        services::Platform {
            ports: &self.ports,
            registration: &self.registration,
            key: &self.key,
        }
    }
}

/// The registration and deployment every launch here acts for.
static LAUNCH_PLATFORM: LazyLock<LaunchPlatform> = LazyLock::new(|| {
    LaunchPlatform::new(
        Issuer::new(ISSUER),
        ClientId::new(CLIENT_ID),
        DeploymentId::new(DEPLOYMENT),
    )
});

/// A verified bearer for a launch with claims `lti`.
fn bearer(lti: &Map<String, Value>) -> lti_core::assertion::AssertionClaims {
    verified_bearer(lti, &LAUNCH_PLATFORM)
}

/// A field of a form-encoded request body.
fn form_field(request: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(request.body.as_deref()?.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn score(world: &World2, lti: &Map<String, Value>) -> Result<Value, Error> {
    let payload = json!({"scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
    let call = world.call();
    block_on(ags::post_score(
        &call.platform(),
        bearer(lti).grant(),
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
    let call = world.call();
    let members = block_on(nrps::members(&call.platform(), bearer(&lti).grant(), &[])).unwrap();
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
fn a_runaway_container_stops_after_max_pages() {
    let world = World2::new(|r| {
        if r.url.ends_with("/token") {
            return reply(200, json!({"access_token": "tok", "expires_in": 3600}));
        }
        let mut response = reply(200, json!({"members": [{"user_id": "u"}]}));
        let next = format!("<{}x>; rel=\"next\"", r.url);
        response.headers.push(("link".into(), next));
        response
    });
    let (bearer, call) = (bearer(&lti(&[])), world.call());
    let runaway = block_on(nrps::members(&call.platform(), bearer.grant(), &[]));
    assert!(
        matches!(&runaway, Err(Error::PlatformUnavailable(m)) if m == "more than 50 pages"),
        "{runaway:?}"
    );
    assert_eq!(world.platform.to("/members").len(), 50);
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
        bearer(&lti).grant(),
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
        bearer(&lti).grant(),
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
        bearer(&lti).grant(),
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
    let subset = bearer(&lti).grant().service_subset();
    assert!(!subset.contains_key("email") && subset.contains_key("sub"));
    let (token, expires_at) = block_on(issue_service_token(
        &RustCrypto,
        &key,
        &config,
        bearer(&lti).grant(),
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
    assert_eq!(claims.token_use(), Some("service"));
    assert_eq!(
        claims_of(&token)["aud"],
        "https://tool.example.com/lti/services",
        "an origin checking aud refuses it"
    );
}

const ITEM: &str = "https://lms.example.edu/ctx/1/lineitems/7";
const OTHER_ITEM: &str = "https://lms.example.edu/ctx/1/lineitems/8";

/// Tokens on `/token`; for a line item, its JSON on GET, the body sent on
/// PUT (as the platform stored it), nothing on DELETE.
fn lineitem_platform(r: &HttpRequest) -> HttpResponse {
    if r.url.ends_with("/token") {
        return reply(200, json!({"access_token": "tok", "expires_in": 3600}));
    }
    match r.method {
        Method::Get => reply(
            200,
            json!({"id": r.url, "label": "Quiz", "scoreMaximum": 10}),
        ),
        Method::Put => reply(200, serde_json::from_str(r.body.as_ref().unwrap()).unwrap()),
        _ => HttpResponse {
            status: 204,
            headers: vec![],
            body: vec![],
        },
    }
}

fn update(world: &World2, lti: &Map<String, Value>, id: Option<&str>) -> Result<Value, Error> {
    let payload = json!({"id": "https://evil.example/1", "label": "Quiz 2", "scoreMaximum": 20, "tag": "final"});
    let call = world.call();
    block_on(ags::update_lineitem(
        &call.platform(),
        bearer(lti).grant(),
        id,
        payload.as_object().unwrap(),
    ))
}

#[test]
fn reads_the_launchs_lineitem_by_default() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM_READONLY]);
    let call = world.call();
    let item = block_on(ags::read_lineitem(
        &call.platform(),
        bearer(&lti).grant(),
        None,
    ))
    .unwrap();
    assert_eq!(item["id"], ITEM);
    let other = block_on(ags::read_lineitem(
        &call.platform(),
        bearer(&lti).grant(),
        Some(OTHER_ITEM),
    ));
    assert_eq!(other.unwrap()["id"], OTHER_ITEM);
    let reads = world.platform.to("/lineitems/");
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].method, Method::Get);
    assert!(reads[0]
        .headers
        .contains(&("accept".into(), ags::LINEITEM.into())));
    let token = &world.platform.to("/token")[0];
    assert_eq!(
        form_field(token, "scope").as_deref(),
        Some(scope::LINEITEM_READONLY)
    );
}

#[test]
fn updates_a_lineitem_whose_id_the_worker_sets() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM]);
    let item = update(&world, &lti, Some(OTHER_ITEM)).unwrap();
    assert_eq!(item["id"], OTHER_ITEM, "answered with the platform's item");
    let puts = world.platform.to("/lineitems/8");
    assert_eq!((puts.len(), &puts[0].method), (1, &Method::Put));
    assert!(puts[0]
        .headers
        .contains(&("content-type".into(), ags::LINEITEM.into())));
    assert!(puts[0]
        .headers
        .contains(&("accept".into(), ags::LINEITEM.into())));
    let sent: Value = serde_json::from_str(puts[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"id": OTHER_ITEM, "label": "Quiz 2", "scoreMaximum": 20, "tag": "final"})
    );
}

#[test]
fn deletes_the_launchs_lineitem_by_default() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM]);
    let call = world.call();
    block_on(ags::delete_lineitem(
        &call.platform(),
        bearer(&lti).grant(),
        None,
    ))
    .unwrap();
    let deletes = world.platform.to(ITEM);
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        (&deletes[0].method, &deletes[0].url, &deletes[0].body),
        (&Method::Delete, &ITEM.to_owned(), &None)
    );
    let token = &world.platform.to("/token")[0];
    assert_eq!(form_field(token, "scope").as_deref(), Some(scope::LINEITEM));
}

#[test]
fn lineitem_outside_the_launch_container_is_refused_unsent() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM]);
    let call = world.call();
    for foreign in [
        "https://lms.example.edu/ctx/2/lineitems/7",
        "https://lms.example.edu/ctx/1/lineitems/../../2/lineitems/7",
        "https://evil.example/ctx/1/lineitems/7",
    ] {
        let id = Some(foreign);
        let read = block_on(ags::read_lineitem(
            &call.platform(),
            bearer(&lti).grant(),
            id,
        ));
        let deleted = block_on(ags::delete_lineitem(
            &call.platform(),
            bearer(&lti).grant(),
            id,
        ));
        let updated = update(&world, &lti, id);
        for err in [read.err(), deleted.err(), updated.err()] {
            let err = err.expect(foreign);
            assert!(matches!(err, Error::OutsideGrant(_)), "{foreign}: {err}");
            assert_eq!(err.kind(), lti_core::ErrorKind::Forbidden);
        }
    }
    assert!(world.platform.requests.borrow().is_empty());
}

#[test]
fn changing_a_lineitem_needs_the_lineitem_scope() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM_READONLY, scope::SCORE]);
    let call = world.call();
    let deleted = block_on(ags::delete_lineitem(
        &call.platform(),
        bearer(&lti).grant(),
        None,
    ));
    for err in [deleted.err(), update(&world, &lti, None).err()] {
        assert!(
            matches!(err, Some(Error::ScopeNotGranted(s)) if s == scope::LINEITEM),
            "{err:?}"
        );
    }
    assert!(world.platform.requests.borrow().is_empty());
}

#[test]
fn an_invalid_lineitem_update_is_not_sent() {
    let world = World2::new(lineitem_platform);
    let lti = lti(&[scope::LINEITEM]);
    let call = world.call();
    let payload = json!({"label": "Quiz", "scoreMaximum": 0});
    let refused = block_on(ags::update_lineitem(
        &call.platform(),
        bearer(&lti).grant(),
        None,
        payload.as_object().unwrap(),
    ));
    assert!(
        matches!(&refused, Err(Error::InvalidPayload { field, .. }) if field == "scoreMaximum"),
        "{refused:?}"
    );
    assert!(world.platform.requests.borrow().is_empty());
}

#[test]
fn members_pass_rlid_and_role_to_the_platform() {
    let world = World2::new(|r| {
        if r.url.ends_with("/token") {
            return reply(200, json!({"access_token": "tok", "expires_in": 3600}));
        }
        let mut response = reply(200, json!({"members": [{"user_id": r.url}]}));
        if !r.url.contains("page=2") {
            let next = "<https://lms.example.edu/ctx/1/members?role=Learner&page=2>; rel=\"next\"";
            response.headers.push(("link".into(), next.into()));
        }
        response
    });
    let mut lti = lti(&[]);
    lti.insert(
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice".into(),
        json!({"context_memberships_url": "https://lms.example.edu/ctx/1/members?type_id=3"}),
    );
    let query: Vec<(String, String)> = [("rlid", "rl-1"), ("role", "Learner"), ("since", "x")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let call = world.call();
    let members = block_on(nrps::members(
        &call.platform(),
        bearer(&lti).grant(),
        &query,
    ))
    .unwrap();
    let urls: Vec<_> = members
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "https://lms.example.edu/ctx/1/members?type_id=3&rlid=rl-1&role=Learner",
            "https://lms.example.edu/ctx/1/members?role=Learner&page=2",
        ],
        "the filters join the URL's own query; next pages are the platform's"
    );
}

#[test]
fn scores_go_where_the_registration_says() {
    let world = World2::new(token_then(204));
    let mut lti = lti(&[scope::SCORE]);
    let skills = "https://lms.example.edu/skills/7/scores";
    lti[AGS_ENDPOINT]["lineitem"] = json!(skills);
    let mut quirk: Value = serde_json::from_str(&registration_json()).unwrap();
    quirk["scores_url"] = json!("lineitem");
    let key = format!("{ISSUER}#{CLIENT_ID}");
    let quirk = PlatformRegistration::parse(&key, &quirk.to_string()).unwrap();
    let payload = json!({"activityProgress": "Completed", "gradingProgress": "FullyGraded"});
    for (registration, expected) in [
        (quirk, skills.to_owned()),
        (registration(), format!("{skills}/scores")),
    ] {
        let call = world.call_for(registration);
        let posted = block_on(ags::post_score(
            &call.platform(),
            bearer(&lti).grant(),
            payload.as_object().unwrap(),
        ))
        .unwrap();
        assert_eq!(posted["lineitem"], skills);
        let last = world.platform.requests.borrow().last().cloned().unwrap();
        assert_eq!((last.method, last.url), (Method::Post, expected));
    }
}
