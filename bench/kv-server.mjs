// An in-memory KV store for bench/launch-bench.mjs with BENCH_KV=external: it
// speaks the HTTP protocol that workerd's own KV binding speaks to its
// backing service, so a worker's KV calls leave the workerd process, as they
// do on Cloudflare, instead of running in Miniflare's simulator in the same
// process. `node bench/kv-server.mjs N` serves N namespaces, one per port on
// 127.0.0.1, prints their ports as a JSON array, and exits when stdin closes.
// Benchmark use only: no persistence, no limits.

import http from "node:http";

const namespaces = Number.parseInt(process.argv[2] ?? "1", 10);

function serve(store) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, "http://kv");
    const raw = url.pathname.slice(1);
    const key = url.searchParams.get("urlencoded") === "true" ? decodeURIComponent(raw) : raw;
    const now = Date.now() / 1000;
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET" && key === "") return list(store, url, now, res);
      if (req.method === "GET") {
        const entry = store.get(key);
        if (!entry || entry.expiration <= now) return res.writeHead(404).end("Not Found");
        return res.writeHead(200).end(entry.value);
      }
      if (req.method === "PUT") {
        const ttl = url.searchParams.get("expiration_ttl");
        const at = url.searchParams.get("expiration");
        const expiration = ttl ? now + Number(ttl) : at ? Number(at) : Infinity;
        store.set(key, { value: Buffer.concat(chunks), expiration });
        return res.writeHead(200).end();
      }
      if (req.method === "DELETE") {
        store.delete(key);
        return res.writeHead(200).end();
      }
      res.writeHead(405).end();
    });
  });
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

const ports = [];
for (let i = 0; i < namespaces; i++) {
  const server = serve(new Map());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  ports.push(server.address().port);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
