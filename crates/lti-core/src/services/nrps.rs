//! Names and Role Provisioning Services 2.0: the context's members, every
//! page followed.

use serde_json::Value;

use super::grant::{scope, Grant};
use super::paging::all_pages;
use super::Platform;
use crate::error::Result;
use crate::ports::{Crypto, HttpClient, KeyValue};

pub const MEMBERSHIP_CONTAINER: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// Every member of the launch's context, as one list.
pub async fn members<K: KeyValue, H: HttpClient, C: Crypto>(
    platform: &Platform<'_, K, H, C>,
    grant: Grant<'_>,
) -> Result<Vec<Value>> {
    let url = grant.memberships_url()?;
    all_pages(
        platform,
        &[scope::MEMBERSHIP_READONLY],
        url,
        MEMBERSHIP_CONTAINER,
        |page| page.get("members").and_then(Value::as_array).cloned(),
    )
    .await
}
