//! `/lti/services/*`: LTI Advantage for the origin, which calls server to
//! server with `Authorization: Bearer <assertion or service token>`.

use std::rc::Rc;

use lti_core::assertion::{issue_service_token, verify_assertion, AssertionClaims};
use lti_core::keys::{origin_key, platform_key, signing_keys, SigningKey};
use lti_core::registration::PlatformRegistration;
use lti_core::services::{
    ags, deep_linking, nrps, parse_payload, Grant, Platform, MAX_PAYLOAD_BYTES,
};
use lti_core::Error;
use serde_json::{json, Map, Value};
use url::Url;
use worker::{Headers, Method, Response};

use crate::response::Failure;
use crate::routes::{Incoming, Runtime};

/// A verified caller: the worker's keys, the bearer's claims, its registration.
struct Caller {
    keys: Rc<Vec<SigningKey>>,
    claims: AssertionClaims,
    registration: Rc<PlatformRegistration>,
}

impl Caller {
    fn grant(&self) -> Grant<'_> {
        self.claims.grant()
    }

    /// The key platforms verify: RSA, as LTI requires.
    fn key(&self) -> &SigningKey {
        platform_key(&self.keys)
    }
}

/// Every service path, for telling a wrong method (405) from no such service (404).
const ROUTES: [&str; 7] = [
    "/lti/services/scores",
    "/lti/services/lineitems",
    "/lti/services/lineitem",
    "/lti/services/results",
    "/lti/services/members",
    "/lti/services/deep-linking",
    "/lti/services/token",
];

pub async fn handle(req: Incoming, runtime: &Runtime, url: &Url) -> Result<Response, Failure> {
    let caller = authorize(&req, runtime).await?;
    let ports = runtime.ports();
    let (grant, key) = (caller.grant(), caller.key());
    let platform = Platform {
        ports: &ports,
        registration: &caller.registration,
        key,
    };
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (status, body) = match (&req.method, url.path()) {
        (Method::Post, "/lti/services/scores") => {
            let payload = payload(&req).await?;
            (200, ags::post_score(&platform, grant, &payload).await?)
        }
        (Method::Get, "/lti/services/lineitems") => (
            200,
            json!(ags::list_lineitems(&platform, grant, &query).await?),
        ),
        (Method::Post, "/lti/services/lineitems") => {
            let payload = payload(&req).await?;
            (201, ags::create_lineitem(&platform, grant, &payload).await?)
        }
        (Method::Get, "/lti/services/lineitem") => (
            200,
            ags::read_lineitem(&platform, grant, param("id")).await?,
        ),
        (Method::Put, "/lti/services/lineitem") => {
            let payload = payload(&req).await?;
            let item = ags::update_lineitem(&platform, grant, param("id"), &payload).await?;
            (200, item)
        }
        (Method::Delete, "/lti/services/lineitem") => {
            ags::delete_lineitem(&platform, grant, param("id")).await?;
            return Ok(no_content()?);
        }
        (Method::Get, "/lti/services/results") => {
            let results =
                ags::results(&platform, grant, param("lineitem"), param("user_id")).await?;
            (200, json!(results))
        }
        (Method::Get, "/lti/services/members") => (
            200,
            json!({ "members": nrps::members(&platform, grant, &query).await? }),
        ),
        (Method::Post, "/lti/services/deep-linking") => {
            let payload = payload(&req).await?;
            let response =
                deep_linking::respond(ports.crypto, key, grant, &payload, ports.rng, ports.now)
                    .await?;
            (200, json!(response))
        }
        (Method::Post, "/lti/services/token") => (200, service_token(runtime, &caller).await?),
        (_, path) => return Ok(unrouted(path)?),
    };
    Ok(crate::response::json(status, &body)?)
}

/// The origin's JSON payload, read through the size cap (POST and PUT alike).
async fn payload(req: &Incoming) -> Result<Map<String, Value>, Failure> {
    Ok(parse_payload(
        &req.body(MAX_PAYLOAD_BYTES, "payload").await?,
    )?)
}

/// `204`: done, nothing to answer; never cached.
fn no_content() -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("cache-control", "no-store")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// A wrong method on a service (405), or no such service (404).
fn unrouted(path: &str) -> worker::Result<Response> {
    let (status, error, message) = if ROUTES.contains(&path) {
        (
            405,
            "method_not_allowed",
            "method not allowed for this service",
        )
    } else {
        (404, "not_found", "no such service")
    };
    crate::response::json(status, &json!({ "error": error, "message": message }))
}

/// Verifies the bearer and finds the registration it acts for.
async fn authorize(req: &Incoming, runtime: &Runtime) -> Result<Caller, Failure> {
    let header = req.headers.get("authorization")?.unwrap_or_default();
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(Error::InvalidAssertion(
            "send Authorization: Bearer <assertion>",
        ))?;
    let ports = runtime.ports();
    let keys = signing_keys(&ports, runtime.config().private_key.as_deref()).await?;
    let config = runtime.assertion_config();
    let claims = verify_assertion(ports.crypto, &keys, &config, token, ports.now).await?;
    let registration = claims
        .grant()
        .registration(&ports.cached_platforms())
        .await?;
    Ok(Caller {
        keys,
        claims,
        registration,
    })
}

/// A service token for background grading, issued only for a launch assertion.
async fn service_token(runtime: &Runtime, caller: &Caller) -> Result<Value, Failure> {
    if caller.claims.token_use.is_some() {
        return Err(Error::InvalidAssertion("a service token cannot issue another").into());
    }
    let ports = runtime.ports();
    let config = runtime.assertion_config();
    let ttl = runtime.config().service_token_ttl;
    let (token, expires_at) = issue_service_token(
        ports.crypto,
        origin_key(&caller.keys),
        &config,
        caller.grant(),
        ports.rng,
        ports.now,
        ttl,
    )
    .await?;
    Ok(json!({ "token": token, "expires_at": expires_at }))
}
