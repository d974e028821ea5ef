//! Deployments seen under `"deployment_ids": ["*"]`. Such a registration
//! accepts every deployment of its client (Canvas creates one per
//! course-level install), so the operator learns of them from the store:
//! each verified launch records its deployment under
//! `deployment:<issuer>#<client_id>#<deployment_id>` in `LTI_STATE`, as
//! `{"first_seen": <unix s>, "last_seen": <unix s>}`, and
//! `wrangler kv key list --prefix deployment:` lists them.
//!
//! `last_seen` is coarse: an isolate writes a deployment at most once per
//! [`RECORD_INTERVAL`], so a warm launch costs no KV round trip. Concurrent
//! first writes from several isolates may each keep their own `first_seen`;
//! the difference is at most the seconds between them.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::launch::{LaunchPlatform, VerifiedLaunch};
use crate::ports::{KeyValue, Ports, Runtime};

/// At most one write per deployment and isolate in this many seconds.
pub const RECORD_INTERVAL: u64 = 3600;

/// What the store holds for a deployment seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSeen {
    pub first_seen: u64,
    pub last_seen: u64,
}

/// `deployment:<issuer>#<client_id>#<deployment_id>`.
pub fn deployment_key(platform: &LaunchPlatform) -> String {
    format!(
        "deployment:{}#{}",
        platform.registration_key(),
        platform.deployment_id()
    )
}

/// Records the deployment of `launch` when its registration is `["*"]`;
/// a registration listing its deployments records nothing.
pub async fn record_deployment<R: Runtime>(
    ports: &Ports<'_, R>,
    launch: &VerifiedLaunch,
) -> Result<()> {
    if !launch.registration().accepts_any_deployment() {
        return Ok(());
    }
    let key = deployment_key(launch.platform());
    // Apart from the store's cached entries, which hold other types.
    let recently = format!("recorded:{key}");
    if ports.cache.get::<()>(&recently, ports.now).is_some() {
        return Ok(());
    }
    let first_seen = match ports.store.get(&key).await? {
        // An entry that does not parse is replaced, as if unseen.
        Some(text) => serde_json::from_slice::<DeploymentSeen>(text.as_bytes())
            .map_or(ports.now, |seen| seen.first_seen),
        None => ports.now,
    };
    let seen = DeploymentSeen {
        first_seen,
        last_seen: ports.now,
    };
    let value = serde_json::to_string(&seen).expect("a record serializes");
    ports.store.put(&key, &value, None).await?;
    let until = ports.now + RECORD_INTERVAL;
    ports.cache.insert(&recently, Rc::new(()), until);
    Ok(())
}
