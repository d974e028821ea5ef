//! What a launch granted: the registration and deployment it acts for, as
//! carried with it since it was verified, and the AGS, NRPS and deep linking
//! claims with their scopes, read from its claims.

use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
pub use crate::launch::claims::AGS_ENDPOINT;
use crate::launch::claims::{Claim, CONTEXT, DEEP_LINKING_SETTINGS, DEPLOYMENT_ID};
use crate::launch::{LaunchClaims, LaunchPlatform, MessageType};
use crate::ports::KeyValue;
use crate::registration::PlatformRegistration;

pub use crate::launch::claims::NRPS;

/// OAuth 2 scopes of the LTI Advantage services.
pub mod scope {
    pub const LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
    pub const LINEITEM_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
    pub(crate) const RESULT_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
    pub const SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    pub(crate) const MEMBERSHIP_READONLY: &str =
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
}

/// The verified launch behind a service call: its claims, and the
/// registration and deployment it acts for. Only a verified bearer
/// ([`crate::assertion::AssertionClaims::grant`]) gives one.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    lti: &'a Map<String, Value>,
    platform: &'a LaunchPlatform,
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
    pub(crate) fn require_any(&self, scopes: &[&'static str]) -> Result<&'static str> {
        scopes
            .iter()
            .find(|s| self.scope.iter().any(|g| g == *s))
            .copied()
            .ok_or(Error::ScopeNotGranted(scopes[0]))
    }
}

impl<'a> Grant<'a> {
    pub(crate) fn of(lti: &'a Map<String, Value>, platform: &'a LaunchPlatform) -> Self {
        Self { lti, platform }
    }

    /// The launch's claims, as the bearer carries them.
    pub fn lti(&self) -> &'a Map<String, Value> {
        self.lti
    }

    /// The registration and deployment the launch acts for.
    pub fn platform(&self) -> &'a LaunchPlatform {
        self.platform
    }

    /// The claims the services read, typed.
    fn claims(&self) -> LaunchClaims<'a> {
        LaunchClaims::read(self.lti)
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
        self.claims().sub.string()
    }

    pub fn ags(&self) -> Result<AgsEndpoint> {
        let claims = self.claims();
        let claim = claims.ags_endpoint.object();
        let claim = claim.ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint"))?;
        let text = |c: &Claim| c.string().map(str::to_owned);
        let scope = match &claim.scope {
            Claim::Array(scope) => scope.iter().filter_map(text).collect(),
            _ => Vec::new(),
        };
        Ok(AgsEndpoint {
            scope,
            lineitems: text(&claim.lineitems),
            lineitem: text(&claim.lineitem),
        })
    }

    pub(crate) fn memberships_url(&self) -> Result<&'a str> {
        let claims = self.claims();
        let claim = claims.nrps.object();
        claim
            .and_then(|c| c.context_memberships_url.string())
            .ok_or(Error::ClaimNotGranted("lti-nrps/claim/namesroleservice"))
    }

    /// The deep linking settings, for a deep linking launch only. Returned as
    /// received: the response copies their `data` back verbatim.
    pub fn deep_linking_settings(&self) -> Result<&'a Map<String, Value>> {
        let message_type = self.claims().message_type.string();
        if message_type != Some(MessageType::DeepLinking.as_str()) {
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
        let context = CONTEXT;
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
