//! Verify the `Lti-Jwt-Assertion` header that lti-edge forwards to your origin.
//! Env: ASSERTION, JWKS_URL, ISSUER, AUDIENCE.

use std::{env, process::ExitCode, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::Value;

const ALLOWED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

fn verify() -> Result<Value, String> {
    let var = |name: &str| env::var(name).map_err(|_| format!("{name} is not set"));
    let token = var("ASSERTION")?;

    let header = decode_header(&token).map_err(|e| format!("malformed assertion: {e}"))?;
    if !ALLOWED.contains(&header.alg) {
        return Err(format!("alg {:?} is not allowed", header.alg));
    }
    let kid = header.kid.ok_or("assertion has no kid")?;

    // A long-running origin should cache this and refetch only on an unknown kid.
    let jwks: JwkSet = ureq::get(&var("JWKS_URL")?)
        .config()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .call()
        .and_then(|mut response| response.body_mut().read_json())
        .map_err(|e| format!("fetching JWKS: {e}"))?;
    let jwk = jwks.find(&kid).ok_or(format!("unknown kid {kid}"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("bad JWK {kid}: {e}"))?;

    // One algorithm per Validation: jsonwebtoken rejects mixing key families.
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[var("ISSUER")?]);
    validation.set_audience(&[var("AUDIENCE")?]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.leeway = 30; // seconds of clock skew allowed on exp

    let claims = decode::<Value>(&token, &key, &validation)
        .map_err(|e| format!("invalid assertion: {e}"))?
        .claims;
    if !claims["iat"].is_number() {
        return Err("invalid assertion: missing required claim iat".into());
    }
    Ok(claims)
}

fn main() -> ExitCode {
    match verify() {
        Ok(claims) => {
            println!("{claims}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("{reason}");
            ExitCode::FAILURE
        }
    }
}
