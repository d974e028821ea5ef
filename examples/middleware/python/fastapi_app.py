"""A FastAPI origin behind lti-edge: a dependency that verifies the assertion, a page
showing the user, and a grade posted through the worker.

`pip install -r requirements.txt`, then `python fastapi_app.py`. Env: WORKER_URL,
AUDIENCE, PORT.
"""
import html
import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse

import lti_edge

app = FastAPI()


def lti(lti_jwt_assertion: str | None = Header(default=None)) -> dict:
    """The verified claims: the normalized view (user, context, services...) and `lti`."""
    if not lti_jwt_assertion:
        raise HTTPException(401, "no assertion")
    try:
        claims = lti_edge.verify(lti_jwt_assertion)
    except jwt.PyJWTError as err:
        raise HTTPException(401, f"invalid assertion: {type(err).__name__}") from None
    return {**claims, "assertion": lti_jwt_assertion}


@app.get("/", response_class=HTMLResponse)
def home(claims: dict = Depends(lti)):
    user = claims["user"]
    grade = '<form method="post" action="/grade"><button>Post 8/10</button></form>'
    return (
        f"<!doctype html><title>Hello</title><h1>Hello, {html.escape(user.get('name', ''))}</h1>"
        f"<p>Roles: {html.escape(', '.join(user.get('roles', [])))}</p>"
        f"{grade if claims['services']['grades'] else ''}"
    )


@app.post("/grade")
def grade(claims: dict = Depends(lti)):
    status, answer = lti_edge.post_score(claims["assertion"], 8, 10)
    return JSONResponse(answer, status_code=status)


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    uvicorn.run(app, host=host, port=int(os.environ.get("PORT", "8000")))
