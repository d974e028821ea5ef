//! The platform's OpenID configuration (LTI Dynamic Registration 1.0, section 3.3).

use serde_json::{json, Value};

use super::PROFILE;
use crate::claims::{DEEP_LINKING, SCOPES, SUBMISSION_REVIEW};
use crate::platform::State;

/// `openid` plus every LTI Advantage scope the token endpoint grants: a tool must pick
/// the ones it uses, not copy the list.
pub(crate) const SCOPES_SUPPORTED: [&str; 6] = [
    "openid", SCOPES[0], SCOPES[1], SCOPES[2], SCOPES[3], SCOPES[4],
];

pub(crate) fn configuration(state: &State, issuer_mismatch: bool) -> Value {
    let issuer = state.issuer(PROFILE);
    // Same path, another host: the tool must notice the issuer is not the URL's host.
    let named = if issuer_mismatch {
        issuer.replacen("127.0.0.1", "localhost", 1)
    } else {
        issuer.clone()
    };
    json!({
        "issuer": named,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "registration_endpoint": format!("{issuer}/register"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "aud", "sub", "iat", "exp", "nonce",
                             "name", "given_name", "family_name", "email"],
        "subject_types_supported": ["public", "pairwise"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "lti-edge-dev-platform",
            "version": env!("CARGO_PKG_VERSION"),
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": DEEP_LINKING, "placements": ["ContentArea"]},
                {"type": SUBMISSION_REVIEW},
            ],
        },
    })
}
