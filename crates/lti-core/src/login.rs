//! OIDC third-party login initiation (LTI 1.3 core §5.1.1, 1EdTech Security
//! Framework §5.1.1.1-2): validate the platform's request, mint `state` and
//! `nonce`, and answer with the authentication request.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::ids::RegistrationKey;
use crate::platform_storage::{mint_proof, StorageProof, StorageTarget};
use crate::ports::{KeyValue, Rng};
use crate::registration::PlatformRegistration;

/// How long a login may take before its launch arrives.
pub const LOGIN_TTL: u64 = 600;

/// The platform's login initiation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub iss: String,
    pub login_hint: String,
    pub target_link_uri: String,
    pub lti_message_hint: Option<String>,
    pub client_id: Option<String>,
    pub lti_deployment_id: Option<String>,
    /// The frame that answers LTI platform storage messages, when the
    /// platform offers storage (see [`crate::platform_storage`]).
    pub lti_storage_target: Option<StorageTarget>,
}

impl LoginRequest {
    /// Reads the parameters (query for GET, form body for POST).
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut p = Params::default();
        for (name, value) in params {
            let slot = match name {
                "iss" => &mut p.iss,
                "login_hint" => &mut p.login_hint,
                "target_link_uri" => &mut p.target_link_uri,
                "lti_message_hint" => &mut p.lti_message_hint,
                "client_id" => &mut p.client_id,
                // Some platforms send `deployment_id`; it means the same.
                "lti_deployment_id" | "deployment_id" => &mut p.lti_deployment_id,
                "lti_storage_target" => &mut p.lti_storage_target,
                _ => continue,
            };
            if !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        }
        Ok(Self {
            iss: p.iss.ok_or(Error::MissingParameter("iss"))?,
            login_hint: p.login_hint.ok_or(Error::MissingParameter("login_hint"))?,
            target_link_uri: p
                .target_link_uri
                .ok_or(Error::MissingParameter("target_link_uri"))?,
            lti_message_hint: p.lti_message_hint,
            client_id: p.client_id,
            lti_deployment_id: p.lti_deployment_id,
            lti_storage_target: p
                .lti_storage_target
                .as_deref()
                .map(StorageTarget::parse)
                .transpose()?,
        })
    }
}

#[derive(Default)]
struct Params {
    iss: Option<String>,
    login_hint: Option<String>,
    target_link_uri: Option<String>,
    lti_message_hint: Option<String>,
    client_id: Option<String>,
    lti_deployment_id: Option<String>,
    lti_storage_target: Option<String>,
}

/// What the tool remembers between login and launch, under `login:<state>`.
/// Fields added later are optional, so logins stored before them still parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    pub nonce: String,
    pub registration: RegistrationKey,
    pub target_link_uri: String,
    /// The login's `lti_deployment_id`, if it named one: the deployment of a
    /// minimal-claims launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lti_deployment_id: Option<String>,
    /// Set when the login used LTI platform storage, whereupon a launch
    /// without the state cookie must prove the login was its browser's:
    /// `<proof SHA-256, base64url> <lti_storage_target>` (the launch need not
    /// repeat the target: Blackboard does not). Never the proof itself. One
    /// string, not two fields: every launch reads the login, and each field
    /// costs the worker its own inlined parser. Read it with
    /// [`LoginState::platform_storage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_storage: Option<String>,
    /// The login's own parameters (`iss`, `login_hint`, `target_link_uri`,
    /// `lti_message_hint`, the registration's `client_id`,
    /// `lti_deployment_id`) as a `/lti/login` query: what starting it again
    /// in a new window needs. Absent from logins stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_query: Option<String>,
}

impl LoginState {
    /// The `lti_storage_target` and the proof's SHA-256, when the login used
    /// platform storage.
    pub fn platform_storage(&self) -> Option<(&str, &str)> {
        let (proof_sha256, target) = self.platform_storage.as_deref()?.split_once(' ')?;
        Some((target, proof_sha256))
    }

    /// `/lti/login` with this login's parameters, for a new top-level window
    /// (where the state cookie is first-party).
    pub fn new_window_url(&self, tool_base: &Url) -> Option<Url> {
        let mut url = tool_base.join("/lti/login").ok()?;
        url.set_query(Some(self.restart_query.as_deref()?));
        Some(url)
    }
}

/// The query of a new login like `request`. No `lti_storage_target`: a new
/// window needs no platform storage, and the login answers its `302`.
fn restart_query(request: &LoginRequest, registration: &PlatformRegistration) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("iss", &request.iss)
        .append_pair("login_hint", &request.login_hint)
        .append_pair("target_link_uri", &request.target_link_uri);
    let optional = [
        ("lti_message_hint", request.lti_message_hint.as_deref()),
        ("client_id", Some(registration.client_id().as_str())),
        ("lti_deployment_id", request.lti_deployment_id.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    query.finish()
}

/// The answer to a login: where to send the browser, and what to remember.
#[derive(Debug, Clone)]
pub struct LoginRedirect {
    /// The authentication request: the authorization endpoint with its query.
    pub location: String,
    pub state: String,
    pub login_state: LoginState,
    /// The value to put in the platform's storage, when the login offered it
    /// (`lti_storage_target`); [`crate::platform_storage::page::login_page`]
    /// writes it there.
    pub proof: Option<StorageProof>,
}

/// Builds the authentication request for a validated login.
/// `tool_base` is this tool's origin, e.g. `https://tool.example.com`.
pub fn initiate_login(
    request: &LoginRequest,
    registration: &PlatformRegistration,
    tool_base: &Url,
    rng: &dyn Rng,
) -> Result<LoginRedirect> {
    check_same_origin(&request.target_link_uri, tool_base, "target_link_uri")?;
    if let Some(deployment) = &request.lti_deployment_id {
        if !registration.has_deployment(deployment) {
            return Err(Error::UnknownDeployment(deployment.clone()));
        }
    }
    let state = random_token(rng);
    let nonce = random_token(rng);
    let location = authentication_request(request, registration, tool_base, &state, &nonce)?;
    let (proof, platform_storage) = match &request.lti_storage_target {
        Some(target) => {
            let (proof, hash) = mint_proof(rng);
            (Some(proof), Some(format!("{hash} {}", target.as_str())))
        }
        None => (None, None),
    };
    Ok(LoginRedirect {
        location: location.into(),
        state,
        login_state: LoginState {
            nonce,
            registration: registration.key(),
            target_link_uri: request.target_link_uri.clone(),
            lti_deployment_id: request.lti_deployment_id.clone(),
            platform_storage,
            restart_query: Some(restart_query(request, registration)),
        },
        proof,
    })
}

/// The authorization endpoint with the OIDC authentication request in its
/// query (LTI 1.3 core §5.1.1.2).
fn authentication_request(
    request: &LoginRequest,
    registration: &PlatformRegistration,
    tool_base: &Url,
    state: &str,
    nonce: &str,
) -> Result<Url> {
    let redirect_uri = tool_base
        .join("/lti/launch")
        .expect("a path joins a base URL");
    let mut location = Url::parse(registration.authorization_endpoint())
        .map_err(|e| Error::Config(format!("authorization_endpoint: {e}")))?;
    {
        let mut query = location.query_pairs_mut();
        query
            .append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", registration.client_id().as_str())
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("login_hint", &request.login_hint);
        if let Some(hint) = &request.lti_message_hint {
            query.append_pair("lti_message_hint", hint);
        }
        query
            .append_pair("state", state)
            .append_pair("nonce", nonce);
    }
    Ok(location)
}

/// Keeps the login until its launch arrives (at most [`LOGIN_TTL`]).
pub async fn save_login(store: &impl KeyValue, redirect: &LoginRedirect) -> Result<()> {
    let value = serde_json::to_string(&redirect.login_state).expect("login state serializes");
    Ok(store
        .put(&login_key(&redirect.state), &value, Some(LOGIN_TTL))
        .await?)
}

/// The login for `state`, claimed for one launch: the launch checks its
/// token against it, then removes it ([`finish_login`], issued together with
/// the origin request) once every check passed, or gives it back
/// ([`release_login`]) when one failed, so a token that fails cannot burn a
/// `state` in flight.
///
/// What "once" means is the store's [`KeyValue::claim`]. A Durable Object
/// claims atomically: of concurrent launches for one `state`, exactly one
/// gets the login, and the others fail with [`Error::StateUnknown`]. With
/// Workers KV a claim is a read, and the delete reaches other locations only
/// eventually (up to 60 s): launches of the same verified token within that
/// time may each succeed.
pub(crate) async fn claim_login(store: &impl KeyValue, state: &str) -> Result<LoginState> {
    let value = store
        .claim(&login_key(state))
        .await?
        .ok_or(Error::StateUnknown)?;
    serde_json::from_slice(value.as_bytes()).map_err(|_| Error::StateUnknown)
}

/// Gives back the login a launch claimed but did not use. Best effort: a
/// login that stays claimed only fails its own later launch, which the
/// platform can start again.
pub(crate) async fn release_login(store: &impl KeyValue, state: &str) {
    let _ = store.release(&login_key(state)).await;
}

/// Removes the login of a verified launch: it serves no other.
pub(crate) async fn finish_login(store: &impl KeyValue, state: &str) -> Result<()> {
    Ok(store.delete(&login_key(state)).await?)
}

fn login_key(state: &str) -> String {
    format!("login:{state}")
}

/// 256 random bits, base64url.
pub fn random_token(rng: &dyn Rng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    crate::b64::encode(bytes)
}

/// Whether `text` has the shape of a [`random_token`]: 43 base64url
/// characters. Anything else is not worth a store read.
pub(crate) fn is_random_token(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A URL must stay on this tool's scheme, host and port (no open redirect),
/// and be `http` or `https`: other schemes (`javascript:`, `data:`, `file:`)
/// are refused by name, not left to the origin comparison. Returns it parsed.
pub fn check_same_origin(url: &str, tool_base: &Url, name: &'static str) -> Result<Url> {
    let invalid = |reason: &str| Error::InvalidParameter {
        name,
        reason: reason.into(),
    };
    let url = Url::parse(url).map_err(|_| invalid("not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("not an http or https URL"));
    }
    if url.origin() == tool_base.origin() {
        Ok(url)
    } else {
        Err(Error::ForeignTarget(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_urls_that_are_not_http_by_name() {
        let tool = Url::parse("https://tool.example.com").unwrap();
        for url in [
            "javascript:alert(1)",
            "JavaScript://tool.example.com/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "blob:https://tool.example.com/x",
        ] {
            let err = check_same_origin(url, &tool, "target_link_uri").unwrap_err();
            assert!(
                matches!(&err, Error::InvalidParameter { name: "target_link_uri", reason } if reason.contains("http")),
                "{url}: {err:?}"
            );
        }
        assert!(check_same_origin("https://tool.example.com/x", &tool, "t").is_ok());
        assert!(matches!(
            check_same_origin("https://evil.example.com/x", &tool, "t"),
            Err(Error::ForeignTarget("t"))
        ));
    }
}
