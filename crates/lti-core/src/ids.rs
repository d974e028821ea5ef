//! The protocol's identifiers, one type each, so that an issuer is never
//! stored where a registration key belongs. Each is the string the spec
//! names, serialized as that string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a newtype for one protocol identifier.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A platform's issuer identifier (`iss`).
    Issuer
);
identifier!(
    /// The client_id the platform gave this tool.
    ClientId
);
identifier!(
    /// One deployment of the tool on the platform.
    DeploymentId
);

identifier!(
    /// `<issuer>#<client_id>`: a registration's key in `PLATFORMS`.
    RegistrationKey
);

impl RegistrationKey {
    pub fn of(issuer: &str, client_id: &str) -> Self {
        Self(format!("{issuer}#{client_id}"))
    }

    /// The issuer and client_id. An issuer has no fragment (OIDC Discovery
    /// §2), so the first `#` ends it.
    pub fn parts(&self) -> (&str, &str) {
        self.0.split_once('#').unwrap_or((&self.0, ""))
    }
}
