// Drives one browser case for tests/e2e/tests/browser.rs: connects (puppeteer-core)
// to the Chromium the Rust test started, opens the dev platform's course page, lets
// the tool's login and launch run in its iframe, then takes the case's steps.
//
//   node tests/e2e/browser/drive.cjs '<case JSON>'
//   case: {ws, course_url, tool_origin, steps: [...], wait_ms}
//   steps: "follow_next"   click the origin page's #next link (the session's next page)
//          "replay_proof"  POST the captured /lti/launch/proof form again, same fields
//          "new_window"    click the refusal's #open-in-new-window, follow the new tab
//
// Prints one JSON report on stdout: each step's outcome, the tool's requests and
// their statuses, the LMS storage logs, every frame's text, and the console. The
// Rust test asserts on it and prints it whole on failure. The browser is left to the
// Rust test, which kills its process group.
"use strict";

const puppeteer = require("puppeteer-core");

const spec = JSON.parse(process.argv[2]);
const report = { steps: {}, requests: [], console: [], storage_logs: {}, frames: [] };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The tool frame's state: which page it shows, as the tests recognise them.
function describe() {
  const byId = (id) => document.getElementById(id);
  const shown = (element) => !!element && element.checkVisibility();
  const link = byId("open-in-new-window");
  const heading = [...document.querySelectorAll("h1")].find(shown);
  return {
    url: location.href,
    fresh: !window.__ltiSeen,
    origin_page: shown(byId("origin-page")),
    refused: shown(byId("lti-storage-failed")),
    error_page: !!heading && heading.textContent.trim() === "LTI launch failed",
    new_window: shown(link) ? { href: link.href, target: link.target, rel: link.rel } : null,
    received: window.__ltiReceived || [],
    text: document.body ? document.body.innerText.slice(0, 2000) : "",
  };
}

async function frameNamed(page, name) {
  for (const frame of page.frames()) {
    if (frame.parentFrame() !== page.mainFrame()) continue;
    try {
      const element = await frame.frameElement();
      if (element && (await element.evaluate((e) => e.name)) === name) return frame;
    } catch (_) {
      // Detached mid-navigation: look again on the next poll.
    }
  }
  return null;
}

// Polls until the frame shows a new document that is one of the end states, marking
// it seen so the next step waits for the next document.
async function settle(find, what) {
  const deadline = Date.now() + spec.wait_ms;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const frame = await find();
      if (frame) {
        await frame.evaluate(recordMessages);
        last = await frame.evaluate(describe);
        if (last.fresh && (last.origin_page || last.refused || last.error_page)) {
          await frame.evaluate(() => { window.__ltiSeen = true; });
          return last;
        }
      }
    } catch (_) {
      // The frame navigated while we looked: look again.
    }
    await sleep(100);
  }
  throw new Error(`${what}: no end state within ${spec.wait_ms} ms; last seen ${JSON.stringify(last)}`);
}

// Every message the tool frame's document receives from the moment the driver first
// sees it (its first 100 ms or so are missed), with its origin, kept on the document
// and read by `describe`: shows what reached the tool, and so what it ignored.
function recordMessages() {
  if (window.__ltiReceived) return;
  window.__ltiReceived = [];
  window.addEventListener("message", (event) => {
    const data = event.data;
    window.__ltiReceived.push({ origin: event.origin, subject: data && data.subject });
  }, true);
}

function watch(page, label) {
  page.on("console", (m) => report.console.push(`${label} ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => report.console.push(`${label} pageerror: ${e.message}`));
  page.on("requestfinished", (r) => record(r, r.response()));
  page.on("requestfailed", (r) => record(r, null));
}

function record(request, response) {
  const url = new URL(request.url());
  if (url.origin !== spec.tool_origin) return;
  report.requests.push({
    method: request.method(),
    path: url.pathname,
    query: url.search,
    status: response ? response.status() : null,
    // The proof form, for the replay step (launch forms carry id_tokens: left out).
    post_data: url.pathname === "/lti/launch/proof" ? request.postData() || null : null,
  });
}

async function replayProof(page, tool) {
  const proof = report.requests.find((r) => r.method === "POST" && r.path === "/lti/launch/proof");
  if (!proof || !proof.post_data) throw new Error("replay_proof: no proof POST was captured");
  const frame = await tool();
  await frame.evaluate((body) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = "/lti/launch/proof";
    for (const [name, value] of new URLSearchParams(body)) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  }, proof.post_data);
  return settle(tool, "replayed proof");
}

async function newWindow(browser, tool) {
  const before = new Set(await browser.targets());
  const frame = await tool();
  await (await frame.$("#open-in-new-window")).click();
  const target = await browser.waitForTarget(
    (t) => t.type() === "page" && !before.has(t),
    { timeout: spec.wait_ms }
  );
  const popup = await target.page();
  watch(popup, "[new window]");
  const result = await settle(async () => popup.mainFrame(), "new window");
  report.frames.push({ name: "new window", ...result });
  return result;
}

async function collect(page) {
  for (const frame of page.frames()) {
    try {
      const log = await frame.evaluate(() => window.ltiStorageLog || null);
      if (log) report.storage_logs[frame.url()] = log;
      // Hidden frames' innerText is their source text: the storage frames say it in their log.
      const text = log ? "" : await frame.evaluate(() => (document.body ? document.body.innerText : ""));
      report.frames.push({ url: frame.url(), text: text.slice(0, 2000) });
    } catch (error) {
      report.frames.push({ url: frame.url(), error: String(error) });
    }
  }
}

async function main() {
  const browser = await puppeteer.connect({
    browserWSEndpoint: spec.ws,
    defaultViewport: null,
    protocolTimeout: spec.wait_ms,
  });
  const page = (await browser.pages())[0] || (await browser.newPage());
  watch(page, "[lms]");
  const tool = () => frameNamed(page, "tool");
  try {
    // Not waiting for `load`: that waits for the tool frame, which `settle` watches.
    await page.goto(spec.course_url, { timeout: spec.wait_ms, waitUntil: "domcontentloaded" });
    report.steps.launch = await settle(tool, "launch");
    for (const step of spec.steps) {
      if (step === "follow_next") {
        const frame = await tool();
        await frame.click("#next");
        report.steps.follow_next = await settle(tool, "follow_next");
      } else if (step === "replay_proof") {
        report.steps.replay_proof = await replayProof(page, tool);
      } else if (step === "new_window") {
        report.steps.new_window = await newWindow(browser, tool);
      } else {
        throw new Error(`unknown step ${step}`);
      }
    }
  } catch (error) {
    report.error = String(error && error.stack ? error.stack : error);
  }
  await collect(page);
  await browser.disconnect();
}

main()
  .catch((error) => { report.error = String(error && error.stack ? error.stack : error); })
  .finally(() => {
    process.stdout.write(JSON.stringify(report) + "\n");
    process.exit(report.error ? 1 : 0);
  });
