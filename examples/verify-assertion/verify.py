"""Verify the `Lti-Jwt-Assertion` header that lti-edge forwards to your origin.

Python 3.11+, `pip install -r requirements.txt`.  Env: ASSERTION, JWKS_URL, ISSUER, AUDIENCE.
"""
import json
import os
import sys

import jwt

# Create once per process: fetches the JWK Set, caches it, refetches on an unknown kid.
jwks = jwt.PyJWKClient(os.environ["JWKS_URL"])

try:
    token = os.environ["ASSERTION"]
    claims = jwt.decode(
        token,
        jwks.get_signing_key_from_jwt(token),
        algorithms=["RS256", "ES256", "EdDSA"],
        issuer=os.environ["ISSUER"],
        audience=os.environ["AUDIENCE"],
        options={"require": ["exp", "iat", "iss", "aud"]},
        leeway=30,  # seconds of clock skew allowed on exp
    )
except jwt.PyJWTError as err:
    sys.exit(f"invalid assertion: {type(err).__name__}: {err}")

print(json.dumps(claims, separators=(",", ":")))
