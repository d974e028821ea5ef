//! The normalized view of a launch: the members an origin reads most, beside
//! the raw `lti` claim of the assertion, so an origin needs no LTI claim URIs.
//! Computed once, when the launch is verified, and kept with the session.
//!
//! | member | source claim |
//! |---|---|
//! | `user.id` | `sub` |
//! | `user.name`, `given_name`, `family_name`, `email` | the OIDC claims of the same names |
//! | `user.roles` | `https://purl.imsglobal.org/spec/lti/claim/roles`, as short names ([`roles`]) |
//! | `user.role_uris` | `.../claim/roles`, every role as sent |
//! | `context` | `.../claim/context`: `id`, `label`, `title`, `type` |
//! | `resource_link` | `.../claim/resource_link`: `id`, `title`, `description` |
//! | `platform` | the registration and deployment the launch was verified for, and `.../claim/tool_platform`: `guid`, `name`, `product_family_code`, `version` |
//! | `message_type` | `.../claim/message_type`, as verified (a `minimal_claims` launch without it is `LtiResourceLinkRequest`) |
//! | `custom` | `.../claim/custom`, as sent |
//! | `launch_presentation` | `.../claim/launch_presentation`: `document_target`, `return_url`, `locale`, `width`, `height` |
//! | `services.grades` | `https://purl.imsglobal.org/spec/lti-ags/claim/endpoint` with the `score` scope and a `lineitem` |
//! | `services.line_items` | the AGS claim with `lineitems` and the `lineitem` or `lineitem.readonly` scope |
//! | `services.roster` | `https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice` with `context_memberships_url` |
//! | `services.deep_linking` | an `LtiDeepLinkingRequest` with `https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings` |
//!
//! A member whose claim is absent, or not of the type the specification gives
//! it, is omitted: the view never fails a launch that passed verification, and
//! `lti` stays the source of truth.
//!
//! The claims are read by name from the launch's parsed claims, borrowed, and
//! their members by hand: a derived `Deserialize`, even for one struct of the
//! claims, added 5 KB (one struct) to 13 KB (one per claim) of gzipped wasm to
//! a worker with a 300 KB budget; reading by hand costs about 5 KB.

pub mod roles;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Number, Value};

use crate::launch::claims::{AGS_ENDPOINT, DEEP_LINKING_SETTINGS, RESOURCE_LINK, ROLES};
use crate::launch::{ClientId, DeploymentId, Issuer, LaunchPlatform, MessageType};
use crate::services::grant::{scope, NRPS};

const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
const TOOL_PLATFORM: &str = "https://purl.imsglobal.org/spec/lti/claim/tool_platform";
const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";
const LAUNCH_PRESENTATION: &str = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation";

/// The id_token claims the view reads, each as sent, borrowed from the
/// verified claims; [`Value::Null`] when absent.
struct ViewClaims<'a> {
    user: [&'a Value; 5],
    roles: &'a Value,
    context: &'a Value,
    resource_link: &'a Value,
    tool_platform: &'a Value,
    custom: &'a Value,
    launch_presentation: &'a Value,
    ags: &'a Value,
    nrps: &'a Value,
    deep_linking_settings: &'a Value,
}

static ABSENT: Value = Value::Null;

impl<'a> ViewClaims<'a> {
    fn of(claims: &'a Value) -> Self {
        let claim = |name: &str| claims.get(name).unwrap_or(&ABSENT);
        ViewClaims {
            user: ["sub", "name", "given_name", "family_name", "email"].map(claim),
            roles: claim(ROLES),
            context: claim(CONTEXT),
            resource_link: claim(RESOURCE_LINK),
            tool_platform: claim(TOOL_PLATFORM),
            custom: claim(CUSTOM),
            launch_presentation: claim(LAUNCH_PRESENTATION),
            ags: claim(AGS_ENDPOINT),
            nrps: claim(NRPS),
            deep_linking_settings: claim(DEEP_LINKING_SETTINGS),
        }
    }
}

/// `user`: who launched.
#[derive(Debug, Serialize)]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Short names ([`roles::short_names`]); present when the roles claim is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<&'static str>>,
    /// Every role as sent; present when the roles claim is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_uris: Option<Vec<String>>,
}

/// `context`: the course (or other context) of the launch.
#[derive(Debug, Serialize)]
pub struct Context {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Context type URIs; a single string is read as a list of one.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Vec<String>>,
}

/// `resource_link`: the link in the course that was launched.
#[derive(Debug, Serialize)]
pub struct ResourceLink {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `platform`: the registration and deployment the launch was verified for
/// (never re-read from `iss`, `aud` or the deployment claim), and what the
/// `tool_platform` claim says.
#[derive(Debug, Serialize)]
pub struct Platform {
    pub issuer: Issuer,
    pub client_id: ClientId,
    pub deployment_id: DeploymentId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_family_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `launch_presentation`, as sent.
#[derive(Debug, Serialize)]
pub struct LaunchPresentation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<Number>,
}

/// `services`: which of the worker's service routes can serve this launch.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Services {
    /// `POST /lti/services/scores` for the launch's line item.
    pub grades: bool,
    /// `/lti/services/lineitems` and `/lti/services/lineitem`.
    pub line_items: bool,
    /// `GET /lti/services/members`.
    pub roster: bool,
    /// `POST /lti/services/deep-linking`.
    pub deep_linking: bool,
}

/// The normalized view of one launch.
#[derive(Debug, Serialize)]
pub struct LaunchView {
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_link: Option<ResourceLink>,
    pub platform: Platform,
    pub message_type: &'static str,
    /// The custom claim (an object), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_presentation: Option<LaunchPresentation>,
    pub services: Services,
}

impl LaunchView {
    /// The view of a verified launch: its claims, the registration and
    /// deployment it was verified for, and its message type.
    pub fn of(claims: &Value, platform: &LaunchPlatform, message_type: MessageType) -> Self {
        let claims = ViewClaims::of(claims);
        let tool = claims.tool_platform;
        LaunchView {
            user: user(&claims),
            context: claims.context.is_object().then(|| Context {
                id: member(claims.context, "id"),
                label: member(claims.context, "label"),
                title: member(claims.context, "title"),
                kind: string_list(&claims.context["type"]),
            }),
            resource_link: claims.resource_link.is_object().then(|| ResourceLink {
                id: member(claims.resource_link, "id"),
                title: member(claims.resource_link, "title"),
                description: member(claims.resource_link, "description"),
            }),
            platform: Platform {
                issuer: platform.issuer().clone(),
                client_id: platform.client_id().clone(),
                deployment_id: platform.deployment_id().clone(),
                guid: member(tool, "guid"),
                name: member(tool, "name"),
                product_family_code: member(tool, "product_family_code"),
                version: member(tool, "version"),
            },
            message_type: message_type.as_str(),
            services: services(&claims, message_type),
            custom: Some(claims.custom).filter(|c| c.is_object()).cloned(),
            launch_presentation: presentation(claims.launch_presentation),
        }
    }

    /// The view as JSON, to carry with the launch and its session.
    pub fn to_json(&self) -> LaunchViewJson {
        let text = serde_json::to_string(self).expect("the view serializes");
        LaunchViewJson(RawValue::from_string(text).expect("the view is JSON"))
    }
}

fn user(claims: &ViewClaims) -> User {
    let role_uris = claims.roles.as_array().map(|roles| strings(roles));
    let [id, name, given_name, family_name, email] = claims.user.map(text);
    User {
        id,
        name,
        given_name,
        family_name,
        email,
        roles: role_uris
            .as_ref()
            .map(|uris| roles::short_names(uris.iter().map(String::as_str))),
        role_uris,
    }
}

fn presentation(claim: &Value) -> Option<LaunchPresentation> {
    let number = |name| claim[name].as_number().cloned();
    claim.is_object().then(|| LaunchPresentation {
        document_target: member(claim, "document_target"),
        return_url: member(claim, "return_url"),
        locale: member(claim, "locale"),
        width: number("width"),
        height: number("height"),
    })
}

/// What the worker's service routes can do for a launch with these claims:
/// the same claims and scopes the routes require.
fn services(claims: &ViewClaims, message_type: MessageType) -> Services {
    let present = |claim: &Value, name| member(claim, name).is_some_and(|s| !s.is_empty());
    let ags = claims.ags;
    let granted = |wanted: &[&str]| {
        let mut scopes = ags["scope"].as_array().into_iter().flatten();
        scopes.any(|s| s.as_str().is_some_and(|s| wanted.contains(&s)))
    };
    Services {
        grades: granted(&[scope::SCORE]) && present(ags, "lineitem"),
        line_items: granted(&[scope::LINEITEM, scope::LINEITEM_READONLY])
            && present(ags, "lineitems"),
        roster: present(claims.nrps, "context_memberships_url"),
        deep_linking: message_type == MessageType::DeepLinking
            && present(claims.deep_linking_settings, "deep_link_return_url"),
    }
}

/// A [`LaunchView`] as JSON: an object, written once per launch and carried
/// verbatim into every assertion of the launch and its session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LaunchViewJson(Box<RawValue>);

impl LaunchViewJson {
    /// The JSON text: an object, whose members are top-level claims of the
    /// assertion (`user`, `context`, `platform`...).
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

/// The value when it is a string; `None` for anything else.
fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// `object[name]` when it is a string (`None` when `object` is no object).
fn member(object: &Value, name: &str) -> Option<String> {
    text(object.get(name)?)
}

/// A list of strings, or one string as a list of one; else `None`.
fn string_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(list) if list.iter().all(Value::is_string) => Some(strings(list)),
        _ => None,
    }
}

/// The strings of `values`, in order; anything else is left out.
fn strings(values: &[Value]) -> Vec<String> {
    values.iter().filter_map(text).collect()
}
