//! What a launch granted: the registration and deployment it acts for, as
//! carried with it since it was verified, and the AGS, NRPS and deep linking
//! claims with their scopes, read from its claims.

use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
pub use crate::launch::claims::AGS_ENDPOINT;
use crate::launch::claims::{DEEP_LINKING_SETTINGS, DEPLOYMENT_ID, MESSAGE_TYPE};
use crate::launch::LaunchPlatform;
use crate::ports::KeyValue;
use crate::registration::PlatformRegistration;

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

/// The verified launch behind a service call: its claims, and the
/// registration and deployment it acts for.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub lti: &'a Map<String, Value>,
    pub platform: &'a LaunchPlatform,
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
    /// `<issuer>#<client_id>` of the registration this launch acts for.
    pub fn registration_key(&self) -> crate::ids::RegistrationKey {
        self.platform.registration_key()
    }

    /// The registration this launch acts for, as the store holds it now: the
    /// operator may have removed it, or its deployment, since the launch.
    /// Fails with [`Error::UnknownPlatform`] or [`Error::UnknownDeployment`].
    pub async fn registration(
        &self,
        platforms: &impl KeyValue,
    ) -> Result<Rc<PlatformRegistration>> {
        self.platform.registration(platforms).await
    }

    /// The registration's issuer (never re-read from `iss`).
    pub fn issuer(&self) -> &'a str {
        self.platform.issuer().as_str()
    }

    /// The registration's client_id (never re-read from `aud` or `azp`).
    pub fn client_id(&self) -> &'a str {
        self.platform.client_id().as_str()
    }

    /// The deployment the launch was verified for (from the claim, or for a
    /// minimal-claims launch from the login).
    pub fn deployment_id(&self) -> &'a str {
        self.platform.deployment_id().as_str()
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
        // Inserted one by one rather than collected: collecting into a map
        // sorts its input, code the worker would carry for this call alone.
        let mut subset = Map::new();
        for (k, v) in self.lti {
            if keep.contains(&k.as_str()) || k.as_str() == context {
                subset.insert(k.clone(), v.clone());
            }
        }
        subset
    }
}
