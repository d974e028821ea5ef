//! `/lti/services/*`: LTI Advantage for the origin, which calls server to
//! server with `Authorization: Bearer <assertion or service token>`. Who may
//! call is the core's decision ([`authorize`]); this module translates.

use lti_core::services::{ags, authorize, deep_linking, nrps, parse_payload, MAX_PAYLOAD_BYTES};
use serde_json::{json, Map, Value};
use url::Url;
use worker::{Headers, Method, Response};

use crate::context::{Incoming, Runtime};
use crate::response::Failure;

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
    let ports = runtime.ports();
    let authorization = req.headers.get("authorization")?;
    let private_key = runtime.config().private_key.as_deref();
    let config = runtime.assertion_config();
    let caller = authorize(&ports, private_key, &config, authorization.as_deref()).await?;
    let (grant, key) = (caller.grant(), caller.platform_key());
    let platform = caller.platform(&ports);
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
        (Method::Post, "/lti/services/token") => {
            let ttl = runtime.config().service_token_ttl;
            let (token, expires_at) = caller.issue_service_token(&ports, &config, ttl).await?;
            (200, json!({ "token": token, "expires_at": expires_at }))
        }
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
