// The platform side of 1EdTech "LTI Client Side postMessages" storage, as an LMS
// serves it in a frame beside the tool (or in the course page itself, for
// `lti_storage_target=_parent`). Values live in this window's memory, which
// outlives the tool frame's navigations from login to launch.
//
// `ltiStorageAnswer` and `ltiImpostorAnswer` are pure (the dev platform's unit
// tests feed them messages under Node); `ltiStorageFrame` is the browser glue.
"use strict";

// The answer of the real storage to one message: `{outcome, to?, message?}`,
// where `to` is "source" (reply to the sender, at its origin) or "impostor"
// (hand the request and its stored value to the impostor frame).
function ltiStorageAnswer(config, store, origin, data) {
  if (!data || typeof data !== "object" || typeof data.subject !== "string") {
    return { outcome: "ignored: not an LTI message" };
  }
  // Only the tool's own origin may read or write its values.
  if (origin !== config.tool_origin) {
    return { outcome: "ignored: origin " + origin + " is not the tool's" };
  }
  if (typeof data.message_id !== "string" || data.message_id === "") {
    return { outcome: "ignored: no message_id" };
  }
  if (config.mode === "silent") {
    return { outcome: "silent: no answer" };
  }
  const reply = (outcome, fields) => ({
    outcome,
    to: "source",
    message: Object.assign(
      { subject: data.subject + ".response", message_id: data.message_id },
      fields
    ),
  });
  const error = (code, message) => reply("error " + code, { error: { code, message } });
  const validKey = typeof data.key === "string" && data.key !== "";
  switch (data.subject) {
    case "lti.capabilities":
      return reply("answered", {
        supported_messages: [
          { subject: "lti.capabilities" },
          { subject: "lti.put_data", frame: config.frame },
          { subject: "lti.get_data", frame: config.frame },
        ],
      });
    case "lti.put_data":
      if (!validKey || typeof data.value !== "string") {
        return error("bad_request", "lti.put_data needs a string key and a string value");
      }
      store.set(data.key, data.value);
      return reply("stored " + data.key, { key: data.key, value: data.value });
    case "lti.get_data":
      if (!validKey) {
        return error("bad_request", "lti.get_data needs a string key");
      }
      if (!store.has(data.key)) {
        return error("bad_request", "nothing stored under " + data.key);
      }
      if (config.mode === "impostor") {
        return {
          outcome: "relayed to the impostor",
          to: "impostor",
          message: { message_id: data.message_id, key: data.key, value: store.get(data.key) },
        };
      }
      return reply("read " + data.key, { key: data.key, value: store.get(data.key) });
    default:
      return error("unsupported_subject", "unsupported subject " + data.subject);
  }
}

// The impostor, on another origin: told the request and the right value by the
// LMS page's storage (a test rig, no real attacker knows them), it answers the
// tool's `lti.get_data` first, and keeps answering. The tool must still ignore it:
// wrong origin.
function ltiImpostorAnswer(config, origin, data) {
  if (origin !== config.lms_origin || !data || typeof data.message_id !== "string") {
    return { outcome: "ignored: not relayed by the LMS" };
  }
  return {
    outcome: "spoofed lti.get_data.response for " + data.key,
    to: "tool",
    message: {
      subject: "lti.get_data.response",
      message_id: data.message_id,
      key: data.key,
      value: data.value,
    },
  };
}

function ltiStorageFrame(config) {
  const store = new Map();
  const log = (window.ltiStorageLog = []);
  window.addEventListener("message", (event) => {
    const answer =
      config.role === "impostor"
        ? ltiImpostorAnswer(config, event.origin, event.data)
        : ltiStorageAnswer(config, store, event.origin, event.data);
    const subject = event.data && event.data.subject;
    let outcome = answer.outcome;
    try {
      if (answer.to === "source") {
        event.source.postMessage(answer.message, event.origin);
      } else if (answer.to === "impostor") {
        window.parent.frames[config.impostor_frame].postMessage(answer.message, config.impostor_origin);
      } else if (answer.to === "tool") {
        // Again and again for 3 s, as an attacker would: the tool must never take it.
        const tool = window.parent.frames[config.tool_frame];
        const post = () => tool.postMessage(answer.message, config.tool_origin);
        post();
        const again = setInterval(post, 100);
        setTimeout(() => clearInterval(again), 3000);
      }
    } catch (error) {
      outcome += " (not posted: " + error + ")";
    }
    log.push({ origin: event.origin, subject, outcome });
    console.log("[lms " + config.role + "] " + event.origin + " " + subject + ": " + outcome);
  });
}
