//! Who may call the services: the origin, presenting as a bearer an
//! assertion or a service token this worker issued, for a launch whose
//! registration and deployment are still stored. [`authorize`] is the one
//! place that decides it; a [`Caller`] comes out of nowhere else.

use std::rc::Rc;

use super::{Grant, Platform};
use crate::assertion::{issue_service_token, verify_assertion, AssertionClaims, AssertionConfig};
use crate::error::{Error, Result};
use crate::keys::{origin_key, platform_key, signing_keys, SigningKey};
use crate::ports::{Ports, Runtime};
use crate::registration::PlatformRegistration;

/// A verified caller of the services: the worker's keys, the bearer's
/// claims, and the registration it acts for as the store holds it now.
pub struct Caller {
    keys: Rc<Vec<SigningKey>>,
    claims: AssertionClaims,
    registration: Rc<PlatformRegistration>,
}

impl Caller {
    /// What the launch behind the bearer granted.
    pub fn grant(&self) -> Grant<'_> {
        self.claims.grant()
    }

    /// The registration the bearer acts for.
    pub fn registration(&self) -> &PlatformRegistration {
        &self.registration
    }

    /// The key platforms verify: RSA, as LTI requires.
    pub fn platform_key(&self) -> &SigningKey {
        platform_key(&self.keys)
    }

    /// The platform's services, called for this caller through `ports`.
    pub fn platform<'a, R: Runtime>(&'a self, ports: &'a Ports<'a, R>) -> Platform<'a, R> {
        Platform {
            ports,
            registration: &self.registration,
            key: self.platform_key(),
        }
    }

    /// Whether the bearer is a service token rather than a launch assertion.
    pub fn is_service_token(&self) -> bool {
        self.claims.is_service_token()
    }

    /// A service token for background grading, valid `ttl` seconds: issued
    /// only for a launch assertion, so a service token never renews itself
    /// beyond the lifetime it was given. Answers the token and its expiry.
    pub async fn issue_service_token<R: Runtime>(
        &self,
        ports: &Ports<'_, R>,
        config: &AssertionConfig,
        ttl: u64,
    ) -> Result<(String, u64)> {
        if self.claims.token_use().is_some() {
            return Err(Error::InvalidAssertion(
                "a service token cannot issue another",
            ));
        }
        let key = origin_key(&self.keys);
        issue_service_token(
            ports.crypto,
            key,
            config,
            self.grant(),
            ports.rng,
            ports.now,
            ttl,
        )
        .await
    }
}

/// The token of an `Authorization` header: `Bearer <token>`, the scheme in
/// any case (RFC 7235 §2.1), surrounding spaces not part of the token.
pub(crate) fn bearer_token(authorization: Option<&str>) -> Result<&str> {
    authorization
        .unwrap_or_default()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(Error::InvalidAssertion(
            "send Authorization: Bearer <assertion>",
        ))
}

/// Authorizes a service call from its `Authorization` header:
/// 1. the header carries a bearer token (else [`Error::InvalidAssertion`]);
/// 2. the token is an assertion or service token this worker signed, for its
///    issuer and the audience of its kind, unexpired ([`verify_assertion`]);
/// 3. the launch's registration is still stored and still lists its
///    deployment: the operator may have removed either since the launch
///    ([`Error::UnknownPlatform`], [`Error::UnknownDeployment`]). Read through
///    [`Ports::cached_platforms`], as sessions are: a removal shows within
///    its minute.
///
/// `configured_key` is the configured private key (PEM), if any: without
/// one, the keys the worker generated and keeps in the store.
pub async fn authorize<R: Runtime>(
    ports: &Ports<'_, R>,
    configured_key: Option<&str>,
    config: &AssertionConfig,
    authorization: Option<&str>,
) -> Result<Caller> {
    let token = bearer_token(authorization)?;
    let keys = signing_keys(ports, configured_key).await?;
    let claims = verify_assertion(ports.crypto, &keys, config, token, ports.now).await?;
    let registration = claims
        .grant()
        .registration(&ports.cached_platforms())
        .await?;
    Ok(Caller {
        keys,
        claims,
        registration,
    })
}
