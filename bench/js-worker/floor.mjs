// The I/O floor of a launch, for bench/launch-bench.mjs: the same requests,
// KV operations and origin fetch as an LTI worker, with no LTI work at all
// (no registration, no crypto, no claim checks). What an LTI worker costs
// above this is the price of its protocol work. Never use it for anything else.

const token = () => {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(32))) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/lti/login") {
      // One KV put, a 302 with state and nonce, a state cookie.
      const state = token();
      const nonce = token();
      await env.LTI_STATE.put(`login:${state}`, JSON.stringify({ nonce }), { expirationTtl: 600 });
      const location = new URL("/authorize", url.searchParams.get("iss"));
      location.searchParams.set("redirect_uri", `${url.origin}/lti/launch`);
      location.searchParams.set("state", state);
      location.searchParams.set("nonce", nonce);
      const headers = new Headers({ location: location.href });
      headers.append("set-cookie", `lti_state_${state}=1; Path=/lti/launch; Max-Age=600`);
      return new Response(null, { status: 302, headers });
    }
    if (url.pathname === "/lti/launch") {
      // KV get + delete of the login, KV put of a session, the origin fetch.
      const form = new URLSearchParams(await request.text());
      const key = `login:${form.get("state")}`;
      if ((await env.LTI_STATE.get(key)) === null) return new Response("unknown state", { status: 401 });
      await env.LTI_STATE.delete(key);
      const session = token();
      await env.LTI_STATE.put(`session:${session}`, form.get("id_token").split(".")[1], { expirationTtl: 28800 });
      const headers = new Headers({ "x-forwarded-host": url.host, "lti-jwt-assertion": "floor" });
      const response = await fetch(`${env.ORIGIN_URL}/course/1`, { headers, redirect: "manual" });
      const out = new Headers(response.headers);
      out.append("set-cookie", `lti_session=${session}; Path=/`);
      return new Response(response.body, { status: response.status, headers: out });
    }
    // Anything else: a bare pass-through to the origin.
    const headers = new Headers(request.headers);
    headers.delete("host");
    headers.set("x-forwarded-host", url.host);
    const response = await fetch(`${env.ORIGIN_URL}${url.pathname}${url.search}`, { headers, redirect: "manual" });
    return new Response(response.body, { status: response.status, headers: response.headers });
  },
};
