// An in-memory KV store for bench/launch-bench.mjs: it speaks the HTTP
// protocol that workerd's own KV binding speaks to its backing service, so a
// worker's KV calls leave the workerd process, as they do on Cloudflare,
// instead of running in Miniflare's simulator in the same process.
//
// `node bench/kv-server.mjs N` serves N namespaces, one per port on
// 127.0.0.1, plus a control port, prints
// `{"ports":[...],"control":P,"latency":{...}}` on one line, and exits when
// stdin closes. Benchmark use only: no persistence, no limits.
//
// Latency model: every operation is answered after a delay, as Workers KV
// answers from its cache tiers and central stores (see BENCHMARKS.md, "The
// latency model", for where the defaults come from). Set it with
// BENCH_KV_LATENCY, in milliseconds:
//   BENCH_KV_LATENCY="get=20,put=40,delete=40,list=20,jitter=0.25"
//   BENCH_KV_LATENCY=none            no delay at all (CPU measurements)
// Fields left out keep their defaults. Each delay is drawn uniformly from
// base × [1 − jitter, 1 + jitter].
//
// Control port (for per-launch traces): POST /trace/start clears the log and
// starts recording each operation (namespace index, operation, key, arrival
// and answer times as epoch milliseconds with fractions, the same clock as
// `performance.timeOrigin + performance.now()` in the harness); POST
// /trace/stop stops and returns the log as JSON; GET /now answers that clock,
// so the harness can measure the offset between the two processes.

import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_LATENCY = Object.freeze({ get: 20, put: 40, delete: 40, list: 20, jitter: 0.25 });

export function parseLatency(spec) {
  if (spec === undefined || spec === "" || spec === "default") return { ...DEFAULT_LATENCY };
  if (spec === "none" || spec === "0") return { get: 0, put: 0, delete: 0, list: 0, jitter: 0 };
  const model = { ...DEFAULT_LATENCY };
  for (const part of spec.split(",")) {
    const [name, value] = part.split("=").map((s) => s.trim());
    const v = Number(value);
    if (!(name in model) || !Number.isFinite(v) || v < 0) throw new Error(`BENCH_KV_LATENCY: bad field "${part}"`);
    model[name] = v;
  }
  if (model.jitter > 1) throw new Error("BENCH_KV_LATENCY: jitter must be at most 1");
  return model;
}

const now = () => performance.timeOrigin + performance.now();

function serve(store, index, model, trace) {
  const delayOf = (op) => {
    const base = model[op] ?? 0;
    return base > 0 ? base * (1 - model.jitter + 2 * model.jitter * Math.random()) : 0;
  };
  return http.createServer((req, res) => {
    const t0 = now();
    const url = new URL(req.url, "http://kv");
    const raw = url.pathname.slice(1);
    const key = url.searchParams.get("urlencoded") === "true" ? decodeURIComponent(raw) : raw;
    const op =
      req.method === "GET" ? (key === "" ? "list" : "get") : req.method === "PUT" ? "put" : req.method === "DELETE" ? "delete" : "other";
    if (trace.on) {
      const entry = { ns: index, op, key, t0, t1: NaN };
      trace.log.push(entry);
      res.on("finish", () => (entry.t1 = now()));
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const delay = delayOf(op);
      if (delay > 0) setTimeout(() => answer(store, url, key, op, chunks, res), delay);
      else answer(store, url, key, op, chunks, res);
    });
  });
}

function answer(store, url, key, op, chunks, res) {
  const now = Date.now() / 1000;
  if (op === "list") return list(store, url, now, res);
  if (op === "get") {
    const entry = store.get(key);
    if (!entry || entry.expiration <= now) return res.writeHead(404).end("Not Found");
    return res.writeHead(200).end(entry.value);
  }
  if (op === "put") {
    const ttl = url.searchParams.get("expiration_ttl");
    const at = url.searchParams.get("expiration");
    const expiration = ttl ? now + Number(ttl) : at ? Number(at) : Infinity;
    store.set(key, { value: Buffer.concat(chunks), expiration });
    return res.writeHead(200).end();
  }
  if (op === "delete") {
    store.delete(key);
    return res.writeHead(200).end();
  }
  res.writeHead(405).end();
}

function list(store, url, now, res) {
  const prefix = url.searchParams.get("prefix") ?? "";
  const limit = Number(url.searchParams.get("key_count_limit") ?? 1000);
  const start = Number(url.searchParams.get("cursor") ?? 0);
  const names = [...store.keys()].filter((k) => k.startsWith(prefix) && store.get(k).expiration > now).sort();
  const keys = names.slice(start, start + limit).map((name) => ({ name }));
  const done = start + limit >= names.length;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ keys, list_complete: done, ...(done ? {} : { cursor: String(start + limit) }), cacheStatus: null }));
}

const listen = (server) =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const namespaces = Number.parseInt(process.argv[2] ?? "1", 10);
  const model = parseLatency(process.env.BENCH_KV_LATENCY);
  const trace = { on: false, log: [] };
  const ports = [];
  for (let i = 0; i < namespaces; i++) ports.push(await listen(serve(new Map(), i, model, trace)));
  const control = await listen(
    http.createServer((req, res) => {
      req.resume();
      if (req.method === "POST" && req.url === "/trace/start") {
        trace.log = [];
        trace.on = true;
        return res.writeHead(204).end();
      }
      if (req.method === "GET" && req.url === "/now") return res.writeHead(200).end(String(now()));
      if (req.method === "POST" && req.url === "/trace/stop") {
        trace.on = false;
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(trace.log));
      }
      res.writeHead(404).end();
    }),
  );
  process.stdout.write(`${JSON.stringify({ ports, control, latency: model })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}
