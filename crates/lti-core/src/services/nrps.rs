//! Names and Role Provisioning Services 2.0: the context's members, every
//! page followed.

use serde_json::Value;

use super::grant::{scope, Grant};
use super::paging::{next_link, same_origin, MAX_PAGES};
use super::token;
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::ports::{Crypto, HttpClient, HttpRequest, KeyValue, Ports};
use crate::registration::PlatformRegistration;

pub const MEMBERSHIP_CONTAINER: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// Every member of the launch's context, as one list.
pub async fn members<K: KeyValue, H: HttpClient, C: Crypto>(
    ports: &Ports<'_, K, H, C>,
    registration: &PlatformRegistration,
    key: &SigningKey,
    grant: Grant<'_>,
) -> Result<Vec<Value>> {
    let url = grant.memberships_url()?;
    all_pages(
        ports,
        registration,
        key,
        &[scope::MEMBERSHIP_READONLY],
        url,
        MEMBERSHIP_CONTAINER,
        |page| page.get("members").and_then(Value::as_array).cloned(),
    )
    .await
}

/// GETs `first` and every `rel="next"` page after it, collecting `items`.
pub async fn all_pages<K: KeyValue, H: HttpClient, C: Crypto>(
    ports: &Ports<'_, K, H, C>,
    registration: &PlatformRegistration,
    key: &SigningKey,
    scopes: &[&str],
    first: &str,
    accept: &str,
    items: impl Fn(Value) -> Option<Vec<Value>>,
) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    let mut next = Some(first.to_owned());
    for _ in 0..MAX_PAGES {
        let Some(url) = next.take() else {
            return Ok(all);
        };
        let request = HttpRequest::get(&url).header("accept", accept);
        let response = token::call(ports, registration, key, scopes, &request).await?;
        let page: Value = serde_json::from_slice(&response.body)
            .map_err(|_| Error::PlatformUnavailable(format!("{url} answered no JSON")))?;
        all.extend(
            items(page)
                .ok_or_else(|| Error::PlatformUnavailable(format!("{url} answered no list")))?,
        );
        next = match response.header("link").and_then(next_link) {
            Some(n) if same_origin(first, &n) => Some(n),
            Some(_) => {
                return Err(Error::PlatformUnavailable(
                    "a next page on another host".into(),
                ))
            }
            None => None,
        };
    }
    Err(Error::PlatformUnavailable(format!(
        "more than {MAX_PAGES} pages"
    )))
}
