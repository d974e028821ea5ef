// End-to-end LTI launch benchmark: lti-edge (Rust/wasm) against the same
// flow in JavaScript with `jose` (bench/js-worker/worker.mjs), both in workerd,
// everything on 127.0.0.1. Run it with `bench/run`. Three phases, each
// writing its own result files under bench/results/:
//
// - latency (latency-model.md/.json): both workers in bare workerd processes,
//   KV served by bench/kv-server.mjs with a delay per operation (the latency
//   model of BENCHMARKS.md) and an origin that answers after
//   BENCH_ORIGIN_LATENCY ms. Launch p50/p99 and launches/s at concurrency 1
//   and 8, and a trace of single launches: how many KV operations each issued,
//   in which order, and how many ran one after another before the origin was
//   asked.
// - cold (cold-start.md/.json): a fresh workerd process per sample (no KV
//   delay): CPU and wall time of its start, first login and first launch,
//   median over BENCH_COLD_ISOLATES processes of each worker.
// - classic (latest.md/.json): the CPU benchmark below.
//
// Classic phase: for each worker, one after another: warm-up, then N logins (timed: login
// rate and CPU), then one platform-signed id_token per login (untimed), then
// the launches at concurrency 1 and 8 (timed). CPU is read from
// /proc/<pid>/stat of that worker's own workerd process, and from
// process.cpuUsage() for this Node process (load generator + platform JWKS
// server + origin). A trivial "hello" worker on the same path shows what the
// load generator and Miniflare's entry path can do on their own, and a "floor"
// worker (bench/js-worker/floor.mjs) does the same KV and origin I/O as a
// launch with no LTI work, so "CPU above floor" is the protocol's own price.
//
// Environment (all optional):
//   BENCH_C1=400 BENCH_C8=1600     launches per phase (concurrency 1 and 8)
//   BENCH_PHASE_SECONDS=60         time bound of each timed phase
//   BENCH_WRANGLER=1               also launch through `wrangler dev` (0: skip)
//   BENCH_WRANGLER_LAUNCHES=600    launches through wrangler dev (concurrency 8)
//   BENCH_ROUNDS=5                 rounds over ours/theirs/floor (rotating order); every
//                                  figure reported is the median over the rounds
//   BENCH_HARD_LIMIT_SECONDS=1100  the whole run stops by itself after this
//   BENCH_BASELINE=<dir>           compare against another build of ours (index.js and
//                                  index_bg.wasm in <dir>) instead of the jose worker:
//                                  the same run, so the ratio shows what a change is worth
//   BENCH_ASSERTION_ALG=ES256      give both LTI workers a P-256 key beside the RSA one,
//                                  so both sign their assertions ES256 (default RS256)
//   BENCH_KV=external              run each worker in a bare workerd process (no Miniflare) whose
//                                  KV namespaces are served by bench/kv-server.mjs in another
//                                  process, as KV is on Cloudflare: the workerd CPU is then the
//                                  worker's own work plus its HTTP clients, without the local
//                                  KV simulator (no wrangler dev run)
//   BENCH_OUT=latest               results go to bench/results/<name>.md and .json
//   BENCH_PHASES=latency,cold,classic   which phases run (default all three, in this order)
//   BENCH_KV_LATENCY="get=20,put=40,delete=40,list=20,jitter=0.25"   the latency phase's KV
//                                  model in ms (fields left out keep their defaults; see
//                                  bench/kv-server.mjs)
//   BENCH_ORIGIN_LATENCY=10        ms the origin waits before answering, latency phase only
//   BENCH_LM_C1=100 BENCH_LM_C8=400   launches per round at concurrency 1 and 8, latency phase
//   BENCH_LM_ROUNDS=3              rounds of the latency phase (order alternating)
//   BENCH_LM_TRACE=20              single launches traced per worker (KV operations, origin)
//   BENCH_COLD_ISOLATES=20         fresh workerd processes per worker, cold phase
//   BENCH_V8_FLAGS="--flag ..."    V8 flags (workerd's v8Flags) for our worker's bare workerd
//                                  processes (latency, cold, classic with BENCH_KV=external), e.g.
//                                  --no-wasm-lazy-compilation or --trace-wasm-compilation-times;
//                                  BENCH_V8_FLAGS_BOTH=1 gives them to the other worker too
//   BENCH_PROFILE=<dir>            write a V8 CPU profile of each LTI worker's launch c8
//                                  phase to <dir>/<worker>.cpuprofile (the inspector
//                                  slows some calls, queueMicrotask most: read shares
//                                  of the wasm's own time, not absolute figures)

import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { Miniflare } from "miniflare";
import { createLocalJWKSet, jwtVerify } from "jose";
import WebSocket from "ws";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const RESULTS = path.join(HERE, "results");

const envInt = (name, dflt) => {
  const v = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(v) && v >= 0 ? v : dflt;
};
const C1 = envInt("BENCH_C1", 400);
const C8 = envInt("BENCH_C8", 1600);
const PHASE_MS = envInt("BENCH_PHASE_SECONDS", 60) * 1000;
const KV_EXTERNAL = process.env.BENCH_KV === "external";
const OUT = /^[\w-]+$/.test(process.env.BENCH_OUT ?? "") ? process.env.BENCH_OUT : "latest";
const WRANGLER = process.env.BENCH_WRANGLER !== "0" && !KV_EXTERNAL;
const WRANGLER_LAUNCHES = envInt("BENCH_WRANGLER_LAUNCHES", 600);
const ROUNDS = Math.max(1, envInt("BENCH_ROUNDS", 5));
const PASSTHROUGH = 2000;
const WARMUP = 40;
const SETTLE = 300;
const HELLO_C1 = 1000;
const HELLO_C8 = 4000;
// Hard stop: whatever happens, the run ends by itself.
const HARD_LIMIT_MS = envInt("BENCH_HARD_LIMIT_SECONDS", 1100) * 1000;
const BASELINE = process.env.BENCH_BASELINE;
const PROFILE = process.env.BENCH_PROFILE;
const workerdBinary = createRequire(import.meta.url)("workerd").default;
const THEIRS = BASELINE ? `baseline (${BASELINE})` : "theirs (JS + jose)";
const ASSERTION_ALG = process.env.BENCH_ASSERTION_ALG === "ES256" ? "ES256" : "RS256";
const PHASES = new Set(
  (process.env.BENCH_PHASES ?? "latency,cold,classic")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean),
);
for (const p of PHASES) if (!["latency", "cold", "classic"].includes(p)) throw new Error(`BENCH_PHASES: unknown phase ${p}`);
const envNum = (name, dflt) => {
  const v = Number(process.env[name] ?? "");
  return process.env[name] !== undefined && process.env[name] !== "" && Number.isFinite(v) && v >= 0 ? v : dflt;
};
const ORIGIN_LATENCY_MS = envNum("BENCH_ORIGIN_LATENCY", 10);
const LM_C1 = envInt("BENCH_LM_C1", 100);
const LM_C8 = envInt("BENCH_LM_C8", 400);
const LM_ROUNDS = Math.max(1, envInt("BENCH_LM_ROUNDS", 3));
const LM_TRACE = envInt("BENCH_LM_TRACE", 20);
const LM_WARMUP = 100;
const COLD_ISOLATES = Math.max(1, envInt("BENCH_COLD_ISOLATES", 20));
// V8 flags for the bare workerd processes of ours (or of both workers).
const V8_FLAGS = (process.env.BENCH_V8_FLAGS ?? "").split(/\s+/).filter(Boolean);
const V8_FLAGS_BOTH = process.env.BENCH_V8_FLAGS_BOTH === "1";
/** Wall clock in ms with fractions, shared with bench/kv-server.mjs. */
const epochMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const COMPAT_DATE = "2026-04-01";
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const LTI = "https://purl.imsglobal.org/spec/lti/claim/";
const CLIENT_ID = "10000000000001";
const DEPLOYMENT = "1:bench";

const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------------------------------------------------------------- cleanup
const cleanups = [];
async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      log("cleanup:", e.message);
    }
  }
}
const watchdog = setTimeout(async () => {
  log(`hard time limit (${HARD_LIMIT_MS / 1000} s) reached: stopping`);
  await cleanup();
  process.exit(3);
}, HARD_LIMIT_MS);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    log(`${sig}: stopping`);
    await cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------- CPU
/** utime+stime of a process, in seconds. */
function procCpu(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
/**
 * CPU of every thread of a process, in seconds, from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds on CPU): precise enough for one request, where utime/stime
 * count in ticks of 1/CLK_TCK s. V8's compiler threads are included.
 */
function threadsCpu(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns / 1e9;
}
function nodeCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
/** Pids of our direct children named `workerd`. */
function workerdChildren() {
  const pids = new Set();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm === "workerd") pids.add(Number(entry));
    } catch {
      // a process that ended meanwhile
    }
  }
  return pids;
}
function cpuProbe(pid) {
  return { t: performance.now(), worker: pid ? procCpu(pid) : 0, node: nodeCpu() };
}
function cpuDelta(before, pid) {
  const after = cpuProbe(pid);
  return {
    wallS: (after.t - before.t) / 1000,
    workerS: after.worker - before.worker,
    nodeS: after.node - before.node,
  };
}

// ---------------------------------------------------------------- keys and tokens
function rsaKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const kid = crypto
    .createHash("sha256")
    .update(JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n }))
    .digest("base64url");
  return { privateKey, publicJwk: { ...jwk, kid, alg: "RS256", use: "sig" }, kid };
}

const b64json = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** A platform-signed resource link id_token (Canvas-like claims, ~1.5 KB). */
function idToken(platform, issuer, toolOrigin, nonce, seq) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    aud: CLIENT_ID,
    azp: CLIENT_ID,
    sub: `user-${seq}`,
    iat: now,
    exp: now + 900,
    nonce,
    name: "Ada Lovelace",
    given_name: "Ada",
    family_name: "Lovelace",
    email: "ada@example.edu",
    locale: "en",
    [`${LTI}message_type`]: "LtiResourceLinkRequest",
    [`${LTI}version`]: "1.3.0",
    [`${LTI}deployment_id`]: DEPLOYMENT,
    [`${LTI}target_link_uri`]: `${toolOrigin}/course/1?seq=${seq}`,
    [`${LTI}resource_link`]: { id: "rl-1", title: "Week 1 quiz", description: null },
    [`${LTI}roles`]: [
      "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
      "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
    ],
    [`${LTI}context`]: {
      id: "ctx-42",
      label: "CS101",
      title: "Intro to CS",
      type: ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    },
    [`${LTI}tool_platform`]: { guid: "lms.example.edu", name: "Example LMS", product_family_code: "canvas" },
    [`${LTI}launch_presentation`]: { document_target: "iframe", return_url: `${issuer}/courses/42` },
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
      scope: [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
      ],
      lineitems: `${issuer}/api/lti/courses/42/line_items`,
    },
    [`${LTI}custom`]: { canvas_user_id: "1234" },
  };
  const input = `${b64json({ alg: "RS256", typ: "JWT", kid: platform.kid })}.${b64json(claims)}`;
  const sig = crypto.sign("sha256", Buffer.from(input), platform.privateKey).toString("base64url");
  return `${input}.${sig}`;
}

// ---------------------------------------------------------------- HTTP
function listen(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 30_000;
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      cleanups.push(() => new Promise((r) => server.close(() => r())));
      resolve({ server, port: server.address().port });
    });
  });
}

function send(agent, port, options) {
  return sendOnce(agent, port, options).catch((e) => {
    // A kept-alive socket the server closed while idle: the request never
    // reached it, so it is sent again (the pattern Node's documentation gives).
    if (e.reusedSocket && e.code === "ECONNRESET") return sendOnce(agent, port, options);
    throw e;
  });
}
function sendOnce(agent, port, { method = "GET", path: p, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: "127.0.0.1", port, method, path: p, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          ms: Number(process.hrtime.bigint() - t0) / 1e6,
        }),
      );
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("request timed out (30 s)")));
    req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs `fn(item)` over `items` with `concurrency` in flight, until done or
 * `limitMs` passed. `fn` returns { ok, ms, detail? }.
 */
async function drive(items, concurrency, limitMs, fn) {
  const deadline = performance.now() + limitMs;
  let next = 0;
  const lat = [];
  const failures = [];
  let ok = 0;
  let attempted = 0;
  const t0 = performance.now();
  async function lane() {
    while (next < items.length && performance.now() < deadline) {
      const item = items[next++];
      attempted++;
      let r;
      try {
        r = await fn(item);
      } catch (e) {
        r = { ok: false, ms: 0, detail: `error: ${e.message}` };
      }
      if (r.ok) {
        ok++;
        lat.push(r.ms);
      } else if (failures.length < 5) {
        failures.push(r.detail);
      } else {
        failures.push(null);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallS = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (q) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil(q * lat.length) - 1)] : NaN);
  return {
    attempted,
    ok,
    failed: attempted - ok,
    failureSamples: failures.filter(Boolean),
    timedOut: attempted < items.length,
    wallS,
    rate: ok / wallS,
    p50: pct(0.5),
    p90: pct(0.9),
    p99: pct(0.99),
  };
}

// ---------------------------------------------------------------- the flow
const loginQuery = (issuer, toolOrigin, seq) =>
  new URLSearchParams({
    iss: issuer,
    login_hint: `user-${seq}`,
    target_link_uri: `${toolOrigin}/course/1?seq=${seq}`,
    lti_message_hint: `hint-${seq}`,
    client_id: CLIENT_ID,
    lti_deployment_id: DEPLOYMENT,
  }).toString();

async function doLogin(target, seq) {
  const r = await send(target.agent, target.port, {
    path: `/lti/login?${loginQuery(target.issuer, target.origin, seq)}`,
    headers: { accept: "text/html" },
  });
  if (r.status !== 302) return { ok: false, ms: r.ms, detail: `login ${r.status}: ${r.body.slice(0, 200)}` };
  const location = new URL(r.headers.location);
  const state = location.searchParams.get("state");
  const nonce = location.searchParams.get("nonce");
  const cookies = [].concat(r.headers["set-cookie"] || []);
  const stateCookie = cookies.map((c) => c.split(";")[0]).find((c) => /^(__Host-)?lti_state_/.test(c) && c.includes(`lti_state_${state}=`));
  const redirect = location.searchParams.get("redirect_uri");
  if (!state || !nonce || !stateCookie || redirect !== `${target.origin}/lti/launch`)
    return { ok: false, ms: r.ms, detail: `login: bad redirect ${r.headers.location} / ${cookies}` };
  return { ok: true, ms: r.ms, login: { seq, state, nonce, cookie: stateCookie } };
}

async function doLaunch(target, login) {
  const body = new URLSearchParams({ id_token: login.idToken, state: login.state }).toString();
  const r = await send(target.agent, target.port, {
    method: "POST",
    path: "/lti/launch",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": Buffer.byteLength(body),
      cookie: login.cookie,
      accept: "text/html",
      "user-agent": "lti-edge-bench",
    },
    body,
  });
  const cookies = [].concat(r.headers["set-cookie"] || []);
  const session = cookies.some((c) => /^(__Host-)?lti_session=/.test(c));
  if (r.status !== 200 || r.body !== ORIGIN_BODY || !session)
    return { ok: false, ms: r.ms, detail: `launch ${r.status}: ${r.body.slice(0, 300)}` };
  return { ok: true, ms: r.ms };
}

const ORIGIN_BODY = "origin ok";

// ---------------------------------------------------------------- workers
function snapshotBuild(dir, src = path.join(ROOT, "build")) {
  for (const f of ["index.js", "index_bg.wasm"]) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const wasm = fs.readFileSync(path.join(dir, "index_bg.wasm"));
  return {
    dir,
    bytes: wasm.length,
    gzip: zlib.gzipSync(wasm, { level: 9 }).length,
    sha256: crypto.createHash("sha256").update(wasm).digest("hex").slice(0, 12),
    mtime: fs.statSync(path.join(src, "index_bg.wasm")).mtime.toISOString(),
  };
}

/** The commit, and whether the worker's sources differ from it. */
function gitInfo() {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "crates/lti-core/src", "Cargo.toml"], { cwd: ROOT })
      .toString()
      .trim();
    return dirty ? `${head} + uncommitted changes in the worker's sources` : head;
  } catch {
    return "unknown";
  }
}

function bundleJsWorker(dir) {
  const out = path.join(dir, "js-worker.mjs");
  execFileSync(
    path.join(ROOT, "node_modules/.bin/esbuild"),
    [
      path.join(HERE, "js-worker/worker.mjs"),
      "--bundle",
      "--format=esm",
      "--platform=neutral",
      "--conditions=workerd,worker,browser",
      "--main-fields=module,main",
      "--minify",
      `--outfile=${out}`,
      "--log-level=warning",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const code = fs.readFileSync(out);
  return { path: out, bytes: code.length, gzip: zlib.gzipSync(code, { level: 9 }).length };
}

/** Starts one Miniflare (one workerd process) and finds that process. */
async function startMiniflare(name, modules, bindings, kv, kvRoot) {
  const before = workerdChildren();
  const mf = new Miniflare({
    name,
    host: "127.0.0.1",
    port: 0,
    compatibilityDate: COMPAT_DATE,
    modules,
    modulesRoot: path.dirname(modules[0].path),
    kvNamespaces: kv ? ["PLATFORMS", "LTI_STATE"] : [],
    // On tmpfs: Miniflare's default in-memory KV caps writes near 230/s on
    // this machine, which would measure the simulator instead of the workers.
    ...(kv ? { kvPersist: path.join(kvRoot, name) } : {}),
    bindings,
    ...(PROFILE && kv ? { inspectorPort: await freePort() } : {}),
  });
  cleanups.push(() => mf.dispose());
  const url = await mf.ready;
  const pids = [...workerdChildren()].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`${name}: expected one new workerd process, found ${pids}`);
  const origin = url.origin;
  return {
    name,
    mf,
    pid: pids[0],
    port: Number(url.port),
    origin,
    agent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  };
}

/**
 * The KV server (bench/kv-server.mjs): its own Node process. `latency` is its
 * BENCH_KV_LATENCY ("none": no delay).
 */
async function startKvServer(namespaces, latency = "none") {
  const child = spawn(process.execPath, [path.join(HERE, "kv-server.mjs"), String(namespaces)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_KV_LATENCY: latency },
  });
  cleanups.push(() => child.stdin.end());
  const line = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(d.toString()));
    child.once("exit", (code) => reject(new Error(`kv-server exited (${code})`)));
  });
  const { ports, control, latency: model } = JSON.parse(line);
  return { pid: child.pid, ports, control, model, stop: () => child.stdin.end() };
}

/** A capnp string literal (the PEM's newlines as \n). */
const capnpText = (s) => JSON.stringify(s);

/**
 * Starts one workerd process directly, without Miniflare: its socket goes
 * straight to the worker, and each KV namespace is an external service (the
 * KV server), so only the worker's own work and its HTTP clients run here.
 */
async function startWorkerd(name, modules, bindings, kvPorts, dir) {
  const port = await freePort();
  const wdir = fs.mkdtempSync(path.join(dir, `workerd-${name}-`));
  const moduleLines = modules.map((m) => {
    const file = path.basename(m.path);
    fs.writeFileSync(path.join(wdir, file), m.contents);
    const kind = m.type === "CompiledWasm" ? "wasm" : "esModule";
    return `(name = ${capnpText(file)}, ${kind} = embed ${capnpText(file)})`;
  });
  const bindingLines = Object.entries(bindings).map(([k, v]) => `(name = ${capnpText(k)}, text = ${capnpText(v)})`);
  const v8Flags = V8_FLAGS_BOTH || name.split("-").includes("ours") ? V8_FLAGS : [];
  const services = [];
  for (const [binding, kvPort] of Object.entries(kvPorts)) {
    bindingLines.push(`(name = "${binding}", kvNamespace = "kv-${binding}")`);
    services.push(`(name = "kv-${binding}", external = (address = "127.0.0.1:${kvPort}", http = ()))`);
  }
  fs.writeFileSync(
    path.join(wdir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (${v8Flags.length ? `
  v8Flags = [${v8Flags.map(capnpText).join(", ")}],` : ""}
  services = [
    (name = "main", worker = (
      modules = [${moduleLines.join(", ")}],
      compatibilityDate = "${COMPAT_DATE}",
      bindings = [${bindingLines.join(", ")}],
      globalOutbound = "loopback",
    )),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
    ${services.join(",\n    ")}
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
`,
  );
  const inspectorPort = PROFILE && Object.keys(kvPorts).length ? await freePort() : null;
  const args = ["serve", path.join(wdir, "config.capnp")];
  if (inspectorPort) args.push(`--inspector-addr=127.0.0.1:${inspectorPort}`);
  const child = spawn(workerdBinary, args, { stdio: ["ignore", "inherit", "inherit"] });
  cleanups.push(() => child.kill());
  for (let i = 0; ; i++) {
    try {
      await new Promise((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1", () => s.end(resolve)).on("error", reject);
      });
      break;
    } catch (e) {
      if (child.exitCode !== null || i > 300) throw new Error(`${name}: workerd did not start (${child.exitCode})`);
      await new Promise((r) => setTimeout(r, i < 100 ? 10 : 50));
    }
  }
  const origin = `http://127.0.0.1:${port}`;
  return { name, child, pid: child.pid, port, origin, kvPorts, inspectorPort, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) };
}

/** Writes a value straight into a BENCH_KV=external namespace. */
async function kvPut(kvPort, key, value) {
  const res = await fetch(`http://127.0.0.1:${kvPort}/${encodeURIComponent(key)}?urlencoded=true`, { method: "PUT", body: value });
  if (!res.ok) throw new Error(`kv put: ${res.status}`);
}

// ---------------------------------------------------------------- benchmark of one LTI worker
async function benchLti(target, world, fresh) {
  const { platform, issuer } = world;
  const results = {};
  const jwksBefore = world.jwksHits();
  let seq = target.seqBase;

  // Warm-up: first requests compile, fetch the platform JWKS, import keys. In
  // a fresh isolate its CPU is kept, then as many launches again settle the
  // JIT tiers before anything is timed.
  const warmUp = async (count) => {
    const warm = [];
    for (let i = 0; i < count; i++) {
      const r = await doLogin(target, seq++);
      if (!r.ok) throw new Error(`${target.name} warm-up login failed: ${r.detail}`);
      warm.push({ ...r.login, idToken: idToken(platform, issuer, target.origin, r.login.nonce, r.login.seq) });
    }
    const cpu = cpuProbe(target.pid);
    const w = await drive(warm, 2, PHASE_MS, (l) => doLaunch(target, l));
    if (w.failed) throw new Error(`${target.name} warm-up launches failed: ${w.failureSamples.join(" | ")}`);
    return Object.assign(w, cpuDelta(cpu, target.pid), { concurrency: 2 });
  };
  const first = await warmUp(WARMUP);
  if (fresh) {
    results.freshIsolate = first;
    await warmUp(SETTLE);
  }
  const jwksWarm = world.jwksHits();

  // Logins (timed): they also prepare the launches.
  const n = C1 + C8;
  const seqs = Array.from({ length: n }, () => seq++);
  const logins = [];
  let cpu0 = cpuProbe(target.pid);
  results.login = await drive(seqs, 8, PHASE_MS, async (s) => {
    const r = await doLogin(target, s);
    if (r.ok) logins.push(r.login);
    return r;
  });
  Object.assign(results.login, cpuDelta(cpu0, target.pid), { concurrency: 8 });
  log(`${target.name}: ${results.login.ok} logins, ${results.login.rate.toFixed(0)}/s`);

  // One platform-signed id_token per login (untimed), each used once.
  for (const l of logins) l.idToken = idToken(platform, issuer, target.origin, l.nonce, l.seq);
  const c1 = logins.slice(0, Math.min(C1, logins.length));
  const c8 = logins.slice(c1.length);

  for (const [label, items, conc] of [
    ["launch c1", c1, 1],
    ["launch c8", c8, 8],
  ]) {
    const profile = PROFILE && fresh && conc === 8 ? await startProfile(target) : null;
    cpu0 = cpuProbe(target.pid);
    const r = await drive(items, conc, PHASE_MS, (l) => doLaunch(target, l));
    Object.assign(r, cpuDelta(cpu0, target.pid), { concurrency: conc });
    if (profile) await profile.stop();
    results[label] = r;
    log(`${target.name} ${label}: ${r.ok}/${r.attempted} ok, ${r.rate.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms`);
  }

  // Pass-through without a session (ours and the floor): the adapter's fixed cost.
  if (target.passthrough) {
    const seqs2 = Array.from({ length: PASSTHROUGH }, () => seq++);
    cpu0 = cpuProbe(target.pid);
    const r = await drive(seqs2, 8, PHASE_MS, async (s) => {
      const res = await send(target.agent, target.port, { path: `/course/1?seq=${s}`, headers: { accept: "text/html" } });
      const ok = res.status === 200 && res.body === ORIGIN_BODY;
      return { ok, ms: res.ms, detail: `pass-through ${res.status}: ${res.body.slice(0, 200)}` };
    });
    Object.assign(r, cpuDelta(cpu0, target.pid), { concurrency: 8 });
    results["pass-through c8"] = r;
  }
  results.jwksFetches = { warmUp: jwksWarm - jwksBefore, timed: world.jwksHits() - jwksWarm };
  return results;
}

/** Starts the V8 sampling profiler of `target` (Chrome DevTools protocol). */
async function startProfile(target) {
  const ws = new WebSocket(
    target.mf
      ? new URL(`/core:user:${target.name}`, await target.mf.getInspectorURL()).href
      : `ws://127.0.0.1:${target.inspectorPort}/main`,
  );
  await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
  const pending = new Map();
  ws.on("message", (data) => {
    const { id, result, error } = JSON.parse(data);
    pending.get(id)?.(error ? Promise.reject(new Error(error.message)) : result);
    pending.delete(id);
  });
  let next = 0;
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++next, resolve);
      ws.send(JSON.stringify({ id: next, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = await call("Profiler.stop");
      fs.mkdirSync(PROFILE, { recursive: true });
      fs.writeFileSync(path.join(PROFILE, `${target.name}.cpuprofile`), JSON.stringify(profile));
      ws.close();
      log(`${target.name}: CPU profile in ${PROFILE}/${target.name}.cpuprofile`);
    },
  };
}

async function benchHello(target) {
  const results = {};
  const get = () => send(target.agent, target.port, { path: "/" });
  for (let i = 0; i < 50; i++) await get();
  for (const [label, n, conc] of [
    ["hello c1", HELLO_C1, 1],
    ["hello c8", HELLO_C8, 8],
  ]) {
    const cpu0 = cpuProbe(target.pid);
    const r = await drive(Array.from({ length: n }), conc, PHASE_MS, async () => {
      const res = await get();
      return { ok: res.status === 200 && res.body === "hello", ms: res.ms, detail: `${res.status}` };
    });
    Object.assign(r, cpuDelta(cpu0, target.pid), { concurrency: conc });
    results[label] = r;
    log(`hello ${label}: ${r.rate.toFixed(0)}/s`);
  }
  return results;
}

// ---------------------------------------------------------------- wrangler dev (ours)
async function benchWranglerDev(dir, world) {
  const wdir = path.join(dir, "wrangler");
  fs.mkdirSync(wdir);
  const port = await freePort();
  const inspector = await freePort();
  const toml = [
    `name = "lti-edge-bench"`,
    `main = "${path.join(dir, "index.js")}"`,
    `compatibility_date = "${COMPAT_DATE}"`,
    `[vars]`,
    `ORIGIN_URL = "${world.originUrl}"`,
    `[[kv_namespaces]]`,
    `binding = "PLATFORMS"`,
    `id = "00000000000000000000000000000001"`,
    `[[kv_namespaces]]`,
    `binding = "LTI_STATE"`,
    `id = "00000000000000000000000000000002"`,
    ``,
  ].join("\n");
  fs.writeFileSync(path.join(wdir, "wrangler.toml"), toml);
  fs.writeFileSync(path.join(wdir, ".dev.vars"), `LTI_PRIVATE_KEY="${world.toolPem.replace(/\n/g, "\\n")}"\n`);
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    CI: "1",
  };
  const wrangler = path.join(ROOT, "node_modules/.bin/wrangler");
  const persist = path.join(world.kvRoot, "wrangler-dev");
  execFileSync(
    wrangler,
    ["kv", "key", "put", "--binding", "PLATFORMS", "--local", "--persist-to", persist, world.regKey, world.regJson],
    { cwd: wdir, env, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 },
  );
  const logFile = path.join(dir, "wrangler.log");
  const out = fs.openSync(logFile, "w");
  const child = spawn(
    wrangler,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      persist,
      "--show-interactive-dev-session=false",
    ],
    { cwd: wdir, env, stdio: ["ignore", out, out], detached: true },
  );
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
    if (!exited) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  };
  cleanups.push(stop);
  const target = {
    name: "ours via wrangler dev",
    port,
    origin: `http://127.0.0.1:${port}`,
    issuer: world.issuer,
    agent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  };
  const deadline = performance.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`wrangler dev exited; see ${logFile}`);
    if (performance.now() > deadline) throw new Error(`wrangler dev not ready in 90 s; see ${logFile}`);
    try {
      const r = await send(target.agent, port, { path: "/.well-known/jwks.json" });
      if (r.status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  // Warm-up, logins, then launches at concurrency 8.
  let seq = 9_000_000;
  const logins = [];
  for (let i = 0; i < WARMUP; i++) {
    const r = await doLogin(target, seq++);
    if (!r.ok) throw new Error(`wrangler dev warm-up login failed: ${r.detail}`);
    logins.push(r.login);
  }
  const results = {};
  const seqs = Array.from({ length: WRANGLER_LAUNCHES }, () => seq++);
  let cpu0 = cpuProbe(0);
  results.login = await drive(seqs, 8, PHASE_MS, async (s) => {
    const r = await doLogin(target, s);
    if (r.ok) logins.push(r.login);
    return r;
  });
  Object.assign(results.login, cpuDelta(cpu0, 0), { concurrency: 8 });
  for (const l of logins) l.idToken = idToken(world.platform, world.issuer, target.origin, l.nonce, l.seq);
  const w = await drive(logins.slice(0, WARMUP), 2, PHASE_MS, (l) => doLaunch(target, l));
  if (w.failed) throw new Error(`wrangler dev warm-up launches failed: ${w.failureSamples.join(" | ")}`);
  cpu0 = cpuProbe(0);
  results["launch c8"] = await drive(logins.slice(WARMUP), 8, PHASE_MS, (l) => doLaunch(target, l));
  Object.assign(results["launch c8"], cpuDelta(cpu0, 0), { concurrency: 8 });
  log(`wrangler dev launch c8: ${results["launch c8"].rate.toFixed(0)}/s`);
  await stop();
  return results;
}

// ---------------------------------------------------------------- report
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "–");
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const ms = (s, n) => (n ? (s * 1000) / n : NaN);

/** One phase over several rounds: counts summed, every figure the median of the rounds. */
function summarize(rounds) {
  const med = (f) => {
    const v = rounds.map(f).sort((a, b) => a - b);
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  const sum = (f) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    concurrency: rounds[0].concurrency,
    rounds: rounds.length,
    ok: sum((r) => r.ok),
    attempted: sum((r) => r.attempted),
    failed: sum((r) => r.failed),
    timedOut: rounds.some((r) => r.timedOut),
    failureSamples: rounds.flatMap((r) => r.failureSamples).slice(0, 5),
    rate: med((r) => r.rate),
    p50: med((r) => r.p50),
    p90: med((r) => r.p90),
    p99: med((r) => r.p99),
    workerMs: med((r) => ms(r.workerS, r.attempted)),
    workerUtil: med((r) => (100 * r.workerS) / r.wallS),
    nodeMs: med((r) => ms(r.nodeS, r.attempted)),
    nodeUtil: med((r) => (100 * r.nodeS) / r.wallS),
    rates: rounds.map((r) => Math.round(r.rate)),
    workerMsAll: rounds.map((r) => Number(ms(r.workerS, r.attempted).toFixed(2))),
    p50s: rounds.map((r) => r.p50),
  };
}

function row(worker, phase, r, withWorkerCpu = true) {
  const wcpu = withWorkerCpu ? f2(r.workerMs) : "n/a";
  const wutil = withWorkerCpu ? f0(r.workerUtil) : "n/a";
  const flag = r.failed ? ` ⚠ ${r.failed} failed` : r.timedOut ? " ⚠ time bound hit" : "";
  const all = r.rounds > 1 ? `${r.rates.join(", ")}` : "";
  const allCpu = r.rounds > 1 && withWorkerCpu ? `${r.workerMsAll.map(f2).join(", ")}` : "";
  return `| ${worker} | ${phase} | ${r.concurrency} | ${r.ok}/${r.attempted}${flag} | ${f0(r.rate)} | ${f2(r.p50)} | ${f2(r.p90)} | ${f2(r.p99)} | ${wcpu} | ${wutil} | ${f2(r.nodeMs)} | ${f0(r.nodeUtil)} | ${all} | ${allCpu} |`;
}

function report(meta, res, hello, wrangler) {
  const { ours, theirs, floor } = res;
  const L = [];
  L.push(`# lti-edge launch benchmark`);
  L.push("");
  L.push(
    `${meta.date} · ${meta.host} · Node ${process.version} · ` +
      (KV_EXTERNAL
        ? `workerd ${meta.workerd} alone, KV in another process (bench/kv-server.mjs)`
        : `Miniflare ${meta.miniflare} (workerd, KV simulator in the same process)`) +
      ` · jose ${meta.jose}`,
  );
  L.push("");
  L.push(
    `Ours: build/index_bg.wasm ${(meta.build.bytes / 1024).toFixed(0)} KiB, **${(meta.build.gzip / 1024).toFixed(0)} KiB gzip** ` +
      `(sha256 ${meta.build.sha256}…, built ${meta.build.mtime}, tree ${meta.git}); theirs: bundled worker.mjs + jose ` +
      `${(meta.js.bytes / 1024).toFixed(0)} KiB, ${(meta.js.gzip / 1024).toFixed(0)} KiB gzip. ` +
      `Both sign their assertions ${ASSERTION_ALG}.`,
  );
  L.push("");
  L.push(
    `Per worker and round: ${C1 + C8} logins (concurrency 8), then ${C1} launches at concurrency 1 and ${C8} at concurrency 8, ` +
      `each launch with its own login and id_token; every phase bounded to ${PHASE_MS / 1000} s. ${meta.rounds} round(s), the order rotating; ` +
      `every figure is the median over the rounds (counts are totals; each round's rate and CPU in the last columns). Latency in ms at the client. ` +
      `CPU from /proc of that worker's own workerd process, per request; "util" is CPU time / wall time (200 % = both cores).`,
  );
  L.push("");
  L.push(
    "| worker | phase | conc. | ok/total | req/s | p50 ms | p90 ms | p99 ms | workerd CPU ms/req | workerd util % | Node CPU ms/req | Node util % | req/s, each round | workerd CPU ms/req, each round |",
  );
  L.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
  const rows = [
    ["ours (Rust/wasm)", ours, ["login", "launch c1", "launch c8", "pass-through c8"]],
    [THEIRS, theirs, ["login", "launch c1", "launch c8"]],
    ["floor (I/O only)", floor, ["login", "launch c1", "launch c8", "pass-through c8"]],
    ["hello (trivial fetch)", { "hello c1": summarize([hello["hello c1"]]), "hello c8": summarize([hello["hello c8"]]) }, ["hello c1", "hello c8"]],
  ];
  for (const [name, r, phases] of rows) for (const phase of phases) L.push(row(name, phase, r[phase]));
  if (wrangler?.results) {
    L.push(row("ours via wrangler dev", "login", summarize([wrangler.results.login]), false));
    L.push(row("ours via wrangler dev", "launch c8", summarize([wrangler.results["launch c8"]]), false));
  }
  L.push("");
  const ratio = (a, b) => (b ? a / b : NaN);
  const cpu = (r) => r.workerMs;
  const above = (r, phase) => cpu(r[phase]) - cpu(floor[phase]);
  if (BASELINE) L.push(`"theirs" below is the baseline build in ${BASELINE}, not the jose worker.`, "");
  L.push(`| ours / ${BASELINE ? "baseline" : "theirs"} | concurrency 1 | concurrency 8 |`);
  L.push("|---|---:|---:|");
  L.push(
    `| launches/s | ${f2(ratio(ours["launch c1"].rate, theirs["launch c1"].rate))} | ${f2(ratio(ours["launch c8"].rate, theirs["launch c8"].rate))} |`,
  );
  L.push(`| workerd CPU per launch | ${f2(ratio(cpu(ours["launch c1"]), cpu(theirs["launch c1"])))} | ${f2(ratio(cpu(ours["launch c8"]), cpu(theirs["launch c8"])))} |`);
  L.push(
    `| workerd CPU per launch above the floor | ${f2(ratio(above(ours, "launch c1"), above(theirs, "launch c1")))} | ${f2(ratio(above(ours, "launch c8"), above(theirs, "launch c8")))} |`,
  );
  L.push(`| workerd CPU per login | – | ${f2(ratio(cpu(ours.login), cpu(theirs.login)))} |`);
  L.push("");
  L.push(
    `CPU above the floor (ms per request; the floor is the same KV and origin I/O with no LTI work): ` +
      `launch c1 ours ${f2(above(ours, "launch c1"))}, theirs ${f2(above(theirs, "launch c1"))}; ` +
      `launch c8 ours ${f2(above(ours, "launch c8"))}, theirs ${f2(above(theirs, "launch c8"))}; ` +
      `login ours ${f2(above(ours, "login"))}, theirs ${f2(above(theirs, "login"))}; ` +
      `pass-through without session ours ${f2(above(ours, "pass-through c8"))}.`,
  );
  L.push("");
  L.push(
    `Fresh isolate: workerd CPU per launch over the first ${WARMUP} launches after start (concurrency 2; JWKS fetch, key imports and ` +
      `compilation included; then ${SETTLE} more untimed before any timed phase): ours ${f2(ours.freshIsolate.workerMs)}, ` +
      `theirs ${f2(theirs.freshIsolate.workerMs)}, floor ${f2(floor.freshIsolate.workerMs)}.`,
  );
  L.push("");
  if (wrangler && !wrangler.results) L.push(`wrangler dev: not measured (${wrangler.error}).`);
  if (wrangler?.results)
    L.push(
      `wrangler dev (one round, ours only): its CPU is spread over wrangler's Node proxy and workerd, so only rate and latency are shown; the Node columns are this harness.`,
    );
  L.push("");
  const jw = (r) => r.jwksFetches.map((j) => `${j.warmUp}+${j.timed}`).join(", ");
  L.push(
    `Checks: every launch counted as ok answered 200 with the origin's body and an \`lti_session\` cookie; the origin saw an \`Lti-Jwt-Assertion\` on every launch ` +
      `(${meta.originHits.ours} for ours, ${meta.originHits.theirs} for theirs, warm-ups included); the last assertion of each worker verified with jose against ` +
      `the tool key (${ASSERTION_ALG}, iss, aud, exp − iat ≤ 300, lti.nonce): ours ${meta.verified.ours}, theirs ${meta.verified.theirs}. ` +
      `Platform JWKS fetches per round (warm-up + timed): ours ${jw(ours)}; theirs ${jw(theirs)}.`,
  );
  const fails = [
    ...Object.entries(ours).map(([k, r]) => [`ours ${k}`, r]),
    ...Object.entries(theirs).map(([k, r]) => [`theirs ${k}`, r]),
    ...Object.entries(floor).map(([k, r]) => [`floor ${k}`, r]),
  ].filter(([, r]) => r.failureSamples?.length);
  if (fails.length) {
    L.push("");
    L.push("Failures (first samples):");
    for (const [k, r] of fails) for (const s of r.failureSamples) L.push(`- ${k}: \`${s.replace(/\s+/g, " ").slice(0, 200)}\``);
  }
  return L.join("\n") + "\n";
}

// ---------------------------------------------------------------- main
async function main() {
  const ctx = await setup();
  const started = performance.now();
  let code = 0;
  const timing = {};
  for (const phase of ["latency", "cold", "classic"]) {
    if (!PHASES.has(phase)) continue;
    const t0 = performance.now();
    log(`phase ${phase}`);
    const c = phase === "latency" ? await runLatencyModel(ctx) : phase === "cold" ? await runColdStart(ctx) : await runClassic(ctx);
    timing[phase] = Math.round((performance.now() - t0) / 1000);
    code = Math.max(code, c);
  }
  log(`done in ${Math.round((performance.now() - started) / 1000)} s (${Object.entries(timing).map(([k, v]) => `${k} ${v} s`).join(", ")})`);
  return code;
}

/** What every phase shares: the build, the jose worker, platform, origin, keys. */
async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lti-edge-bench-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  // KV state lives in RAM (tmpfs) when there is one; see startWorker.
  const kvRoot = fs.existsSync("/dev/shm")
    ? fs.mkdtempSync("/dev/shm/lti-edge-bench-")
    : fs.mkdtempSync(path.join(dir, "kv-"));
  cleanups.push(() => fs.rmSync(kvRoot, { recursive: true, force: true }));
  const build = snapshotBuild(dir);
  const js = bundleJsWorker(dir);
  log(`wasm ${build.bytes} B (${build.gzip} B gzip); js worker ${js.bytes} B (${js.gzip} B gzip)`);

  // Platform (JWKS) and origin, in this process.
  const platform = rsaKey();
  let jwksHits = 0;
  const jwksBody = JSON.stringify({ keys: [platform.publicJwk] });
  const { port: platformPort } = await listen((req, res) => {
    if (req.url === "/jwks") {
      jwksHits++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600" });
      res.end(jwksBody);
    } else {
      res.writeHead(404).end();
    }
  });
  const issuer = `http://127.0.0.1:${platformPort}`;
  const originHits = { ours: 0, theirs: 0, floor: 0, missing: 0 };
  const lastAssertion = {};
  // Each worker's host (X-Forwarded-Host) -> { name, delayMs, arrivals }: who
  // asked, how long the origin waits before answering, and (while a launch is
  // traced) when its requests arrived.
  const originRoutes = {};
  const { port: originPort } = await listen((req, res) => {
    const at = epochMs();
    const assertion = req.headers["lti-jwt-assertion"];
    const route = originRoutes[req.headers["x-forwarded-host"]];
    route?.arrivals?.push(at);
    if (assertion && route) {
      originHits[route.name] = (originHits[route.name] ?? 0) + 1;
      lastAssertion[route.name] = assertion;
    } else {
      originHits.missing++;
    }
    req.resume();
    const reply = () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(ORIGIN_BODY);
    };
    if (route?.delayMs > 0) setTimeout(reply, route.delayMs);
    else reply();
  });
  const originUrl = `http://127.0.0.1:${originPort}`;

  // The tools' keys: RSA, and with BENCH_ASSERTION_ALG=ES256 a P-256 key first,
  // which then signs both workers' assertions.
  const toolKey = (type, options, alg, members) => {
    const pair = crypto.generateKeyPairSync(type, options);
    const jwk = { ...pair.publicKey.export({ format: "jwk" }), alg };
    const canonical = Object.fromEntries(members.map((m) => [m, jwk[m]]));
    jwk.kid = crypto.createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
    return { pem: pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(), jwk };
  };
  const toolKeys = [toolKey("rsa", { modulusLength: 2048 }, "RS256", ["e", "kty", "n"])];
  if (ASSERTION_ALG === "ES256") toolKeys.unshift(toolKey("ec", { namedCurve: "P-256" }, "ES256", ["crv", "kty", "x", "y"]));
  const toolPem = toolKeys.map((k) => k.pem).join("");

  const regKey = `${issuer}#${CLIENT_ID}`;
  const regJson = JSON.stringify({
    issuer,
    client_id: CLIENT_ID,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    deployment_ids: [DEPLOYMENT],
  });
  const world = { platform, issuer, originUrl, toolPem, regKey, regJson, kvRoot, jwksHits: () => jwksHits };
  const bindings = { ORIGIN_URL: originUrl, LTI_PRIVATE_KEY: toolPem };
  const read = (p) => fs.readFileSync(p);
  const baseline = BASELINE && snapshotBuild(fs.mkdtempSync(path.join(dir, "baseline-")), BASELINE);
  const modules = {
    ours: [
      { type: "ESModule", path: path.join(dir, "index.js"), contents: read(path.join(dir, "index.js")) },
      { type: "CompiledWasm", path: path.join(dir, "index_bg.wasm"), contents: read(path.join(dir, "index_bg.wasm")) },
    ],
    theirs: baseline
      ? [
          { type: "ESModule", path: path.join(baseline.dir, "index.js"), contents: read(path.join(baseline.dir, "index.js")) },
          { type: "CompiledWasm", path: path.join(baseline.dir, "index_bg.wasm"), contents: read(path.join(baseline.dir, "index_bg.wasm")) },
        ]
      : [{ type: "ESModule", path: js.path, contents: read(js.path) }],
  };
  return {
    dir, build, js, baseline, world, bindings, modules, toolKeys, originUrl, originRoutes, originHits, lastAssertion,
    issuer, platform, regKey, regJson, jwksHits: () => jwksHits,
  };
}

/** The classic CPU benchmark: ours, theirs, floor and hello, rounds of logins and launches. */
async function runClassic(ctx) {
  const { dir, build, js, world, bindings, modules, toolKeys, originUrl, originRoutes, originHits, lastAssertion, issuer, regKey, regJson, kvRoot = world.kvRoot } = ctx;
  const read = (p) => fs.readFileSync(p);
  const kvServer = KV_EXTERNAL ? await startKvServer(6) : null;
  const kvPorts = () => {
    const [a, b] = kvServer.ports.splice(0, 2);
    return { PLATFORMS: a, LTI_STATE: b };
  };
  const startWorker = (name, modules, vars, kv) =>
    KV_EXTERNAL
      ? startWorkerd(name, modules, vars, kv ? kvPorts() : {}, dir)
      : startMiniflare(name, modules, vars, kv, kvRoot);
  const oursTarget = await startWorker("ours", modules.ours, bindings, true);
  const theirsTarget = await startWorker("theirs", modules.theirs, bindings, true);
  const floorPath = path.join(HERE, "js-worker/floor.mjs");
  const floorTarget = await startWorker(
    "floor",
    [{ type: "ESModule", path: floorPath, contents: read(floorPath) }],
    bindings,
    true,
  );
  fs.writeFileSync(path.join(dir, "hello.mjs"), `export default { fetch() { return new Response("hello"); } };`);
  const helloTarget = await startWorker(
    "hello",
    [{ type: "ESModule", path: path.join(dir, "hello.mjs"), contents: read(path.join(dir, "hello.mjs")) }],
    {},
    false,
  );
  oursTarget.passthrough = true;
  floorTarget.passthrough = true;
  for (const [t, base] of [
    [oursTarget, 1_000_000],
    [theirsTarget, 2_000_000],
    [floorTarget, 3_000_000],
  ]) {
    t.issuer = issuer;
    t.seqBase = base;
    if (KV_EXTERNAL) await kvPut(t.kvPorts.PLATFORMS, regKey, regJson);
    else await (await t.mf.getKVNamespace("PLATFORMS")).put(regKey, regJson);
  }
  for (const t of [oursTarget, theirsTarget, floorTarget]) originRoutes[new URL(t.origin).host] = { name: t.name, delayMs: 0 };
  for (const t of [oursTarget, theirsTarget, floorTarget, helloTarget]) log(`${t.name}: ${t.origin} (workerd pid ${t.pid})`);

  // The trivial worker first: the ceiling of this path on this machine.
  const hello = await benchHello(helloTarget);

  // The LTI workers, one after another, the order rotating over rounds.
  const all = { ours: [], theirs: [], floor: [] };
  const targets = [oursTarget, theirsTarget, floorTarget];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length];
      t.seqBase += 100_000;
      all[t.name].push(await benchLti(t, world, round === 0));
    }
  }
  const median = (rounds) => {
    const out = { jwksFetches: rounds.map((r) => r.jwksFetches), freshIsolate: summarize([rounds[0].freshIsolate]) };
    for (const phase of Object.keys(rounds[0]).filter((k) => k !== "jwksFetches" && k !== "freshIsolate"))
      out[phase] = summarize(rounds.map((r) => r[phase]));
    return out;
  };
  const best = { ours: median(all.ours), theirs: median(all.theirs), floor: median(all.floor) };

  // One assertion of each, checked as an origin would.
  const verified = {};
  for (const [who, t] of [
    ["ours", oursTarget],
    ["theirs", theirsTarget],
  ]) {
    try {
      const { payload } = await jwtVerify(lastAssertion[who], createLocalJWKSet({ keys: toolKeys.map((k) => k.jwk) }), {
        algorithms: [ASSERTION_ALG],
        issuer: t.origin,
        audience: originUrl,
      });
      verified[who] = payload.lti?.nonce && payload.exp - payload.iat <= 300 ? "ok" : "claims missing";
    } catch (e) {
      verified[who] = `FAILED (${e.code || e.message})`;
    }
  }

  let wrangler = null;
  if (WRANGLER) {
    try {
      wrangler = { results: await benchWranglerDev(dir, world) };
    } catch (e) {
      log(`wrangler dev: ${e.message}`);
      wrangler = { error: e.message.split("\n")[0] };
    }
  }

  const pkg = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version;
  const meta = {
    date: new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC",
    host: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? "cpu"}, load avg ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    miniflare: pkg("miniflare"),
    workerd: pkg("workerd"),
    jose: pkg("jose"),
    build,
    js,
    git: gitInfo(),
    rounds: ROUNDS,
    originHits,
    verified,
    jwksHits: ctx.jwksHits(),
  };
  const md = report(meta, best, hello, wrangler);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, `${OUT}.md`), md);
  fs.writeFileSync(
    path.join(RESULTS, `${OUT}.json`),
    JSON.stringify({ meta, median: best, rounds: all, hello, wrangler }, null, 2) + "\n",
  );
  process.stdout.write(md);
  const anyFailed = Object.values(all).some((rounds) =>
    rounds.some((r) => Object.values(r).some((p) => p.failed > 0)),
  );
  return anyFailed ? 1 : 0;
}

// ---------------------------------------------------------------- helpers of the latency and cold phases
async function stopWorkerd(t) {
  t.agent.destroy();
  if (t.child.exitCode !== null || t.child.signalCode !== null) return;
  const exited = new Promise((r) => t.child.once("exit", r));
  t.child.kill();
  const timer = setTimeout(() => t.child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function kvControl(kv, p, method = "POST") {
  const res = await fetch(`http://127.0.0.1:${kv.control}${p}`, { method });
  if (!res.ok) throw new Error(`kv-server ${p}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

/** The kv-server's clock minus ours (ms), from the fastest of a few round trips. */
async function kvClockOffset(kv) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const a = epochMs();
    const theirs = await kvControl(kv, "/now", "GET");
    const b = epochMs();
    if (b - a < best.rtt) best = { rtt: b - a, offset: theirs - (a + b) / 2 };
  }
  return best;
}

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const quantile = (values, q) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] : NaN;
};

/**
 * One traced launch: the KV operations it issued (the kv-server's log, on
 * our clock), grouped in waves of overlapping operations, against the time
 * the launch was sent (t0), the origin's request arrived, and the answer was
 * back at the client (t1).
 */
function traceLaunch(ops, names, t0, t1, originAt) {
  // The key's kind: what comes before its first ":" (login, session, ...), not the random rest.
  const kind = (key) => {
    const m = /^([\w-]{1,32}:)/.exec(key ?? "");
    return m ? ` ${m[1]}*` : key ? " (key)" : "";
  };
  const sorted = ops.map((o) => ({ ...o, label: `${o.op} ${names[o.ns]}${kind(o.key)}` })).sort((a, b) => a.t0 - b.t0);
  const waves = [];
  for (const o of sorted) {
    const w = waves.at(-1);
    if (w && o.t0 < w.end) {
      w.ops.push(o);
      w.end = Math.max(w.end, o.t1);
    } else {
      waves.push({ start: o.t0, end: o.t1, ops: [o] });
    }
  }
  const origin = originAt ?? Infinity;
  const events = [
    ...waves.map((w) => ({ t: w.start, text: w.ops.length > 1 ? `[${w.ops.map((o) => o.label).join(" ∥ ")}]` : w.ops[0].label })),
    { t: origin, text: "origin" },
    { t: t1, text: "response" },
  ].sort((a, b) => a.t - b.t);
  const byOp = {};
  for (const o of sorted) byOp[o.label] = (byOp[o.label] ?? 0) + 1;
  return {
    ops: sorted.length,
    beforeOrigin: sorted.filter((o) => o.t0 < origin).length,
    sequentialBeforeOrigin: waves.filter((w) => w.start < origin).length,
    afterOrigin: sorted.filter((o) => o.t0 >= origin).length,
    afterResponse: sorted.filter((o) => o.t0 >= t1).length,
    kvMsBeforeOrigin: waves.filter((w) => w.start < origin).reduce((ms, w) => ms + (Math.min(w.end, origin) - w.start), 0),
    toOriginMs: origin - t0,
    wallMs: t1 - t0,
    order: events.map((e) => e.text).join(" → "),
    byOp,
  };
}

function summarizeTraces(traces) {
  const orders = new Map();
  for (const t of traces) orders.set(t.order, (orders.get(t.order) ?? 0) + 1);
  const [order, seen] = [...orders.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["–", 0];
  const out = { launches: traces.length, order, orderSeen: seen };
  for (const k of ["ops", "beforeOrigin", "sequentialBeforeOrigin", "afterOrigin", "afterResponse", "kvMsBeforeOrigin", "toOriginMs", "wallMs"])
    out[k] = median(traces.map((t) => t[k]));
  out.opsRange = [Math.min(...traces.map((t) => t.ops)), Math.max(...traces.map((t) => t.ops))];
  return out;
}

function commonMeta(ctx) {
  const pkg = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version;
  return {
    date: new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC",
    host: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? "cpu"}`,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    workerd: pkg("workerd"),
    jose: pkg("jose"),
    build: ctx.build,
    baseline: ctx.baseline || null,
    js: ctx.js,
    git: gitInfo(),
    assertionAlg: ASSERTION_ALG,
  };
}

function describeBuilds(meta) {
  const b = meta.build;
  const ours = `ours: build/index_bg.wasm ${(b.bytes / 1024).toFixed(0)} KiB, ${(b.gzip / 1024).toFixed(0)} KiB gzip (sha256 ${b.sha256}…, built ${b.mtime}, tree ${meta.git})`;
  const theirs = meta.baseline
    ? `baseline: ${BASELINE}/index_bg.wasm ${(meta.baseline.bytes / 1024).toFixed(0)} KiB, ${(meta.baseline.gzip / 1024).toFixed(0)} KiB gzip (sha256 ${meta.baseline.sha256}…, built ${meta.baseline.mtime})`
    : `theirs: bench/js-worker/worker.mjs + jose ${meta.jose}, bundled ${(meta.js.bytes / 1024).toFixed(0)} KiB, ${(meta.js.gzip / 1024).toFixed(0)} KiB gzip`;
  return `${ours}; ${theirs}. Both sign their assertions ${meta.assertionAlg}.`;
}

function writeResults(name, md, json) {
  const base = process.env.BENCH_OUT && OUT !== "latest" ? `${OUT}-${name}` : name;
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, `${base}.md`), md);
  fs.writeFileSync(path.join(RESULTS, `${base}.json`), JSON.stringify(json, null, 2) + "\n");
  process.stdout.write(md + "\n");
}

// ---------------------------------------------------------------- latency model
/**
 * Ours and theirs in bare workerd processes, KV answered by the kv-server
 * after the latency model's delays, the origin after BENCH_ORIGIN_LATENCY ms.
 */
async function runLatencyModel(ctx) {
  const { dir, bindings, modules, issuer, platform, regKey, regJson, originRoutes } = ctx;
  const kv = await startKvServer(4, process.env.BENCH_KV_LATENCY ?? "default");
  const model = kv.model;
  const clock = await kvClockOffset(kv);
  log(`latency model: KV ${JSON.stringify(model)}, origin ${ORIGIN_LATENCY_MS} ms; kv-server clock offset ${clock.offset.toFixed(3)} ms (rtt ${clock.rtt.toFixed(2)} ms)`);
  const nsBinding = ["PLATFORMS", "LTI_STATE", "PLATFORMS", "LTI_STATE"];
  const targets = [];
  try {
    for (const [i, name] of ["ours", "theirs"].entries()) {
      const kvPorts = { PLATFORMS: kv.ports[2 * i], LTI_STATE: kv.ports[2 * i + 1] };
      const t = await startWorkerd(`latency-${name}`, modules[name], bindings, kvPorts, dir);
      Object.assign(t, { label: name, issuer, seq: 5_000_000 + i * 1_000_000 });
      await kvPut(kvPorts.PLATFORMS, regKey, regJson);
      t.route = { name: `latency-${name}`, delayMs: ORIGIN_LATENCY_MS, arrivals: null };
      originRoutes[new URL(t.origin).host] = t.route;
      targets.push(t);
    }
    const prepare = async (t, n) => {
      const seqs = Array.from({ length: n }, () => t.seq++);
      const logins = [];
      const cpu0 = cpuProbe(t.pid);
      const r = await drive(seqs, 8, PHASE_MS, async (s) => {
        const x = await doLogin(t, s);
        if (x.ok) logins.push(x.login);
        return x;
      });
      Object.assign(r, cpuDelta(cpu0, t.pid), { concurrency: 8 });
      for (const l of logins) l.idToken = idToken(platform, issuer, t.origin, l.nonce, l.seq);
      return { result: r, logins };
    };
    const launches = async (t, items, conc) => {
      const cpu0 = cpuProbe(t.pid);
      const r = await drive(items, conc, PHASE_MS, (l) => doLaunch(t, l));
      return Object.assign(r, cpuDelta(cpu0, t.pid), { concurrency: conc });
    };

    // Warm-up: caches filled (registration, JWKS, keys) and the JIT settled.
    for (const t of targets) {
      const { logins } = await prepare(t, LM_WARMUP);
      const w = await launches(t, logins, 8);
      if (w.failed) throw new Error(`${t.label} warm-up launches failed: ${w.failureSamples.join(" | ")}`);
    }

    // Single launches, one at a time, traced: every KV operation between the
    // launch and the end of a pause long enough for background work belongs to it.
    const settle = 3 * Math.max(model.get, model.put, model.delete, model.list) * (1 + model.jitter) + 50;
    const traces = { ours: [], theirs: [] };
    for (const t of targets) {
      const { logins } = await prepare(t, LM_TRACE);
      for (const l of logins) {
        await kvControl(kv, "/trace/start");
        t.route.arrivals = [];
        const t0 = epochMs();
        const r = await doLaunch(t, l);
        const t1 = epochMs();
        await sleep(settle);
        const ops = (await kvControl(kv, "/trace/stop")).map((o) => ({ ...o, t0: o.t0 - clock.offset, t1: o.t1 - clock.offset }));
        const arrivals = t.route.arrivals;
        t.route.arrivals = null;
        if (!r.ok) throw new Error(`${t.label} traced launch failed: ${r.detail}`);
        traces[t.label].push(traceLaunch(ops, nsBinding, t0, t1, arrivals[0]));
      }
    }

    // Timed rounds, the order alternating.
    const all = { ours: [], theirs: [] };
    for (let round = 0; round < LM_ROUNDS; round++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + round) % targets.length];
        const { result: login, logins } = await prepare(t, LM_C1 + LM_C8);
        const c1 = await launches(t, logins.slice(0, LM_C1), 1);
        const c8 = await launches(t, logins.slice(LM_C1), 8);
        all[t.label].push({ login, "launch c1": c1, "launch c8": c8 });
        log(`latency ${t.label} round ${round + 1}: launch c1 p50 ${f1(c1.p50)} ms, c8 p50 ${f1(c8.p50)} ms, ${f0(c8.rate)}/s`);
      }
    }
    const med = {};
    for (const who of ["ours", "theirs"]) {
      med[who] = { trace: summarizeTraces(traces[who]) };
      for (const phase of ["login", "launch c1", "launch c8"]) med[who][phase] = summarize(all[who].map((r) => r[phase]));
    }
    const meta = { ...commonMeta(ctx), kvModel: model, originLatencyMs: ORIGIN_LATENCY_MS, clock, rounds: LM_ROUNDS };
    writeResults("latency-model", latencyReport(meta, med), { meta, median: med, rounds: all, traces });
    const failed = Object.values(all).some((rs) => rs.some((r) => Object.values(r).some((p) => p.failed > 0)));
    return failed ? 1 : 0;
  } finally {
    for (const t of targets) await stopWorkerd(t);
    kv.stop();
  }
}

function latencyReport(meta, med) {
  const theirsName = BASELINE ? "baseline" : "jose";
  const m = meta.kvModel;
  const L = [];
  L.push("# lti-edge launch latency under a KV latency model", "");
  L.push(`${meta.date} · ${meta.host}, load average ${meta.loadavg.join(" ")} · workerd ${meta.workerd} alone per worker, KV in bench/kv-server.mjs`, "");
  L.push(describeBuilds(meta), "");
  L.push(
    `Model: every KV operation answered after get ${m.get} ms, put ${m.put} ms, delete ${m.delete} ms, list ${m.list} ms ` +
      `(each ±${Math.round(m.jitter * 100)} %, uniform); the origin answers after ${meta.originLatencyMs} ms. ` +
      `Per worker and round: ${LM_C1 + LM_C8} logins (concurrency 8), then ${LM_C1} launches at concurrency 1 and ${LM_C8} at concurrency 8, ` +
      `each with its own login and id_token. ${meta.rounds} rounds, the order alternating; figures are medians over the rounds. ` +
      `Latency: the launch POST's wall time at the client, in ms.`,
    "",
  );
  L.push("| worker | phase | conc. | ok/total | req/s | p50 ms | p90 ms | p99 ms | workerd CPU ms/req | req/s, each round | p50, each round |");
  L.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
  for (const who of ["ours", "theirs"]) {
    for (const phase of ["login", "launch c1", "launch c8"]) {
      const r = med[who][phase];
      const flag = r.failed ? ` ⚠ ${r.failed} failed` : r.timedOut ? " ⚠ time bound hit" : "";
      L.push(
        `| ${who === "ours" ? "ours" : theirsName} | ${phase} | ${r.concurrency} | ${r.ok}/${r.attempted}${flag} | ${f0(r.rate)} | ${f1(r.p50)} | ${f1(r.p90)} | ${f1(r.p99)} | ${f2(r.workerMs)} | ${r.rates.join(", ")} | ${r.p50s.map(f1).join(", ")} |`,
      );
    }
  }
  L.push("");
  const ratio = (a, b) => f2(b ? a / b : NaN);
  L.push(`| ours / ${theirsName} | concurrency 1 | concurrency 8 |`, "|---|---:|---:|");
  for (const [label, f] of [
    ["launch p50", (r) => r.p50],
    ["launch p99", (r) => r.p99],
    ["launches/s", (r) => r.rate],
  ])
    L.push(`| ${label} | ${ratio(f(med.ours["launch c1"]), f(med.theirs["launch c1"]))} | ${ratio(f(med.ours["launch c8"]), f(med.theirs["launch c8"]))} |`);
  L.push("");
  L.push(
    `Storage operations per launch: ${med.ours.trace.launches} single launches of each worker traced one at a time after the warm-up ` +
      `(the kv-server logs every operation; the origin logs when the launch's request arrived). Medians; "sequential" counts waves of ` +
      `operations that ran one after another (operations in flight together count once).`,
    "",
  );
  L.push("| worker | KV ops per launch | before the origin | sequential before the origin | KV wait before the origin, ms | after the origin | after the response | launch sent → origin asked, ms | launch wall, ms | order (most frequent; ∥ = in flight together) |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const who of ["ours", "theirs"]) {
    const t = med[who].trace;
    const range = t.opsRange[0] === t.opsRange[1] ? "" : ` (${t.opsRange[0]}–${t.opsRange[1]})`;
    L.push(
      `| ${who === "ours" ? "ours" : theirsName} | ${t.ops}${range} | ${t.beforeOrigin} | ${t.sequentialBeforeOrigin} | ${f1(t.kvMsBeforeOrigin)} | ${t.afterOrigin} | ${t.afterResponse} | ${f1(t.toOriginMs)} | ${f1(t.wallMs)} | ${t.order} (${t.orderSeen}/${t.launches}) |`,
    );
  }
  L.push("");
  L.push(
    `The registration (PLATFORMS) and the platform's JWKS are cached per isolate by both workers, so a warm launch reads neither. ` +
      `Clock offset kv-server − harness: ${meta.clock.offset.toFixed(3)} ms (round trip ${meta.clock.rtt.toFixed(2)} ms), corrected.`,
  );
  return L.join("\n") + "\n";
}

// ---------------------------------------------------------------- cold start
/**
 * A fresh workerd process per sample, each worker in turn: its start, the
 * first login and the first launch (wall time at the client, CPU of all the
 * process's threads), then a second login and launch for contrast.
 */
async function runColdStart(ctx) {
  const { dir, bindings, modules, issuer, platform, regKey, regJson, originRoutes } = ctx;
  const kv = await startKvServer(4, "none");
  const kvPortsOf = {
    ours: { PLATFORMS: kv.ports[0], LTI_STATE: kv.ports[1] },
    theirs: { PLATFORMS: kv.ports[2], LTI_STATE: kv.ports[3] },
  };
  const samples = { ours: [], theirs: [] };
  const helpers = {};
  try {
    for (const k of Object.values(kvPortsOf)) await kvPut(k.PLATFORMS, regKey, regJson);
    let seq = 8_000_000;
    // A long-lived process of each worker, on the same KV, makes the logins of
    // the samples whose first request is the launch (on Cloudflare the launch
    // may well reach another isolate than its login did).
    for (const name of ["ours", "theirs"]) {
      helpers[name] = await startWorkerd(`cold-helper-${name}`, modules[name], bindings, kvPortsOf[name], dir);
      helpers[name].issuer = issuer;
    }
    const fresh = async (name, label) => {
      const spawned = performance.now();
      const t = await startWorkerd(label, modules[name], bindings, kvPortsOf[name], dir);
      t.startWallMs = performance.now() - spawned;
      t.issuer = issuer;
      originRoutes[new URL(t.origin).host] = { name: `cold-${name}`, delayMs: 0 };
      return t;
    };
    const deadline = performance.now() + Math.max(PHASE_MS, 60_000) * 3;
    for (let i = 0; i < COLD_ISOLATES && performance.now() < deadline; i++) {
      for (const name of i % 2 ? ["theirs", "ours"] : ["ours", "theirs"]) {
        // The launch as the very first request: its login made by the helper.
        const helperLogin = await doLogin(helpers[name], seq++);
        if (!helperLogin.ok) throw new Error(`cold ${name}: helper login failed: ${helperLogin.detail}`);
        const hl = helperLogin.login;
        let launchOnlyWallMs;
        let launchOnlyCpuMs;
        const u = await fresh(name, `cold-launch-${name}-${i}`);
        try {
          // The helper's origin host differs from this process's: the login's
          // target_link_uri names the helper, so the token is made for u instead.
          const c0 = threadsCpu(u.pid);
          const r = await doLaunch(u, { ...hl, idToken: idToken(platform, issuer, u.origin, hl.nonce, hl.seq) });
          launchOnlyCpuMs = (threadsCpu(u.pid) - c0) * 1000;
          launchOnlyWallMs = r.ms;
          if (!r.ok) throw new Error(`cold ${name}: launch-first failed: ${r.detail}`);
        } finally {
          await stopWorkerd(u);
        }

        const t = await fresh(name, `cold-${name}-${i}`);
        const startWallMs = t.startWallMs;
        try {
          const cpu = [threadsCpu(t.pid)];
          const ticks = [procCpu(t.pid)];
          const mark = () => {
            cpu.push(threadsCpu(t.pid));
            ticks.push(procCpu(t.pid));
          };
          const round = async () => {
            const login = await doLogin(t, seq++);
            mark();
            if (!login.ok) throw new Error(`cold ${name}: login failed: ${login.detail}`);
            const l = { ...login.login, idToken: idToken(platform, issuer, t.origin, login.login.nonce, login.login.seq) };
            const launch = await doLaunch(t, l);
            mark();
            if (!launch.ok) throw new Error(`cold ${name}: launch failed: ${launch.detail}`);
            return [login.ms, launch.ms];
          };
          const [loginWallMs, launchWallMs] = await round();
          const [login2WallMs, launch2WallMs] = await round();
          const d = (a, b) => (cpu[b] - cpu[a]) * 1000;
          samples[name].push({
            startWallMs,
            startCpuMs: cpu[0] * 1000,
            loginWallMs,
            loginCpuMs: d(0, 1),
            launchWallMs,
            launchCpuMs: d(1, 2),
            firstBothWallMs: loginWallMs + launchWallMs,
            firstBothCpuMs: d(0, 2),
            login2WallMs,
            login2CpuMs: d(2, 3),
            launch2WallMs,
            launch2CpuMs: d(3, 4),
            launchOnlyWallMs,
            launchOnlyCpuMs,
            ticksCpuMs: ticks.map((x) => Math.round(x * 1000)),
          });
        } finally {
          await stopWorkerd(t);
        }
      }
    }
    const med = {};
    for (const who of ["ours", "theirs"]) {
      med[who] = { samples: samples[who].length };
      for (const k of Object.keys(samples[who][0]).filter((k) => k !== "ticksCpuMs"))
        med[who][k] = { median: median(samples[who].map((s) => s[k])), p10: quantile(samples[who].map((s) => s[k]), 0.1), p90: quantile(samples[who].map((s) => s[k]), 0.9) };
    }
    const meta = { ...commonMeta(ctx), isolates: COLD_ISOLATES };
    writeResults("cold-start", coldReport(meta, med), { meta, median: med, samples });
    return 0;
  } finally {
    for (const h of Object.values(helpers)) await stopWorkerd(h);
    kv.stop();
  }
}

function coldReport(meta, med) {
  const theirsName = BASELINE ? "baseline" : "jose";
  const L = [];
  L.push("# lti-edge first requests on a fresh isolate", "");
  L.push(`${meta.date} · ${meta.host}, load average ${meta.loadavg.join(" ")} · workerd ${meta.workerd}, KV in bench/kv-server.mjs without delay`, "");
  L.push(describeBuilds(meta), "");
  if (V8_FLAGS.length) L.push(`V8 flags of ${V8_FLAGS_BOTH ? "both workers" : "ours"}: \`${V8_FLAGS.join(" ")}\`.`, "");
  L.push(
    `Each sample is a new workerd process (one isolate) running one worker: its start (spawn to the socket accepting), then the first ` +
      `login and the first launch, then a second login and launch on the same isolate. "Launch as the first request": another new ` +
      `process whose first request is a launch, its login made by a long-lived process of the same worker on the same KV (on Cloudflare ` +
      `a launch may reach another isolate than its login). Wall time at the client; CPU of all the process's ` +
      `threads (/proc/<pid>/task/*/schedstat, so V8's compiler threads count). ${med.ours.samples} processes of each worker, ` +
      `alternating; median, with the 10th–90th percentile in brackets. ms.`,
    "",
  );
  const cell = (x) => `${f1(x.median)} (${f1(x.p10)}–${f1(x.p90)})`;
  L.push(`| | ours | ${theirsName} | ours / ${theirsName} (medians) |`, "|---|---:|---:|---:|");
  for (const [label, k] of [
    ["process start, wall", "startWallMs"],
    ["process start, CPU", "startCpuMs"],
    ["first login, wall", "loginWallMs"],
    ["first login, CPU", "loginCpuMs"],
    ["**first launch, wall**", "launchWallMs"],
    ["**first launch, CPU**", "launchCpuMs"],
    ["first login + launch, wall", "firstBothWallMs"],
    ["first login + launch, CPU", "firstBothCpuMs"],
    ["**launch as the first request, wall**", "launchOnlyWallMs"],
    ["**launch as the first request, CPU**", "launchOnlyCpuMs"],
    ["second launch, wall", "launch2WallMs"],
    ["second launch, CPU", "launch2CpuMs"],
  ])
    L.push(`| ${label} | ${cell(med.ours[k])} | ${cell(med.theirs[k])} | ${f2(med.ours[k].median / med.theirs[k].median)} |`);
  L.push("");
  return L.join("\n") + "\n";
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log("failed:", e.stack || e.message);
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit(code);
