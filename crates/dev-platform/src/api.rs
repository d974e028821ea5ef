//! The test API of the profiles: what each real platform's quirks need a test to set,
//! read back or sign.

use serde_json::Value;

use crate::dynreg::{ReceivedRegistration, RegistrationMode};
use crate::registry::PROFILES;
use crate::{skillstown, CoursePage, DevPlatform};

impl DevPlatform {
    /// The LMS course page of a profile, `{issuer}/course?..`: the tool in a cross-site
    /// iframe, with the platform storage `page` asks for (see `course/mod.rs`).
    pub fn course_url(&self, platform: &str, page: &CoursePage<'_>) -> String {
        format!("{}/course?{}", self.issuer(platform), page.query())
    }

    /// The profile names, each the last path segment of its issuer, in page order.
    pub fn profiles(&self) -> Vec<&'static str> {
        PROFILES.iter().map(|(name, _, _)| *name).collect()
    }

    /// `(path, User-Agent)` of every server-to-server request the profile received,
    /// accepted or not: JWKS, token, services, and Dynamic Registration.
    pub fn user_agents(&self, platform: &str) -> Vec<(String, Option<String>)> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.user_agents.clone())
    }

    /// A new course-level install of `canvas-tool`: a deployment id never used before
    /// (`canvas-course-<n>`), known to the platform from now on.
    pub fn canvas_course_deployment(&self) -> String {
        self.state.new_course_deployment("canvas-tool")
    }

    /// The clients the profile knows and their deployments, in order: the fixed
    /// registrations, plus Canvas course installs and Dynamic Registration clients.
    pub fn clients(&self, platform: &str) -> Vec<(String, Vec<String>)> {
        self.state
            .directory
            .clients(platform)
            .into_iter()
            .map(|client| (client.client_id, client.deployments))
            .collect()
    }

    /// SkillsTown's id_token claims, exactly: `iss`, `aud` (the company name), `sub`,
    /// `nonce`, `iat`, `exp`, the AGS endpoint claim (score scope, a `lineitem` URL that
    /// ends in `/scores`) and `custom`. Sign with `sign_id_token("skillstown", ..)`; the
    /// token is the same whichever SkillsTown client the login named.
    pub fn skillstown_claims(&self, nonce: &str) -> Value {
        skillstown::claims(&self.issuer("skillstown"), nonce)
    }

    /// The form SkillsTown POSTs to the tool's `/lti/login` for `client_id` (`skillstown`
    /// or `skillstown-strict`): `iss`, `login_hint`, `target_link_uri`,
    /// `lti_deployment_id`, `client_id`; no `lti_message_hint`.
    pub fn skillstown_login_form(&self, client_id: &str) -> Vec<(String, String)> {
        skillstown::login_form(&self.issuer("skillstown"), &self.state.tool_base, client_id)
    }

    /// The query of every NRPS membership request the profile received, in order.
    pub fn membership_queries(&self, platform: &str) -> Vec<Vec<(String, String)>> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.membership_queries.clone())
    }

    /// The profile's line items now (after any create, PUT or DELETE).
    pub fn line_items(&self, platform: &str) -> Vec<Value> {
        self.state
            .advantage
            .with(platform, |ledger| ledger.line_items.clone())
    }

    /// How the `dynreg` profile's registration side behaves from now on.
    pub fn set_registration_mode(&self, mode: RegistrationMode) {
        self.state.dynreg.set_mode(mode);
    }

    /// Every `POST {dynreg}/register` received, accepted or refused, in order.
    pub fn registrations_received(&self) -> Vec<ReceivedRegistration> {
        self.state.dynreg.received()
    }

    /// `{base}/dynreg/.well-known/openid-configuration`.
    pub fn openid_configuration_url(&self) -> String {
        self.state.openid_configuration_url()
    }

    /// The registration token the platform issued in the current mode (`None` for
    /// `NoToken`; a random one fixed at start for `Fail`, `IssuerMismatch` and
    /// `NoDeploymentId`).
    pub fn registration_token(&self) -> Option<String> {
        self.state.dynreg.token()
    }

    /// The bearer token of every OpenID configuration fetch, in order (`None`: no
    /// `Authorization: Bearer` header).
    pub fn config_requests(&self) -> Vec<Option<String>> {
        self.state.dynreg.config_requests()
    }

    /// The worker's `REGISTRATION_SECRET`, which the "Register the tool" button needs.
    pub fn set_registration_secret(&self, secret: Option<&str>) {
        *crate::platform::lock(&self.state.registration_secret) = secret.map(str::to_string);
    }

    /// What "Register the tool" opens: `<tool>/lti/register/<secret>?openid_configuration=
    /// ..[&registration_token=..]`; `None` until a registration secret is set.
    pub fn registration_url(&self) -> Option<String> {
        self.state.registration_url()
    }

    /// The current Dynamic Registration mode.
    pub fn registration_mode(&self) -> RegistrationMode {
        self.state.dynreg.mode()
    }
}
