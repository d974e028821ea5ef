//! Platform registrations: one KV entry per (issuer, client_id), parsed and
//! validated once, so the rest of the core can trust every field.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::ids::{ClientId, DeploymentId, Issuer, RegistrationKey};
use crate::ports::KeyValue;

/// The `deployment_ids` entry that accepts every deployment of the client.
pub(crate) const ANY_DEPLOYMENT: &str = "*";

/// One registration of this tool on a platform, obtained only through
/// [`PlatformRegistration::parse`], so every field has been validated.
///
/// The optional fields are platform quirks, each off by default and each
/// loosening only what it names: signature, `iss`, `exp`, nonce and state
/// checks never loosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PlatformRegistration(Fields);

/// The stored JSON, as operators write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    issuer: Issuer,
    client_id: ClientId,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// The registered deployments, or exactly `["*"]` for every deployment.
    deployment_ids: Vec<DeploymentId>,
    /// The `aud` of client assertions sent to the token endpoint, when the
    /// platform documents one other than `token_endpoint` (Brightspace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_audience: Option<String>,
    /// The `aud` this platform puts in its id_tokens instead of the client_id
    /// (SkillsTown: the customer's company name); accepted in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    launch_audience: Option<String>,
    /// Accept id_tokens without the LTI message claims as resource link
    /// launches, taking deployment and target from the login (SkillsTown).
    #[serde(default, skip_serializing_if = "is_false")]
    minimal_claims: bool,
    /// Where scores are POSTed, when not to `<lineitem>/scores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scores_url: Option<ScoresUrl>,
}

/// Where a platform takes scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoresUrl {
    /// The line item URL itself (SkillsTown's already ends in `/scores`).
    Lineitem,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl PlatformRegistration {
    /// Parses the registration stored under `key`; unknown fields, unsafe
    /// endpoints and a key other than `<issuer>#<client_id>` are errors.
    pub fn parse(key: &str, json: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidRegistration {
            key: key.to_owned(),
            reason,
        };
        let reg: Fields =
            serde_json::from_slice(json.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        if reg.issuer.as_str().is_empty() || reg.client_id.as_str().is_empty() {
            return Err(invalid("issuer and client_id must not be empty".into()));
        }
        if RegistrationKey::of(reg.issuer.as_str(), reg.client_id.as_str()).as_str() != key {
            return Err(invalid("issuer and client_id do not match the key".into()));
        }
        check_deployment_ids(&reg.deployment_ids).map_err(invalid)?;
        for (field, value) in [
            ("token_audience", &reg.token_audience),
            ("launch_audience", &reg.launch_audience),
        ] {
            if value.as_deref() == Some("") {
                return Err(invalid(format!("{field} must not be empty when present")));
            }
        }
        for (field, url) in [
            ("authorization_endpoint", &reg.authorization_endpoint),
            ("token_endpoint", &reg.token_endpoint),
            ("jwks_uri", &reg.jwks_uri),
        ] {
            check_endpoint(url).map_err(|reason| invalid(format!("{field}: {reason}")))?;
        }
        Ok(Self(reg))
    }

    pub fn key(&self) -> RegistrationKey {
        RegistrationKey::of(self.0.issuer.as_str(), self.0.client_id.as_str())
    }

    pub fn issuer(&self) -> &Issuer {
        &self.0.issuer
    }

    pub fn client_id(&self) -> &ClientId {
        &self.0.client_id
    }

    pub fn authorization_endpoint(&self) -> &str {
        &self.0.authorization_endpoint
    }

    pub fn token_endpoint(&self) -> &str {
        &self.0.token_endpoint
    }

    pub fn jwks_uri(&self) -> &str {
        &self.0.jwks_uri
    }

    /// The registered deployments, or exactly `["*"]` for every deployment.
    pub fn deployment_ids(&self) -> &[DeploymentId] {
        &self.0.deployment_ids
    }

    /// The `aud` of client assertions sent to the token endpoint, when the
    /// platform documents one other than `token_endpoint` (Brightspace).
    pub fn token_audience(&self) -> Option<&str> {
        self.0.token_audience.as_deref()
    }

    /// The `aud` this platform puts in its id_tokens instead of the client_id.
    pub fn launch_audience(&self) -> Option<&str> {
        self.0.launch_audience.as_deref()
    }

    /// Whether id_tokens without the LTI message claims are resource link launches.
    pub fn minimal_claims(&self) -> bool {
        self.0.minimal_claims
    }

    pub fn scores_url(&self) -> Option<ScoresUrl> {
        self.0.scores_url
    }

    /// Whether `deployment_id` is registered: listed, or any under `["*"]`.
    pub fn has_deployment(&self, deployment_id: &str) -> bool {
        self.accepts_any_deployment()
            || self
                .0
                .deployment_ids
                .iter()
                .any(|d| d.as_str() == deployment_id)
    }

    /// Whether `deployment_ids` is `["*"]`: every deployment of the client.
    pub(crate) fn accepts_any_deployment(&self) -> bool {
        matches!(&self.0.deployment_ids[..], [only] if only.as_str() == ANY_DEPLOYMENT)
    }
}

/// At least one deployment, and `"*"` only on its own.
fn check_deployment_ids(ids: &[DeploymentId]) -> std::result::Result<(), String> {
    if ids.is_empty() {
        return Err("deployment_ids must list at least one deployment".into());
    }
    if ids.len() > 1 && ids.iter().any(|d| d.as_str() == ANY_DEPLOYMENT) {
        return Err(
            r#"deployment_ids: "*" accepts every deployment and must be the only entry"#.into(),
        );
    }
    if ids.iter().any(|d| d.as_str().is_empty()) {
        return Err("deployment_ids must not contain an empty id".into());
    }
    Ok(())
}

/// Endpoints must be `https`, except on loopback hosts used in development.
pub fn check_endpoint(url: &str) -> std::result::Result<(), String> {
    let url = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err("must use https (plain http only on 127.0.0.1 or localhost)".into()),
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// Finds the registration for a login. With no `client_id`, the issuer must
/// have exactly one registration.
pub async fn find_registration(
    platforms: &impl KeyValue,
    issuer: &str,
    client_id: Option<&str>,
) -> Result<Rc<PlatformRegistration>> {
    let key = match client_id {
        Some(client_id) => RegistrationKey::of(issuer, client_id),
        None => sole_registration_key(platforms, issuer).await?,
    };
    load_registration(platforms, &key)
        .await?
        .ok_or_else(|| Error::UnknownPlatform {
            issuer: issuer.to_owned(),
            client_id: client_id.map(str::to_owned),
        })
}

async fn sole_registration_key(platforms: &impl KeyValue, issuer: &str) -> Result<RegistrationKey> {
    let mut keys = platforms
        .list(RegistrationKey::of(issuer, "").as_str(), 2)
        .await?;
    match keys.len() {
        1 => Ok(RegistrationKey::new(keys.remove(0))),
        0 => Err(Error::UnknownPlatform {
            issuer: issuer.to_owned(),
            client_id: None,
        }),
        _ => Err(Error::AmbiguousPlatform(issuer.to_owned())),
    }
}

/// Loads and validates the registration stored under `key`, if any. Shared,
/// not copied: a warm isolate keeps it parsed in its memory cache.
pub(crate) async fn load_registration(
    platforms: &impl KeyValue,
    key: &RegistrationKey,
) -> Result<Option<Rc<PlatformRegistration>>> {
    let parse = |json: &str| PlatformRegistration::parse(key.as_str(), json);
    platforms.get_parsed(key.as_str(), parse).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(jwks_uri: &str) -> String {
        format!(
            r#"{{"issuer":"https://lms.example.edu","client_id":"c1",
            "authorization_endpoint":"https://lms.example.edu/auth",
            "token_endpoint":"https://lms.example.edu/token",
            "jwks_uri":"{jwks_uri}","deployment_ids":["d1"]}}"#
        )
    }

    #[test]
    fn parses_a_valid_registration() {
        let reg = PlatformRegistration::parse(
            "https://lms.example.edu#c1",
            &json("https://lms.example.edu/jwks"),
        )
        .unwrap();
        assert!(reg.has_deployment("d1"));
        assert!(!reg.has_deployment("d2"));
    }

    #[test]
    fn rejects_plain_http_off_loopback() {
        let err = PlatformRegistration::parse(
            "https://lms.example.edu#c1",
            &json("http://lms.example.edu/jwks"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("jwks_uri"), "{err}");
        assert!(check_endpoint("http://127.0.0.1:9001/jwks").is_ok());
        assert!(check_endpoint("http://localhost/jwks").is_ok());
    }

    #[test]
    fn rejects_unknown_fields() {
        let with_extra = json("https://lms.example.edu/jwks").replace("\"c1\",", "\"c1\",\"x\":1,");
        let err = PlatformRegistration::parse("https://lms.example.edu#c1", &with_extra);
        assert!(err.unwrap_err().to_string().contains("unknown field `x`"));
    }

    const KEY: &str = "https://lms.example.edu#c1";

    /// The valid registration with `extra` members added.
    fn with(extra: &str) -> String {
        json("https://lms.example.edu/jwks").replace("\"c1\",", &format!("\"c1\",{extra},"))
    }

    fn with_deployments(ids: &str) -> String {
        json("https://lms.example.edu/jwks").replace(r#"["d1"]"#, ids)
    }

    #[test]
    fn quirk_fields_default_to_off() {
        let reg = PlatformRegistration::parse(KEY, &json("https://lms.example.edu/jwks")).unwrap();
        assert_eq!(reg.token_audience(), None);
        assert_eq!(reg.launch_audience(), None);
        assert!(!reg.minimal_claims());
        assert_eq!(reg.scores_url(), None);
        let stored = serde_json::to_value(&reg).unwrap();
        for field in [
            "token_audience",
            "launch_audience",
            "minimal_claims",
            "scores_url",
        ] {
            assert!(stored.get(field).is_none(), "{field} serialized while off");
        }
    }

    #[test]
    fn parses_each_quirk_field() {
        let reg = PlatformRegistration::parse(
            KEY,
            &with(
                r#""token_audience":"https://auth.brightspace.com/core/connect/token",
                "launch_audience":"Acme Corp","minimal_claims":true,"scores_url":"lineitem""#,
            ),
        )
        .unwrap();
        assert_eq!(
            reg.token_audience(),
            Some("https://auth.brightspace.com/core/connect/token")
        );
        assert_eq!(reg.launch_audience(), Some("Acme Corp"));
        assert!(reg.minimal_claims());
        assert_eq!(reg.scores_url(), Some(ScoresUrl::Lineitem));
        let again = serde_json::to_string(&reg).unwrap();
        assert_eq!(PlatformRegistration::parse(KEY, &again).unwrap(), reg);
    }

    #[test]
    fn rejects_an_unknown_scores_url() {
        let err = PlatformRegistration::parse(KEY, &with(r#""scores_url":"elsewhere""#));
        assert!(err.unwrap_err().to_string().contains("elsewhere"));
    }

    #[test]
    fn rejects_empty_audiences() {
        for field in ["token_audience", "launch_audience"] {
            let err = PlatformRegistration::parse(KEY, &with(&format!(r#""{field}":"""#)));
            let err = err.unwrap_err().to_string();
            assert!(err.contains(field) && err.contains("empty"), "{err}");
        }
    }

    #[test]
    fn star_accepts_every_deployment() {
        let reg = PlatformRegistration::parse(KEY, &with_deployments(r#"["*"]"#)).unwrap();
        assert!(reg.accepts_any_deployment());
        assert!(reg.has_deployment("d1"));
        assert!(reg.has_deployment("42:abc"));
    }

    #[test]
    fn star_is_only_a_wildcard_on_its_own() {
        let err = PlatformRegistration::parse(KEY, &with_deployments(r#"["d1","*"]"#));
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains(r#""*""#) && err.contains("only entry"),
            "{err}"
        );
        let listed =
            PlatformRegistration::parse(KEY, &json("https://lms.example.edu/jwks")).unwrap();
        assert!(!listed.accepts_any_deployment());
        assert!(!listed.has_deployment("*"));
    }

    #[test]
    fn rejects_empty_deployment_lists_and_ids() {
        for ids in ["[]", r#"[""]"#] {
            let err = PlatformRegistration::parse(KEY, &with_deployments(ids));
            assert!(
                matches!(err, Err(Error::InvalidRegistration { .. })),
                "{ids}"
            );
        }
    }

    #[test]
    fn rejects_a_key_that_does_not_match() {
        let err = PlatformRegistration::parse("https://other#c1", &json("https://a/jwks"));
        assert!(matches!(err, Err(Error::InvalidRegistration { .. })));
    }
}
