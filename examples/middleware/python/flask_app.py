"""A Flask origin behind lti-edge: every request is verified before it reaches a view,
which reads the claims from `g.lti`; a page showing the user, and a grade posted
through the worker.

`pip install -r requirements.txt`, then `python flask_app.py`. Env: WORKER_URL,
AUDIENCE, PORT.
"""
import os

import jwt
from flask import Flask, g, render_template_string, request

import lti_edge

app = Flask(__name__)


@app.before_request
def verify_assertion():
    token = request.headers.get("Lti-Jwt-Assertion")
    if not token:
        return "no assertion", 401
    try:
        g.lti = lti_edge.verify(token)  # the normalized view (user, context...) and `lti`
    except jwt.PyJWTError as err:
        return f"invalid assertion: {type(err).__name__}", 401
    g.assertion = token


@app.get("/")
def home():
    return render_template_string(
        "<!doctype html><title>Hello</title><h1>Hello, {{ user.name }}</h1>"
        "<p>Roles: {{ user.roles | join(', ') }}</p>"
        "{% if services.grades %}<form method=post action=/grade>"
        "<button>Post 8/10</button></form>{% endif %}",
        user=g.lti["user"],
        services=g.lti["services"],
    )


@app.post("/grade")
def grade():
    status, answer = lti_edge.post_score(g.assertion, 8, 10)
    return answer, status


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
