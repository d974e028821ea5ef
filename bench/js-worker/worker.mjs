// The realistic alternative to lti-edge, for the launch benchmark only: an LTI
// 1.3 login + launch in plain JavaScript with `jose`, doing the same checks and
// the same KV work as the Rust worker (see bench/launch-bench.mjs).
//
// Per isolate (as ours): registrations cached 60 s, the platform JWKS cached by
// jose's createRemoteJWKSet (imported CryptoKeys kept), the signing key
// imported once. Per login: one KV put. Per launch: KV get + delete of the
// login, one RS256 verification, one RS256 signature, one KV put (session),
// one origin fetch. Not for production.

import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  exportJWK,
  importPKCS8,
  jwtVerify,
  SignJWT,
} from "jose";

const LOGIN_TTL = 600;
const SESSION_TTL = 8 * 3600;
const ASSERTION_TTL = 300;
const MAX_FORM_BYTES = 64 * 1024;
const MAX_ID_TOKEN_BYTES = 32 * 1024;
const LTI = "https://purl.imsglobal.org/spec/lti/claim/";
const DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";

class Failure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}
const bad = (m) => new Failure(400, m);
const unauthorized = (m) => new Failure(401, m);
const forbidden = (m) => new Failure(403, m);

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
};

// ---- per-isolate caches ----
const registrations = new Map(); // key -> { reg, until }
const jwksSets = new Map(); // jwks_uri -> createRemoteJWKSet(...)
let signing; // Promise<{ key, kid }>

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomToken() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function checkEndpoint(url) {
  const u = new URL(url);
  if (u.protocol === "https:") return;
  if (u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) return;
  throw new Failure(500, "registration endpoint must use https");
}

async function registration(env, key) {
  const now = Date.now();
  const hit = registrations.get(key);
  if (hit && hit.until > now) return hit.reg;
  const json = await env.PLATFORMS.get(key);
  if (json === null) return null;
  const reg = JSON.parse(json);
  for (const f of ["issuer", "client_id", "authorization_endpoint", "token_endpoint", "jwks_uri"]) {
    if (typeof reg[f] !== "string" || !reg[f]) throw new Failure(500, `registration: ${f}`);
  }
  if (!Array.isArray(reg.deployment_ids) || reg.deployment_ids.length === 0)
    throw new Failure(500, "registration: deployment_ids");
  if (`${reg.issuer}#${reg.client_id}` !== key) throw new Failure(500, "registration: key");
  for (const f of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) checkEndpoint(reg[f]);
  if (registrations.size >= 1024) registrations.clear();
  registrations.set(key, { reg, until: now + 60_000 });
  return reg;
}

function platformKeys(reg) {
  let set = jwksSets.get(reg.jwks_uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(reg.jwks_uri), { headers: { accept: "application/json" } });
    jwksSets.set(reg.jwks_uri, set);
  }
  return set;
}

function signingKey(env) {
  signing ??= (async () => {
    // As ours: the first P-256 key signs assertions (ES256), else the RSA key (RS256).
    const pems = env.LTI_PRIVATE_KEY.match(/-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----/g);
    for (const alg of ["ES256", "RS256"]) {
      for (const pem of pems) {
        const key = await importPKCS8(pem, alg, { extractable: true }).catch(() => null);
        if (key) return { key, alg, kid: await calculateJwkThumbprint(await exportJWK(key)) };
      }
    }
    throw new Error("no usable key in LTI_PRIVATE_KEY");
  })().catch((e) => {
    signing = undefined;
    throw e;
  });
  return signing;
}

async function params(request, url) {
  if (request.method === "GET") return url.searchParams;
  const type = request.headers.get("content-type") || "";
  if (!type.startsWith("application/x-www-form-urlencoded"))
    throw bad("content-type must be application/x-www-form-urlencoded");
  const declared = Number(request.headers.get("content-length") || 0);
  if (declared > MAX_FORM_BYTES) throw bad("request body too large");
  const body = await request.text();
  if (body.length > MAX_FORM_BYTES) throw bad("request body too large");
  return new URLSearchParams(body);
}

function sameOrigin(uri, tool, name) {
  let u;
  try {
    u = new URL(uri);
  } catch {
    throw bad(`${name}: not an absolute URL`);
  }
  if (u.origin !== tool.origin) throw bad(`${name} is not on this tool`);
}

function cookieJar(header) {
  const jar = new Map();
  for (const part of (header || "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) jar.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return jar;
}

const cookie = (name, value, path, maxAge) =>
  `${name}=${value}; HttpOnly; SameSite=None; Partitioned; Secure; Path=${path}; Max-Age=${maxAge}`;

async function login(request, env, url) {
  const p = await params(request, url);
  const get = (n) => p.get(n) || undefined;
  const iss = get("iss");
  const loginHint = get("login_hint");
  const target = get("target_link_uri");
  if (!iss) throw bad("missing parameter iss");
  if (!loginHint) throw bad("missing parameter login_hint");
  if (!target) throw bad("missing parameter target_link_uri");
  const messageHint = get("lti_message_hint");
  const deployment = get("lti_deployment_id") ?? get("deployment_id");
  let clientId = get("client_id");
  if (!clientId) {
    const { keys } = await env.PLATFORMS.list({ prefix: `${iss}#`, limit: 2 });
    if (keys.length === 0) throw bad(`unknown platform ${iss}`);
    if (keys.length > 1) throw bad("several registrations: send client_id");
    clientId = keys[0].name.slice(iss.length + 1);
  }
  const reg = await registration(env, `${iss}#${clientId}`);
  if (!reg) throw bad(`unknown platform ${iss}`);
  const tool = new URL(url.origin);
  sameOrigin(target, tool, "target_link_uri");
  if (deployment !== undefined && !reg.deployment_ids.includes(deployment))
    throw forbidden("unknown deployment");
  const state = randomToken();
  const nonce = randomToken();
  const location = new URL(reg.authorization_endpoint);
  const q = location.searchParams;
  q.append("scope", "openid");
  q.append("response_type", "id_token");
  q.append("response_mode", "form_post");
  q.append("prompt", "none");
  q.append("client_id", reg.client_id);
  q.append("redirect_uri", `${url.origin}/lti/launch`);
  q.append("login_hint", loginHint);
  if (messageHint) q.append("lti_message_hint", messageHint);
  q.append("state", state);
  q.append("nonce", nonce);
  const saved = JSON.stringify({ nonce, registration: `${iss}#${clientId}`, target_link_uri: target });
  await env.LTI_STATE.put(`login:${state}`, saved, { expirationTtl: LOGIN_TTL });
  const headers = new Headers(PAGE_HEADERS);
  headers.set("location", location.href);
  headers.append("set-cookie", cookie(`lti_state_${state}`, "1", "/lti/launch", LOGIN_TTL));
  return new Response(null, { status: 302, headers });
}

const isNonEmptyString = (v) => typeof v === "string" && v.length > 0;

function checkClaims(claims, reg, nonce, loginTarget, tool) {
  // iss, aud, exp, iat, nbf: jwtVerify. azp (Security Framework §5.1.3):
  const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (auds.length > 1 || claims.azp !== undefined) {
    if (claims.azp !== reg.client_id) throw unauthorized("azp does not match");
  }
  if (claims.nonce !== nonce) throw unauthorized("nonce does not match");
  if (claims[`${LTI}version`] !== "1.3.0") throw bad("version must be 1.3.0");
  const deployment = claims[`${LTI}deployment_id`];
  if (!isNonEmptyString(deployment)) throw bad("missing claim deployment_id");
  if (!reg.deployment_ids.includes(deployment)) throw forbidden("unknown deployment");
  const type = claims[`${LTI}message_type`];
  if (!Array.isArray(claims[`${LTI}roles`])) throw bad("missing claim roles");
  let target = claims[`${LTI}target_link_uri`];
  if (type === "LtiResourceLinkRequest") {
    if (!isNonEmptyString(claims[`${LTI}resource_link`]?.id)) throw bad("missing claim resource_link.id");
    if (!isNonEmptyString(target)) throw bad("missing claim target_link_uri");
  } else if (type === "LtiDeepLinkingRequest") {
    if (!isNonEmptyString(claims[DEEP_LINKING_SETTINGS]?.deep_link_return_url))
      throw bad("missing claim deep_linking_settings.deep_link_return_url");
    if (!isNonEmptyString(target)) target = loginTarget;
  } else {
    throw bad("unsupported message_type");
  }
  sameOrigin(target, tool, "target_link_uri");
  return target;
}

async function launch(request, env, url) {
  const p = await params(request, url);
  if (p.get("error")) throw bad(`platform error: ${p.get("error").slice(0, 200)}`);
  const idToken = p.get("id_token");
  const state = p.get("state");
  if (!idToken) throw bad("missing parameter id_token");
  if (idToken.length > MAX_ID_TOKEN_BYTES) throw bad("id_token too large");
  if (!state) throw bad("missing parameter state");
  if (idToken.split(".").length !== 3) throw bad("malformed token");
  const jar = cookieJar(request.headers.get("cookie"));
  if (!jar.has(`lti_state_${state}`)) throw unauthorized("state cookie missing");
  // The login behind `state`, taken out of KV: it serves once.
  const key = `login:${state}`;
  const saved = await env.LTI_STATE.get(key);
  if (saved === null) throw unauthorized("unknown or used state");
  await env.LTI_STATE.delete(key);
  const login = JSON.parse(saved);
  const reg = await registration(env, login.registration);
  if (!reg) throw unauthorized("unknown platform");
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(idToken, platformKeys(reg), {
      algorithms: ["RS256"],
      issuer: reg.issuer,
      audience: reg.client_id,
      clockTolerance: 60,
      requiredClaims: ["exp", "iat", "nonce"],
    }));
  } catch (e) {
    throw unauthorized(`id_token rejected: ${e.code || e.name}`);
  }
  const tool = new URL(url.origin);
  const target = new URL(checkClaims(claims, reg, login.nonce, login.target_link_uri, tool));

  // The assertion for the origin.
  const { key: signKey, alg, kid } = await signingKey(env);
  const origin = new URL(env.ORIGIN_URL);
  const audience = env.ASSERTION_AUDIENCE || origin.href.replace(/\/$/, "");
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ lti: claims, ...(claims.sub ? { sub: claims.sub } : {}) })
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .setIssuer(url.origin)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_TTL)
    .setJti(randomToken());
  const assertion = await jwt.sign(signKey);

  // The session, for later requests.
  const sessionId = randomToken();
  const session = JSON.stringify({ lti: claims, expires_at: now + SESSION_TTL });
  await env.LTI_STATE.put(`session:${sessionId}`, session, { expirationTtl: SESSION_TTL });

  // GET <ORIGIN_URL><path and query of target_link_uri>, with the assertion.
  const originUrl = new URL(origin.href);
  originUrl.pathname = origin.pathname.replace(/\/$/, "") + target.pathname;
  originUrl.search = target.search;
  const headers = new Headers();
  for (const name of ["accept", "accept-language", "user-agent"]) {
    const v = request.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  headers.set("x-forwarded-host", tool.host);
  headers.set("x-forwarded-proto", tool.protocol.slice(0, -1));
  headers.set("lti-jwt-assertion", assertion);
  let response;
  try {
    response = await fetch(originUrl, { headers, redirect: "manual" });
  } catch {
    throw new Failure(502, "the application behind this tool could not be reached");
  }
  const out = new Headers();
  for (const [name, value] of response.headers) {
    if (name === "location") {
      const loc = new URL(value, originUrl);
      if (loc.origin === origin.origin) {
        loc.protocol = tool.protocol;
        loc.host = tool.host;
        out.append(name, loc.href);
        continue;
      }
    }
    out.append(name, value);
  }
  out.append("set-cookie", cookie("lti_session", sessionId, "/", SESSION_TTL));
  out.append("set-cookie", cookie(`lti_state_${state}`, "", "/lti/launch", 0));
  return new Response(response.body, { status: response.status, headers: out });
}

function page(status, title, message) {
  const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(message)}</p>`;
  return new Response(body, { status, headers: PAGE_HEADERS });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/lti/login" && (request.method === "GET" || request.method === "POST"))
        return await login(request, env, url);
      if (url.pathname === "/lti/launch" && request.method === "POST") return await launch(request, env, url);
      return page(404, "Not found", "only /lti/login and /lti/launch in this benchmark worker");
    } catch (e) {
      const status = e instanceof Failure ? e.status : 500;
      if (status >= 500) console.error("LTI request failed", e);
      return page(status, "LTI request failed", status >= 500 ? "internal error" : e.message);
    }
  },
};
