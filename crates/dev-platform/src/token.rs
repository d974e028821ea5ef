//! `POST {issuer}/token`: OAuth 2.0 client_credentials with a JWT client assertion
//! (RFC 6749, RFC 7523, 1EdTech Security Framework 1.0 section 4.1).

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::advantage::Grant;
use crate::canvas;
use crate::checks::{self, now_secs, string_claim};
use crate::claims::SCOPES;
use crate::http::{param, Incoming, Reply};
use crate::keys::decode_segment;
use crate::platform::State;
use crate::registry::{Kind, BRIGHTSPACE_TOKEN_AUDIENCE};

const FORM: &str = "application/x-www-form-urlencoded";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest accepted client assertion lifetime (`exp - iat`), in seconds.
const MAX_LIFETIME: i64 = 300;
/// Tolerated clock skew for an `iat` in the future, in seconds.
const SKEW: i64 = 60;

/// An OAuth 2.0 error answer (RFC 6749 section 5.2).
struct OAuthError {
    status: u16,
    code: &'static str,
    description: String,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> OAuthError {
        // RFC 6749: a failed client authentication is a 401, every other error a 400.
        let status = if code == "invalid_client" { 401 } else { 400 };
        let description = description.into();
        OAuthError {
            status,
            code,
            description,
        }
    }
}

fn oauth_reply(status: u16, code: &str, description: &str) -> Reply {
    let body = json!({"error": code, "error_description": description});
    Reply::typed(status, "application/json", body.to_string())
        .with_header("Cache-Control", "no-store")
}

pub(crate) fn token(state: &State, platform: &str, req: &Incoming) -> Reply {
    state.advantage.record_user_agent(platform, req);
    let forced = state.advantage.with(platform, |ledger| {
        ledger.token_requests += 1;
        ledger.token_failure.clone()
    });
    if let Err(reply) = canvas::require_user_agent(state.kind(platform), req) {
        return reply;
    }
    if let Some((status, code)) = forced {
        return oauth_reply(
            status,
            &code,
            "failure forced by the dev platform's test switch",
        );
    }
    match grant(state, platform, req) {
        Ok(body) => Reply::json(body.to_string())
            .with_header("Cache-Control", "no-store")
            .with_header("Pragma", "no-cache"),
        Err(error) => oauth_reply(error.status, error.code, &error.description),
    }
}

fn grant(state: &State, platform: &str, req: &Incoming) -> Result<Value, OAuthError> {
    if req.media_type().as_deref() != Some(FORM) {
        return Err(OAuthError::new(
            "invalid_request",
            format!("Content-Type must be {FORM}"),
        ));
    }
    let form = req.form();
    check_grant_type(param(&form, "grant_type"))?;
    let assertion = client_assertion(&form)?;
    let client_id = check_assertion(state, platform, assertion).map_err(|reason| {
        OAuthError::new("invalid_client", format!("client_assertion: {reason}"))
    })?;
    let scopes = check_scopes(param(&form, "scope"))?;
    Ok(issue(state, platform, client_id, scopes))
}

fn check_grant_type(grant_type: Option<&str>) -> Result<(), OAuthError> {
    match grant_type {
        Some("client_credentials") => Ok(()),
        None | Some("") => Err(OAuthError::new("invalid_request", "grant_type: missing")),
        Some(other) => Err(OAuthError::new(
            "unsupported_grant_type",
            format!("grant_type: only client_credentials is supported, got {other:?}"),
        )),
    }
}

fn client_assertion(form: &[(String, String)]) -> Result<&str, OAuthError> {
    let missing = |name: &str| OAuthError::new("invalid_request", format!("{name}: missing"));
    let assertion_type = param(form, "client_assertion_type")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing("client_assertion_type"))?;
    if assertion_type != JWT_BEARER {
        return Err(OAuthError::new(
            "invalid_client",
            format!("client_assertion_type: expected {JWT_BEARER}"),
        ));
    }
    param(form, "client_assertion")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing("client_assertion"))
}

/// Verifies the client assertion; returns the authenticated client_id.
fn check_assertion(state: &State, platform: &str, token: &str) -> Result<String, String> {
    remember_assertion(state, platform, token);
    let (_, claims) = state.advantage.tool_keys.verify(token)?;
    let client_id = string_claim(&claims, "iss")?;
    if claims["sub"] != client_id {
        return Err(format!("sub: must equal iss {client_id:?}"));
    }
    checks::registered_client(state, platform, client_id).map_err(|e| format!("iss: {e}"))?;
    match state.kind(platform) {
        Kind::Brightspace => checks::string_audience(&claims, BRIGHTSPACE_TOKEN_AUDIENCE)?,
        _ => checks::audience(&claims, &format!("{}/token", state.issuer(platform)))?,
    }
    check_lifetime(&claims)?;
    claim_jti(state, platform, string_claim(&claims, "jti")?)?;
    Ok(client_id.to_string())
}

/// Kept before any check, so tests can inspect even a rejected assertion.
fn remember_assertion(state: &State, platform: &str, token: &str) {
    if let (Ok(header), Ok(claims)) = (decode_segment(token, 0), decode_segment(token, 1)) {
        state.advantage.with(platform, |ledger| {
            ledger.last_assertion = Some((header, claims));
        });
    }
}

fn check_lifetime(claims: &Value) -> Result<(), String> {
    let exp = checks::not_expired(claims)?;
    let iat = checks::time_claim(claims, "iat")?;
    if iat > now_secs() + SKEW {
        return Err(format!("iat: in the future ({iat})"));
    }
    if exp - iat > MAX_LIFETIME {
        return Err(format!(
            "exp: at most {MAX_LIFETIME} s after iat, got {} s",
            exp - iat
        ));
    }
    Ok(())
}

/// Marks the `jti` used; a second use is a replay.
fn claim_jti(state: &State, platform: &str, jti: &str) -> Result<(), String> {
    let fresh = state
        .advantage
        .with(platform, |ledger| ledger.seen_jtis.insert(jti.to_string()));
    if fresh {
        Ok(())
    } else {
        Err(format!("jti: {jti:?} was already used (replay)"))
    }
}

/// The requested scopes, de-duplicated in order; each must be one this platform offers.
fn check_scopes(scope: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for requested in scope.unwrap_or_default().split_whitespace() {
        if !SCOPES.contains(&requested) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("scope: {requested:?} is not offered"),
            ));
        }
        if !scopes.iter().any(|s| s == requested) {
            scopes.push(requested.to_string());
        }
    }
    if scopes.is_empty() {
        return Err(OAuthError::new("invalid_scope", "scope: missing"));
    }
    Ok(scopes)
}

fn issue(state: &State, platform: &str, client_id: String, scopes: Vec<String>) -> Value {
    let access_token = random_token();
    let scope = scopes.join(" ");
    let expires_in = state.advantage.with(platform, |ledger| {
        let grant = Grant {
            client_id,
            scopes,
            expires_at: SystemTime::now() + Duration::from_secs(ledger.expires_in),
        };
        ledger.grants.insert(access_token.clone(), grant);
        ledger.expires_in
    });
    json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    })
}

/// 256 random bits, base64url: unguessable, like a real platform's opaque tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}
