// An Express origin behind lti-edge: middleware that verifies `Lti-Jwt-Assertion`
// and puts the claims on `req.lti`, a page showing the user, and a grade posted
// through the worker. Node 20+, `npm install express jose`.
// Env: WORKER_URL (the worker's base URL), AUDIENCE (ASSERTION_AUDIENCE), PORT.
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const WORKER_URL = process.env.WORKER_URL.replace(/\/$/, '');
const { AUDIENCE, PORT = '8000' } = process.env;

function ltiAssertion({ workerUrl, audience }) {
  // Once per process: fetched lazily, cached, refetched on an unknown kid.
  const jwks = createRemoteJWKSet(new URL(`${workerUrl}/.well-known/jwks.json`));
  return async (req, res, next) => {
    const token = req.get('Lti-Jwt-Assertion');
    if (!token) return res.status(401).type('text').send('no assertion');
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256', 'ES256', 'EdDSA'],
        issuer: workerUrl,
        audience,
        requiredClaims: ['exp', 'iat', 'iss', 'aud'],
        clockTolerance: 30, // seconds of clock skew allowed on exp
      });
      req.lti = payload; // the normalized view (user, context, services...) and the raw `lti`
      req.ltiAssertion = token; // the bearer for the worker's services
      next();
    } catch (err) {
      res.status(401).type('text').send(`invalid assertion: ${err.code ?? err.name}`);
    }
  };
}

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const app = express();
app.use(ltiAssertion({ workerUrl: WORKER_URL, audience: AUDIENCE }));

app.get('/', (req, res) => {
  const { user, services } = req.lti;
  const grade = services.grades
    ? '<form method="post" action="/grade"><button>Post 8/10</button></form>'
    : '';
  res.type('html').send(`<!doctype html><title>Hello</title>
<h1>Hello, ${escape(user.name)}</h1>
<p>Roles: ${escape((user.roles ?? []).join(', '))}</p>${grade}`);
});

app.post('/grade', async (req, res) => {
  const reply = await fetch(`${WORKER_URL}/lti/services/scores`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${req.ltiAssertion}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      scoreGiven: 8,
      scoreMaximum: 10,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
    }),
  });
  res.status(reply.status).type('json').send(await reply.text());
});

app.listen(Number(PORT), process.env.HOST ?? '127.0.0.1');
