//! The fixed platforms and tool registrations, as the worker's KV holds them.

use serde_json::{json, Value};

/// `(client_id, deployment_ids)` of one registration.
pub(crate) type Client = (&'static str, &'static [&'static str]);

/// Every platform with its registrations.
pub(crate) const PLATFORMS: &[(&str, &[Client])] = &[
    (
        "a",
        &[
            ("tool-a1", &["a1-dep-1", "a1-dep-2"]),
            ("tool-a2", &["a2-dep-1"]),
        ],
    ),
    ("b", &[("tool-b1", &["b1-dep-1"])]),
];

/// Registrations of one platform, or `None` for an unknown platform.
pub(crate) fn clients_of(
    platform: &str,
) -> Option<&'static [(&'static str, &'static [&'static str])]> {
    PLATFORMS
        .iter()
        .find(|(name, _)| *name == platform)
        .map(|(_, clients)| *clients)
}

pub(crate) fn issuer(base_url: &str, platform: &str) -> String {
    format!("{base_url}/{platform}")
}

/// One registration, exactly the KV value shape of the interface.
fn registration(issuer: &str, client_id: &str, deployment_ids: &[&str]) -> Value {
    json!({
        "issuer": issuer,
        "client_id": client_id,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "deployment_ids": deployment_ids,
    })
}

pub(crate) fn registrations(base_url: &str) -> Vec<Value> {
    PLATFORMS
        .iter()
        .flat_map(|(platform, clients)| {
            let issuer = issuer(base_url, platform);
            clients
                .iter()
                .map(move |(client, deps)| registration(&issuer, client, deps))
        })
        .collect()
}

/// A `wrangler kv bulk put` file: values are the registration JSON as strings.
pub(crate) fn kv_bulk_json(base_url: &str) -> String {
    let entries: Vec<Value> = registrations(base_url)
        .iter()
        .map(|reg| {
            let key = format!(
                "{}#{}",
                reg["issuer"].as_str().unwrap_or_default(),
                reg["client_id"].as_str().unwrap_or_default()
            );
            json!({"key": key, "value": reg.to_string()})
        })
        .collect();
    serde_json::to_string_pretty(&entries).expect("JSON serializes")
}
