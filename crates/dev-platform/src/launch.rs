//! A launch, platform side: third-party login initiation towards the tool (`start`),
//! then the OIDC authorization endpoint answering with a signed id_token (`authorize`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::claims::USER_ID;
use crate::http::{auto_post_form, encode_query, param, Reply};
use crate::platform::{lock, LaunchFields, Params, State};
use crate::registry::Kind;
use crate::skillstown;

pub(crate) const RESOURCE_LINK: &str = "LtiResourceLinkRequest";

/// The opaque `lti_message_hint`: what the authorize step needs to rebuild the launch.
#[derive(Serialize, Deserialize)]
struct MessageHint {
    client_id: String,
    deployment_id: String,
    message_type: String,
    target_link_uri: String,
}

impl MessageHint {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("hint serializes"))
    }

    fn decode(text: &str) -> Option<MessageHint> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// `GET {issuer}/start?client_id=..&deployment_id=..[&message_type=..][&method=post]
/// [&lti_storage_target=..]` (the last passed on to the tool, for platform storage).
/// Canvas without `deployment_id`: a new course install, so a new deployment.
/// SkillsTown: always its own POST login, whatever the query says.
pub(crate) fn start(state: &State, platform: &str, query: &[(String, String)]) -> Reply {
    let kind = state.kind(platform);
    let Some(client_id) = param(query, "client_id") else {
        return Reply::text(400, "start: client_id is required\n");
    };
    if kind == Kind::SkillsTown {
        return skillstown_login(state, platform, client_id);
    }
    let deployment_id = match (param(query, "deployment_id"), kind) {
        (Some(deployment_id), _) => deployment_id.to_string(),
        (None, Kind::Canvas) => state.new_course_deployment(client_id),
        (None, _) => return Reply::text(400, "start: deployment_id is required\n"),
    };
    let message_type = param(query, "message_type").unwrap_or(RESOURCE_LINK);
    let target_link_uri = param(query, "target_link_uri")
        .map_or_else(|| state.default_target(message_type), str::to_string);
    let hint = MessageHint {
        client_id: client_id.to_string(),
        deployment_id: deployment_id.clone(),
        message_type: message_type.to_string(),
        target_link_uri: target_link_uri.clone(),
    };
    let mut fields = vec![
        ("iss", state.issuer(platform)),
        ("login_hint", USER_ID.to_string()),
        ("target_link_uri", target_link_uri),
        ("lti_message_hint", hint.encode()),
        ("client_id", client_id.to_string()),
        ("lti_deployment_id", deployment_id),
    ];
    if let Some(target) = param(query, "lti_storage_target") {
        fields.push(("lti_storage_target", target.to_string()));
    }
    let login = format!("{}/lti/login", state.tool_base);
    if param(query, "method") == Some("post") {
        Reply::html(200, auto_post_form("Starting LTI launch", &login, &fields))
    } else {
        Reply::redirect(format!("{login}?{}", encode_query(&fields)))
    }
}

/// SkillsTown's login: a form POSTed to the tool, never a redirect.
fn skillstown_login(state: &State, platform: &str, client_id: &str) -> Reply {
    let login = format!("{}/lti/login", state.tool_base);
    let fields = skillstown::login_form(&state.issuer(platform), &state.tool_base, client_id);
    let fields: Vec<(&str, String)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    Reply::html(
        200,
        auto_post_form("Starting SkillsTown launch", &login, &fields),
    )
}

/// OIDC authorization endpoint: checks the request, answers with a signed launch.
pub(crate) fn authorize(state: &State, platform: &str, params: Params) -> Reply {
    lock(&state.authorize_log).push(params.clone());
    match check_authorize(state, platform, &params) {
        Ok(request) => Reply::html(200, launch_form(state, platform, &request)),
        Err(failure) => Reply::text(400, format!("invalid authorization request: {failure}\n")),
    }
}

/// The parts of a valid authorization request the launch is built from.
struct AuthorizeRequest<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    /// `None` for SkillsTown, which sends no hint and needs none: its id_token carries
    /// no deployment, message type or target.
    hint: Option<MessageHint>,
    nonce: &'a str,
    state: &'a str,
}

fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    param(params, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name}: missing"))
}

fn check_fixed(params: &[(String, String)]) -> Result<(), String> {
    let fixed = [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
    ];
    for (name, expected) in fixed {
        let value = required(params, name)?;
        if value != expected {
            return Err(format!("{name}: expected {expected:?}, got {value:?}"));
        }
    }
    Ok(())
}

fn check_authorize<'a>(
    state: &State,
    platform: &str,
    params: &'a [(String, String)],
) -> Result<AuthorizeRequest<'a>, String> {
    check_fixed(params)?;
    let client_id = required(params, "client_id")?;
    if state.directory.deployments(platform, client_id).is_none() {
        return Err(format!("client_id: {client_id:?} is not registered here"));
    }
    let redirect_uri = required(params, "redirect_uri")?;
    let expected = format!("{}/lti/launch", state.tool_base);
    if redirect_uri != expected {
        return Err(format!(
            "redirect_uri: expected {expected:?}, got {redirect_uri:?}"
        ));
    }
    if required(params, "login_hint")? != USER_ID {
        return Err("login_hint: unknown user".into());
    }
    let hint = match state.kind(platform) {
        Kind::SkillsTown => None,
        _ => Some(check_hint(
            required(params, "lti_message_hint")?,
            client_id,
        )?),
    };
    Ok(AuthorizeRequest {
        client_id,
        redirect_uri,
        hint,
        nonce: required(params, "nonce")?,
        state: required(params, "state")?,
    })
}

fn check_hint(text: &str, client_id: &str) -> Result<MessageHint, String> {
    let hint = MessageHint::decode(text).ok_or("lti_message_hint: not decodable")?;
    if hint.client_id != client_id {
        return Err("lti_message_hint: issued for another client_id".into());
    }
    Ok(hint)
}

fn launch_form(state: &State, platform: &str, request: &AuthorizeRequest<'_>) -> String {
    let claims = match &request.hint {
        Some(hint) => state.launch_claims(
            platform,
            &LaunchFields {
                client_id: request.client_id,
                deployment_id: &hint.deployment_id,
                message_type: &hint.message_type,
                nonce: request.nonce,
                target_link_uri: &hint.target_link_uri,
            },
        ),
        None => skillstown::claims(&state.issuer(platform), request.nonce),
    };
    let fields = [
        ("id_token", state.sign_id_token(platform, &claims)),
        ("state", request.state.to_string()),
    ];
    auto_post_form("Launching tool", request.redirect_uri, &fields)
}
