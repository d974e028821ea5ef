//! The fixed platform profiles and tool registrations, as the worker's KV holds them.
//!
//! Each profile is an issuer `{base_url}/{name}` that behaves like one real platform,
//! quirks included, so the worker is checked against what it will meet in the field.

use serde_json::{json, Map, Value};

/// `(client_id, deployment_ids)` of one registration.
pub(crate) type Client = (&'static str, &'static [&'static str]);

/// How a profile departs from the plain LTI 1.3 platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Platforms `a` and `b`: LTI 1.3 and Advantage by the book.
    Plain,
    /// Refuses API calls without a `User-Agent`; one deployment per course install.
    Canvas,
    /// Client assertions must name its documented token audience, as a string.
    Brightspace,
    /// POST login, a minimal id_token, scores posted to the line item URL itself.
    SkillsTown,
    /// Offers submission review launches.
    Moodle,
    /// Hosts LTI Dynamic Registration; its clients are created at run time.
    DynReg,
}

/// The `aud` Brightspace documents for client assertions (not its token endpoint URL).
pub const BRIGHTSPACE_TOKEN_AUDIENCE: &str = "https://api.brightspace.com/auth/token";
/// The `aud` of SkillsTown id_tokens: the customer's company name, not the client_id.
pub const SKILLSTOWN_AUDIENCE: &str = "Acme Training Ltd";
/// The SkillsTown client whose registration carries the SkillsTown fields.
pub(crate) const SKILLSTOWN_CLIENT: &str = "skillstown";
pub(crate) const SKILLSTOWN_DEPLOYMENT: &str = "skillstown-dep-1";

/// Every profile: name (the issuer path), kind, pre-registered clients.
pub(crate) const PROFILES: &[(&str, Kind, &[Client])] = &[
    (
        "a",
        Kind::Plain,
        &[
            ("tool-a1", &["a1-dep-1", "a1-dep-2"]),
            ("tool-a2", &["a2-dep-1"]),
        ],
    ),
    ("b", Kind::Plain, &[("tool-b1", &["b1-dep-1"])]),
    // `*`: Canvas creates a new deployment for every course-level install.
    ("canvas", Kind::Canvas, &[("canvas-tool", &["*"])]),
    (
        "brightspace",
        Kind::Brightspace,
        &[("brightspace-tool", &["brightspace-dep-1"])],
    ),
    (
        "skillstown",
        Kind::SkillsTown,
        &[
            (SKILLSTOWN_CLIENT, &[SKILLSTOWN_DEPLOYMENT]),
            // The same platform under a plain registration: shows the fields are needed.
            ("skillstown-strict", &[SKILLSTOWN_DEPLOYMENT]),
        ],
    ),
    (
        "moodle",
        Kind::Moodle,
        &[("moodle-tool", &["moodle-dep-1"])],
    ),
    // Not pre-registered: the tool registers itself.
    ("dynreg", Kind::DynReg, &[]),
];

/// The kind of a profile, or `None` for an unknown name.
pub(crate) fn kind_of(platform: &str) -> Option<Kind> {
    PROFILES
        .iter()
        .find(|(name, _, _)| *name == platform)
        .map(|(_, kind, _)| *kind)
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

/// The optional interface fields a profile's registration needs to work with the worker.
fn quirk_fields(kind: Kind, client_id: &str) -> Map<String, Value> {
    let fields = match (kind, client_id) {
        (Kind::Brightspace, _) => json!({"token_audience": BRIGHTSPACE_TOKEN_AUDIENCE}),
        (Kind::SkillsTown, SKILLSTOWN_CLIENT) => json!({
            "launch_audience": SKILLSTOWN_AUDIENCE,
            "minimal_claims": true,
            "scores_url": "lineitem",
        }),
        _ => json!({}),
    };
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub(crate) fn registrations(base_url: &str) -> Vec<Value> {
    PROFILES
        .iter()
        .flat_map(|(platform, kind, clients)| {
            let issuer = issuer(base_url, platform);
            clients.iter().map(move |(client, deps)| {
                let mut reg = registration(&issuer, client, deps);
                if let Some(members) = reg.as_object_mut() {
                    members.extend(quirk_fields(*kind, client));
                }
                reg
            })
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
