//! LTI Advantage for the origin: the origin presents an assertion the worker
//! issued as a bearer token; the worker acts for that launch only, with a
//! platform access token it obtains and caches itself.

pub mod ags;
pub mod caller;
pub mod deep_linking;
pub mod grant;
pub mod nrps;
pub mod paging;
pub mod token;

pub use caller::{authorize, Caller};
pub use grant::Grant;

use crate::keys::SigningKey;
use crate::ports::{Ports, Runtime};
use crate::registration::PlatformRegistration;

/// A platform's services as the worker calls them: through `ports`, for
/// `registration`, authenticated by client assertions signed with `key`.
pub struct Platform<'a, R: Runtime> {
    pub ports: &'a Ports<'a, R>,
    pub registration: &'a PlatformRegistration,
    pub key: &'a SigningKey,
}

/// A JSON payload from the origin larger than this is refused unread.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

use crate::error::{Error, Result};

/// An error for a payload field.
pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidPayload {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses an origin's JSON payload into an object.
pub fn parse_payload(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>> {
    if body.len() > MAX_PAYLOAD_BYTES {
        return Err(Error::BodyTooLarge {
            what: "payload",
            limit: MAX_PAYLOAD_BYTES,
        });
    }
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("body", "must be a JSON object")),
        Err(e) => Err(invalid("body", format!("not JSON ({e})"))),
    }
}

/// `base` with the origin's `query` parameters named in `allowed` appended
/// in the origin's order, as filters for the platform. The URL's own query
/// stays; with nothing to add, `base` is sent exactly as the launch gave it.
pub(crate) fn with_filters(
    base: &str,
    query: &[(String, String)],
    allowed: &[&str],
) -> Result<String> {
    let mut filters = query
        .iter()
        .filter(|(name, _)| allowed.contains(&name.as_str()))
        .peekable();
    if filters.peek().is_none() {
        return Ok(base.to_owned());
    }
    let mut url = url::Url::parse(base).map_err(|_| {
        Error::PlatformUnavailable("a service URL of the launch is not a URL".into())
    })?;
    url.query_pairs_mut().extend_pairs(filters);
    Ok(url.into())
}
