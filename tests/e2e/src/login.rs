//! A login initiation as a platform sends it (the third-party initiated login
//! of the 1EdTech Security Framework): the one place tests build one.

use crate::Stack;

/// The fields of a login to the worker's `/lti/login`, sent as a GET query or a
/// form POST.
#[derive(Clone)]
pub struct Login {
    endpoint: String,
    fields: Vec<(&'static str, String)>,
}

impl Login {
    /// What every login carries: `iss` of `platform`, a `login_hint`, and the
    /// `target_link_uri`.
    pub fn new(stack: &Stack, platform: &str, target: &str) -> Self {
        Self {
            endpoint: stack.url("/lti/login"),
            fields: vec![
                ("iss", stack.platform.issuer(platform)),
                ("login_hint", "user-123".into()),
                ("target_link_uri", target.into()),
            ],
        }
    }

    /// Sets `name`, replacing a value it had.
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        self = self.without(name);
        self.fields.push((name, value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| *n != name);
        self
    }

    /// The GET URL.
    pub fn url(&self) -> String {
        url::Url::parse_with_params(&self.endpoint, self.fields())
            .expect("the worker's URL")
            .into()
    }

    /// The form fields, for a POST to [`Login::endpoint`].
    pub fn fields(&self) -> Vec<(&str, &str)> {
        self.fields.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}
