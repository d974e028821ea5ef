//! Claim checks shared by the token endpoint (client assertions) and the deep linking
//! return (responses): both are JWTs the worker signs with its own keys.

use serde_json::Value;

use crate::claims::now;
use crate::platform::State;

/// A non-empty string claim.
pub(crate) fn string_claim<'a>(claims: &'a Value, name: &str) -> Result<&'a str, String> {
    claims[name]
        .as_str()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| format!("{name}: missing or not a string"))
}

/// The deployment ids of `client_id` on the platform, if it is registered there
/// (fixed registrations and those made at run time alike).
pub(crate) fn registered_client(
    state: &State,
    platform: &str,
    client_id: &str,
) -> Result<Vec<String>, String> {
    state
        .directory
        .deployments(platform, client_id)
        .ok_or_else(|| format!("{client_id:?} is not a client_id registered on this platform"))
}

/// `aud` is `expected`, or an array that contains it (RFC 7519 allows both).
pub(crate) fn audience(claims: &Value, expected: &str) -> Result<(), String> {
    let found = match &claims["aud"] {
        Value::String(aud) => aud == expected,
        Value::Array(auds) => auds.iter().any(|aud| aud == expected),
        _ => false,
    };
    if found {
        Ok(())
    } else {
        Err(format!("aud: expected {expected:?}, got {}", claims["aud"]))
    }
}

/// `aud` is exactly `expected`, as a JSON string: platforms that document their own
/// token audience (Brightspace) accept nothing else, not even an array holding it.
pub(crate) fn string_audience(claims: &Value, expected: &str) -> Result<(), String> {
    match &claims["aud"] {
        Value::String(aud) if aud == expected => Ok(()),
        Value::String(aud) => Err(format!("aud: expected {expected:?}, got {aud:?}")),
        other => Err(format!("aud: must be the string {expected:?}, got {other}")),
    }
}

/// A NumericDate claim (possibly fractional, as RFC 7519 allows), in whole seconds.
pub(crate) fn time_claim(claims: &Value, name: &str) -> Result<i64, String> {
    claims[name]
        .as_f64()
        // Truncation is fine: second precision is all any check here needs.
        .map(|seconds| seconds as i64)
        .ok_or_else(|| format!("{name}: missing or not a number"))
}

/// `exp` is still in the future; returns it.
pub(crate) fn not_expired(claims: &Value) -> Result<i64, String> {
    let exp = time_claim(claims, "exp")?;
    if exp <= now_secs() {
        return Err(format!("exp: expired ({exp})"));
    }
    Ok(exp)
}

pub(crate) fn now_secs() -> i64 {
    i64::try_from(now()).unwrap_or(i64::MAX)
}
