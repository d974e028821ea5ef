//! Which registration and deployment a launch acts for. Taken once from the
//! verified launch (the registration that verified it, the deployment that
//! passed the check), then carried with it: in the assertion's `platform`
//! claim, in the session and in service tokens. Later requests never
//! re-derive them from the raw claims, which some platforms fill otherwise
//! (`aud` a company name, no `deployment_id` claim at all).

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::RegistrationKey;
pub use crate::ids::{ClientId, DeploymentId, Issuer};
use crate::ports::KeyValue;
use crate::registration::{load_registration, PlatformRegistration};

/// The registration (`issuer`, `client_id`) and deployment a launch acts for:
/// the `platform` claim of the assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPlatform {
    issuer: Issuer,
    client_id: ClientId,
    deployment_id: DeploymentId,
}

impl LaunchPlatform {
    pub fn new(issuer: Issuer, client_id: ClientId, deployment_id: DeploymentId) -> Self {
        Self {
            issuer,
            client_id,
            deployment_id,
        }
    }

    /// The deployment `deployment_id` of `registration`.
    pub fn of(registration: &PlatformRegistration, deployment_id: &str) -> Self {
        Self::new(
            registration.issuer().clone(),
            registration.client_id().clone(),
            DeploymentId::new(deployment_id),
        )
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    pub fn deployment_id(&self) -> &DeploymentId {
        &self.deployment_id
    }

    /// `<issuer>#<client_id>`, the registration's key in `PLATFORMS`.
    pub(crate) fn registration_key(&self) -> RegistrationKey {
        RegistrationKey::of(self.issuer.as_str(), self.client_id.as_str())
    }

    /// The registration, as the store holds it now: the operator may have
    /// removed it, or this deployment, since the launch. Fails with
    /// [`Error::UnknownPlatform`] or [`Error::UnknownDeployment`].
    pub async fn registration(
        &self,
        platforms: &impl KeyValue,
    ) -> Result<Rc<PlatformRegistration>> {
        let registration = load_registration(platforms, &self.registration_key())
            .await?
            .ok_or_else(|| Error::UnknownPlatform {
                issuer: self.issuer.to_string(),
                client_id: Some(self.client_id.to_string()),
            })?;
        if !registration.has_deployment(self.deployment_id.as_str()) {
            return Err(Error::UnknownDeployment(self.deployment_id.to_string()));
        }
        Ok(registration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_assertion_platform_claim() {
        let platform = LaunchPlatform::new(
            Issuer::new("https://lms.example.edu"),
            ClientId::new("c1"),
            DeploymentId::new("d1"),
        );
        let json = serde_json::to_value(&platform).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"issuer": "https://lms.example.edu", "client_id": "c1", "deployment_id": "d1"})
        );
        assert_eq!(
            platform.registration_key().as_str(),
            "https://lms.example.edu#c1"
        );
        assert_eq!(
            serde_json::from_value::<LaunchPlatform>(json).unwrap(),
            platform
        );
    }
}
