//! What a launch granted, read from its claims: the registration, deployment,
//! and the AGS, NRPS and deep linking claims with their scopes.

use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::launch::claims::{DEEP_LINKING_SETTINGS, DEPLOYMENT_ID, MESSAGE_TYPE};
use crate::ports::KeyValue;
use crate::registration::{load_registration, registration_key, PlatformRegistration};

pub const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
pub const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";

/// OAuth 2 scopes of the LTI Advantage services.
pub mod scope {
    pub const LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
    pub const LINEITEM_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
    pub const RESULT_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
    pub const SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    pub const MEMBERSHIP_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
}

/// The verified launch claims behind a service call.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub lti: &'a Map<String, Value>,
}

/// The AGS endpoint claim (AGS 2.0 §3.1).
#[derive(Debug, Clone)]
pub struct AgsEndpoint {
    pub scope: Vec<String>,
    pub lineitems: Option<String>,
    pub lineitem: Option<String>,
}

impl AgsEndpoint {
    /// The first of `scopes` that the launch granted.
    pub fn require_any(&self, scopes: &[&'static str]) -> Result<&'static str> {
        scopes
            .iter()
            .find(|s| self.scope.iter().any(|g| g == *s))
            .copied()
            .ok_or(Error::ScopeNotGranted(scopes[0]))
    }
}

impl<'a> Grant<'a> {
    fn str(&self, name: &'static str, shown: &'static str) -> Result<&'a str> {
        self.lti
            .get(name)
            .and_then(Value::as_str)
            .ok_or(Error::ClaimNotGranted(shown))
    }

    /// `<iss>#<client_id>`: the client is `aud`, or `azp` when `aud` is a list.
    pub fn registration_key(&self) -> Result<String> {
        Ok(registration_key(self.str("iss", "iss")?, self.client_id()?))
    }

    /// The registration this launch acts for, as the store holds it now: the
    /// operator may have removed it, or its deployment, since the launch.
    /// Fails with [`Error::UnknownPlatform`] or [`Error::UnknownDeployment`].
    pub async fn registration(
        &self,
        platforms: &impl KeyValue,
    ) -> Result<Rc<PlatformRegistration>> {
        let (issuer, client_id) = (self.str("iss", "iss")?, self.client_id()?);
        let registration = load_registration(platforms, &registration_key(issuer, client_id))
            .await?
            .ok_or_else(|| Error::UnknownPlatform {
                issuer: issuer.to_owned(),
                client_id: Some(client_id.to_owned()),
            })?;
        let deployment_id = self.deployment_id()?;
        if !registration.has_deployment(deployment_id) {
            return Err(Error::UnknownDeployment(deployment_id.to_owned()));
        }
        Ok(registration)
    }

    pub fn client_id(&self) -> Result<&'a str> {
        match self.lti.get("aud") {
            Some(Value::String(aud)) => Ok(aud),
            _ => self.str("azp", "azp"),
        }
    }

    pub fn deployment_id(&self) -> Result<&'a str> {
        self.str(DEPLOYMENT_ID, "deployment_id")
    }

    pub fn user_id(&self) -> Option<&'a str> {
        self.lti.get("sub").and_then(Value::as_str)
    }

    pub fn ags(&self) -> Result<AgsEndpoint> {
        let claim = self.lti.get(AGS_ENDPOINT).and_then(Value::as_object);
        let claim = claim.ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint"))?;
        let text = |name: &str| claim.get(name).and_then(Value::as_str).map(str::to_owned);
        let scope = claim
            .get("scope")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        Ok(AgsEndpoint {
            scope: scope.filter_map(Value::as_str).map(str::to_owned).collect(),
            lineitems: text("lineitems"),
            lineitem: text("lineitem"),
        })
    }

    pub fn memberships_url(&self) -> Result<&'a str> {
        let claim = self.lti.get(NRPS).and_then(Value::as_object);
        claim
            .and_then(|c| c.get("context_memberships_url"))
            .and_then(Value::as_str)
            .ok_or(Error::ClaimNotGranted("lti-nrps/claim/namesroleservice"))
    }

    /// The deep linking settings, for a deep linking launch only.
    pub fn deep_linking_settings(&self) -> Result<&'a Map<String, Value>> {
        if self.lti.get(MESSAGE_TYPE).and_then(Value::as_str) != Some("LtiDeepLinkingRequest") {
            return Err(Error::ClaimNotGranted(
                "deep_linking_settings (not a deep linking launch)",
            ));
        }
        self.lti
            .get(DEEP_LINKING_SETTINGS)
            .and_then(Value::as_object)
            .ok_or(Error::ClaimNotGranted("deep_linking_settings"))
    }

    /// The claims a long-lived service token keeps: enough to post grades and
    /// read rosters for this launch, nothing else (no deep linking, no PII).
    pub fn service_subset(&self) -> Map<String, Value> {
        let keep = [
            "iss",
            "aud",
            "azp",
            "sub",
            DEPLOYMENT_ID,
            AGS_ENDPOINT,
            NRPS,
        ];
        let context = "https://purl.imsglobal.org/spec/lti/claim/context";
        self.lti
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()) || k.as_str() == context)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
