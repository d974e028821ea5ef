//! Who may call the services: the bearer the origin presents, checked by
//! `services::authorize`, and the registration and deployment it acts for,
//! re-read from the store on every call.

mod support;

use lti_core::assertion::{issue_assertion, AssertionConfig};
use lti_core::keys::{origin_key, signing_keys, SigningKey};
use lti_core::launch::VerifiedLaunch;
use lti_core::services::{authorize, Caller};
use lti_core::{Error, ErrorKind};
use serde_json::json;
use support::*;

const ORIGIN: &str = "https://origin.example.com";

fn config() -> AssertionConfig {
    AssertionConfig {
        issuer: TOOL.into(),
        audience: ORIGIN.into(),
    }
}

/// A world after one launch, as the origin sees it: the launch and the
/// assertion it received.
struct Launched {
    world: World,
    launch: VerifiedLaunch,
}

impl Launched {
    fn new() -> Self {
        let world = World::new();
        let (state, nonce) = login(&world);
        let launch = launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
        Self { world, launch }
    }

    /// The worker's keys, from the configured secret.
    fn keys(&self) -> Vec<SigningKey> {
        let keys = block_on(signing_keys(&self.world.ports(), Some(TOOL_PEM))).unwrap();
        keys.to_vec()
    }

    /// An assertion for the launch, signed with `key` for `config`.
    fn assertion_by(&self, key: &SigningKey, config: &AssertionConfig) -> String {
        let ports = self.world.ports();
        let asserted = self.launch.asserted();
        block_on(issue_assertion(
            ports.crypto,
            key,
            config,
            asserted,
            ports.rng,
            ports.now,
        ))
        .unwrap()
    }

    /// The assertion the origin received with the launch.
    fn assertion(&self) -> String {
        self.assertion_by(origin_key(&self.keys()), &config())
    }

    /// Authorizes a service call carrying `authorization`.
    fn call(&self, authorization: Option<&str>) -> Result<Caller, Error> {
        let ports = self.world.ports();
        block_on(authorize(&ports, Some(TOOL_PEM), &config(), authorization))
    }

    fn bearer(&self, token: &str) -> Result<Caller, Error> {
        self.call(Some(&format!("Bearer {token}")))
    }

    /// The operator edits the registration; the worker sees it within a minute.
    fn edit_registration(&self, value: Option<String>) {
        let key = format!("{ISSUER}#{CLIENT_ID}");
        let mut entries = self.world.platforms.entries.borrow_mut();
        match value {
            Some(value) => entries.insert(key, value),
            None => entries.remove(&key),
        };
        self.world.now.set(self.world.now.get() + 61);
    }
}

fn refusal(result: Result<Caller, Error>) -> Error {
    match result {
        Ok(_) => panic!("authorized"),
        Err(e) => e,
    }
}

#[test]
fn the_launchs_assertion_authorizes_for_its_registration_and_deployment() {
    let launched = Launched::new();
    let caller = launched.bearer(&launched.assertion()).unwrap();
    let grant = caller.grant();
    assert_eq!(grant.platform(), &launch_platform());
    assert_eq!(grant.user_id(), Some("user-1"));
    assert_eq!(
        caller.registration().key().as_str(),
        format!("{ISSUER}#{CLIENT_ID}").as_str()
    );
    assert!(!caller.is_service_token());
    // The scheme in any case; spaces around the token are not part of it.
    let header = format!("bearer  {} ", launched.assertion());
    assert!(launched.call(Some(&header)).is_ok());
}

#[test]
fn refuses_a_missing_or_malformed_bearer() {
    let launched = Launched::new();
    let assertion = launched.assertion();
    let cases = [
        (None, "send Authorization: Bearer <assertion>"),
        (
            Some(String::new()),
            "send Authorization: Bearer <assertion>",
        ),
        (
            Some(format!("Bearer{assertion}")),
            "send Authorization: Bearer <assertion>",
        ),
        (
            Some(format!("Basic {assertion}")),
            "send Authorization: Bearer <assertion>",
        ),
        (Some("Bearer ".into()), "malformed"),
        (Some("Bearer not.a-jwt".into()), "malformed"),
    ];
    for (header, reason) in cases {
        let error = refusal(launched.call(header.as_deref()));
        assert!(
            matches!(error, Error::InvalidAssertion(r) if r == reason),
            "{header:?}: {error:?}"
        );
        assert_eq!(error.kind(), ErrorKind::Unauthorized);
    }
}

#[test]
fn refuses_an_expired_or_foreign_bearer() {
    let launched = Launched::new();
    let keys = launched.keys();
    let key = origin_key(&keys);
    let other_issuer = AssertionConfig {
        issuer: "https://other-tool.example.com".into(),
        ..config()
    };
    let other_audience = AssertionConfig {
        audience: "https://other-origin.example.com".into(),
        ..config()
    };
    let attacker = signing_key(ATTACKER_PEM);
    let cases = [
        (launched.assertion_by(key, &other_issuer), "issuer"),
        (launched.assertion_by(key, &other_audience), "audience"),
        (launched.assertion_by(&attacker, &config()), "unknown key"),
    ];
    for (token, reason) in cases {
        let error = refusal(launched.bearer(&token));
        assert!(
            matches!(error, Error::InvalidAssertion(r) if r == reason),
            "{reason}: {error:?}"
        );
    }
    // Another key presenting the worker's `kid`: the signature fails.
    let token = launched.assertion();
    let (signed, _) = token.rsplit_once('.').unwrap();
    let forged = launched.assertion_by(&attacker, &config());
    let forged = format!("{signed}.{}", forged.rsplit_once('.').unwrap().1);
    let error = refusal(launched.bearer(&forged));
    assert!(
        matches!(error, Error::InvalidAssertion("signature")),
        "{error:?}"
    );

    launched.world.now.set(NOW + lti_core::assertion::TTL);
    let error = refusal(launched.bearer(&token));
    assert!(
        matches!(error, Error::InvalidAssertion("expired")),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
}

#[test]
fn a_service_token_outlives_the_assertion_but_issues_no_other() {
    let launched = Launched::new();
    let caller = launched.bearer(&launched.assertion()).unwrap();
    let ports = launched.world.ports();
    let (token, expires_at) =
        block_on(caller.issue_service_token(&ports, &config(), 86400)).unwrap();
    assert_eq!(expires_at, NOW + 86400);

    // Background grading, long after the assertion expired.
    launched.world.now.set(NOW + 3600);
    let service = launched.bearer(&token).unwrap();
    assert!(service.is_service_token());
    assert_eq!(service.grant().platform(), &launch_platform());
    assert_eq!(service.grant().user_id(), Some("user-1"));
    let ports = launched.world.ports();
    let again = block_on(service.issue_service_token(&ports, &config(), 86400));
    assert!(
        matches!(again, Err(Error::InvalidAssertion(r)) if r == "a service token cannot issue another"),
        "{:?}",
        again.map(|(t, _)| t)
    );

    launched.world.now.set(expires_at);
    let error = refusal(launched.bearer(&token));
    assert!(
        matches!(error, Error::InvalidAssertion("expired")),
        "{error:?}"
    );
}

#[test]
fn an_assertion_is_no_service_token_nor_the_reverse() {
    let launched = Launched::new();
    // Signed for the services' audience, but without `token_use`.
    let services = AssertionConfig {
        audience: config().service_audience(),
        ..config()
    };
    let keys = launched.keys();
    let token = launched.assertion_by(origin_key(&keys), &services);
    let error = refusal(launched.bearer(&token));
    assert!(
        matches!(error, Error::InvalidAssertion("audience")),
        "{error:?}"
    );
}

#[test]
fn registration_removed_after_launch_is_refused() {
    let launched = Launched::new();
    let assertion = launched.assertion();
    launched.edit_registration(None);
    let error = refusal(launched.bearer(&assertion));
    assert!(
        matches!(&error, Error::UnknownPlatform { issuer, client_id }
            if issuer == ISSUER && client_id.as_deref() == Some(CLIENT_ID)),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::Forbidden);
}

#[test]
fn deployment_removed_after_launch_is_refused() {
    let launched = Launched::new();
    let assertion = launched.assertion();
    let caller = launched.bearer(&assertion).unwrap();
    let (token, _) =
        block_on(caller.issue_service_token(&launched.world.ports(), &config(), 86400)).unwrap();
    let mut registration: serde_json::Value = serde_json::from_str(&registration_json()).unwrap();
    registration["deployment_ids"] = json!(["dep-2"]);
    launched.edit_registration(Some(registration.to_string()));
    for bearer in [assertion, token] {
        let error = refusal(launched.bearer(&bearer));
        assert!(
            matches!(&error, Error::UnknownDeployment(d) if d == DEPLOYMENT),
            "{error:?}"
        );
        assert_eq!(error.kind(), ErrorKind::Forbidden);
    }
}

#[test]
fn storage_failure_authorizes_nothing() {
    let launched = Launched::new();
    let assertion = launched.assertion();
    launched.world.now.set(NOW + 61);
    launched.world.platforms.fail.set(true);
    let error = refusal(launched.bearer(&assertion));
    assert!(matches!(error, Error::Storage(_)), "{error:?}");
    assert!(
        error.detail().contains("injected failure"),
        "{}",
        error.detail()
    );
}
