"""Verify lti-edge's `Lti-Jwt-Assertion` and call the worker's services.

Shared by the FastAPI and Flask examples. Env: WORKER_URL (the worker's base URL),
AUDIENCE (ASSERTION_AUDIENCE).
"""
import json
import os
import urllib.error
import urllib.request

import jwt

WORKER_URL = os.environ["WORKER_URL"].rstrip("/")
AUDIENCE = os.environ["AUDIENCE"]

# Once per process: fetches the JWK Set, caches it, refetches on an unknown kid.
jwks = jwt.PyJWKClient(f"{WORKER_URL}/.well-known/jwks.json", lifespan=300)


def verify(token: str) -> dict:
    """The assertion's claims; raises jwt.PyJWTError when it is not valid."""
    return jwt.decode(
        token,
        jwks.get_signing_key_from_jwt(token),
        algorithms=["RS256", "ES256", "EdDSA"],
        issuer=WORKER_URL,
        audience=AUDIENCE,
        options={"require": ["exp", "iat", "iss", "aud"]},
        leeway=30,  # seconds of clock skew allowed on exp
    )


def post_score(token: str, score_given: float, score_maximum: float) -> tuple[int, dict]:
    """POST <worker>/lti/services/scores with the assertion as bearer: (status, answer)."""
    body = {
        "scoreGiven": score_given,
        "scoreMaximum": score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    request = urllib.request.Request(
        f"{WORKER_URL}/lti/services/scores",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)
