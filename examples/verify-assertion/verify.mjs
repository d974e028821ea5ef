// Verify the `Lti-Jwt-Assertion` header that lti-edge forwards to your origin.
// Node 20+, `npm install jose`.  Env: ASSERTION, JWKS_URL, ISSUER, AUDIENCE.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { ASSERTION, JWKS_URL, ISSUER, AUDIENCE } = process.env;

// Create once per process: fetches the JWK Set lazily, caches it, refetches on an unknown kid.
const jwks = createRemoteJWKSet(new URL(JWKS_URL));

try {
  const { payload, protectedHeader } = await jwtVerify(ASSERTION, jwks, {
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    issuer: ISSUER,
    audience: AUDIENCE,
    requiredClaims: ['exp', 'iat', 'iss', 'aud'],
    clockTolerance: 30, // seconds of clock skew allowed on exp
  });
  if (!protectedHeader.kid) throw new Error('assertion has no kid');
  console.log(JSON.stringify(payload));
} catch (err) {
  console.error(`invalid assertion: ${err.code ?? err.name}: ${err.message}`);
  process.exit(1);
}
