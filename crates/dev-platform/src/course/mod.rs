//! The LMS as a browser sees it: a course page that embeds the tool in a cross-site
//! iframe, and the platform storage frame of 1EdTech "OIDC login with LTI client side
//! postMessages", so launches without cookies run in a real browser.
//!
//! `GET {issuer}/course` embeds, in this order: the storage frame (named by
//! `lti_storage_target`), the impostor frame when asked for, then, once those have
//! loaded, the tool frame (`name="tool"`) at `{issuer}/start`, the third-party login
//! initiation, with `lti_storage_target`. `GET {issuer}/storage-frame` is the storage
//! frame itself (also served as the impostor on [`IMPOSTOR_HOST`]). The storage lives
//! in the frame's memory and answers `lti.capabilities`, `lti.put_data` and
//! `lti.get_data` from the tool's origin only, replying to that origin only.

use serde_json::{json, Value};
use url::Url;

use crate::http::{encode_query, escape, page, param, Reply};
use crate::platform::State;

/// The host name of the impostor: another origin on the same server. The browser must
/// map it to 127.0.0.1 (Chromium: `--host-resolver-rules="MAP lms-impostor.test 127.0.0.1"`).
pub const IMPOSTOR_HOST: &str = "lms-impostor.test";

/// The name of the tool's iframe on the course page.
pub const TOOL_FRAME: &str = "tool";
const IMPOSTOR_FRAME: &str = "lti_impostor";
const DEFAULT_TARGET: &str = "lti_storage";

/// The storage script, served verbatim (tests run it under Node).
pub(crate) const STORAGE_SCRIPT: &str = include_str!("storage.js");

/// How the course page's platform storage behaves (`storage=` of `{issuer}/course`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformStorage {
    /// No `lti_storage_target` on the login: a platform without platform storage.
    Off,
    /// Answers `lti.capabilities`, `lti.put_data` and `lti.get_data` from the tool.
    Answer,
    /// The storage frame is there but never answers.
    Silent,
    /// Stores the tool's value but leaves `lti.get_data` to a frame on another origin
    /// ([`IMPOSTOR_HOST`]), which answers with the right `message_id` and value.
    Impostor,
    /// The frame named by `lti_storage_target` is on another origin ([`IMPOSTOR_HOST`]);
    /// it would answer the tool, if the tool's messages ever reached it.
    Foreign,
}

impl PlatformStorage {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformStorage::Off => "off",
            PlatformStorage::Answer => "answer",
            PlatformStorage::Silent => "silent",
            PlatformStorage::Impostor => "impostor",
            PlatformStorage::Foreign => "foreign",
        }
    }

    fn parse(text: &str) -> Option<PlatformStorage> {
        [
            PlatformStorage::Off,
            PlatformStorage::Answer,
            PlatformStorage::Silent,
            PlatformStorage::Impostor,
            PlatformStorage::Foreign,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == text)
    }
}

/// What a course page launches, and how its storage behaves.
#[derive(Debug, Clone)]
pub struct CoursePage<'a> {
    pub client_id: &'a str,
    pub deployment_id: &'a str,
    /// Default: the profile's default target for a resource link.
    pub target_link_uri: Option<&'a str>,
    pub storage: PlatformStorage,
    /// `lti_storage_target`: a frame name, or `_parent` (the course page answers itself).
    pub storage_target: &'a str,
    /// Login initiation by an auto-submitted form instead of a `302`.
    pub post_login: bool,
}

impl CoursePage<'_> {
    /// The query of `{issuer}/course` for this page.
    pub(crate) fn query(&self) -> String {
        let mut query = vec![
            ("client_id", self.client_id.to_string()),
            ("deployment_id", self.deployment_id.to_string()),
            ("storage", self.storage.as_str().to_string()),
            ("storage_target", self.storage_target.to_string()),
        ];
        if let Some(target) = self.target_link_uri {
            query.push(("target_link_uri", target.to_string()));
        }
        if self.post_login {
            query.push(("method", "post".to_string()));
        }
        encode_query(&query)
    }
}

/// `GET {issuer}/course?client_id=..&deployment_id=..[&storage=..][&storage_target=..]
/// [&target_link_uri=..][&method=post]`.
pub(crate) fn course(state: &State, platform: &str, query: &[(String, String)]) -> Reply {
    let storage = match param(query, "storage").map(PlatformStorage::parse) {
        None => PlatformStorage::Answer,
        Some(Some(storage)) => storage,
        Some(None) => return Reply::text(400, "course: unknown storage mode\n"),
    };
    let target = param(query, "storage_target").unwrap_or(DEFAULT_TARGET);
    if target.is_empty() || target == TOOL_FRAME || target == IMPOSTOR_FRAME {
        return Reply::text(400, "course: storage_target must name the storage frame\n");
    }
    let parent = target == "_parent";
    if parent
        && matches!(
            storage,
            PlatformStorage::Impostor | PlatformStorage::Foreign
        )
    {
        return Reply::text(400, "course: impostor and foreign storage need a frame\n");
    }
    let issuer = state.issuer(platform);
    let mut start: Vec<(&str, String)> = ["client_id", "deployment_id", "target_link_uri"]
        .into_iter()
        .filter_map(|name| param(query, name).map(|value| (name, value.to_string())))
        .collect();
    if storage != PlatformStorage::Off {
        start.push(("lti_storage_target", target.to_string()));
    }
    if param(query, "method") == Some("post") {
        start.push(("method", "post".to_string()));
    }
    let start = format!("{issuer}/start?{}", encode_query(&start));
    let frames = helper_frames(state, platform, storage, target);
    let script = match (parent, storage) {
        (true, PlatformStorage::Answer | PlatformStorage::Silent) => {
            storage_call(&storage_config(state, "storage", storage.as_str(), target))
        }
        _ => String::new(),
    };
    let body = format!(
        "<h1>Course 101: Introduction</h1>\n<p class=\"muted\">Platform storage: \
         <code>{mode}</code>, <code>lti_storage_target={target}</code></p>\n{frames}\
         <iframe name=\"{TOOL_FRAME}\" title=\"LTI tool\" data-src=\"{start}\" \
         style=\"width:100%;height:28rem;border:1px solid #ccc\"></iframe>\n\
         <script>{STORAGE_SCRIPT}\n{script}\n{START_SCRIPT}</script>\n",
        mode = storage.as_str(),
        target = escape(target),
        start = escape(&start),
    );
    Reply::html(200, page("Course 101", &body))
}

/// The hidden storage and impostor frames the course page embeds before the tool.
fn helper_frames(state: &State, platform: &str, storage: PlatformStorage, target: &str) -> String {
    let frame = |name: &str, base: &str, role: &str, mode: &str| {
        let query = encode_query(&[
            ("role", role.to_string()),
            ("mode", mode.to_string()),
            ("frame", target.to_string()),
        ]);
        let src = format!("{base}/{platform}/storage-frame?{query}");
        format!(
            "<iframe name=\"{}\" title=\"LMS storage\" hidden data-src=\"{}\"></iframe>\n",
            escape(name),
            escape(&src)
        )
    };
    let (lms, impostor) = (state.base_url.as_str(), impostor_base(state));
    match storage {
        PlatformStorage::Off => String::new(),
        _ if target == "_parent" => String::new(),
        PlatformStorage::Answer | PlatformStorage::Silent => {
            frame(target, lms, "storage", storage.as_str())
        }
        PlatformStorage::Impostor => {
            frame(target, lms, "storage", "impostor")
                + &frame(IMPOSTOR_FRAME, &impostor, "impostor", "answer")
        }
        PlatformStorage::Foreign => frame(target, &impostor, "storage", "answer"),
    }
}

/// Loads the helper frames, then the tool: the storage must listen before the tool's
/// login page posts to it.
const START_SCRIPT: &str = "(() => {
  const helpers = [...document.querySelectorAll('iframe[hidden]')];
  const tool = document.querySelector('iframe[name=\"tool\"]');
  let pending = helpers.length;
  const start = () => { tool.src = tool.dataset.src; };
  if (pending === 0) start();
  for (const frame of helpers) {
    frame.addEventListener('load', () => { if (--pending === 0) start(); }, { once: true });
    frame.src = frame.dataset.src;
  }
})();";

/// `GET {issuer}/storage-frame?role=storage|impostor&mode=answer|silent|impostor&frame=..`
pub(crate) fn storage_frame(state: &State, query: &[(String, String)]) -> Reply {
    let role = match param(query, "role") {
        Some(role @ ("storage" | "impostor")) => role,
        _ => return Reply::text(400, "storage-frame: role must be storage or impostor\n"),
    };
    let mode = match param(query, "mode") {
        Some(mode @ ("answer" | "silent" | "impostor")) => mode,
        _ => return Reply::text(400, "storage-frame: unknown mode\n"),
    };
    let frame = param(query, "frame").unwrap_or(DEFAULT_TARGET);
    let config = storage_config(state, role, mode, frame);
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>LTI platform storage \
         ({role})</title></head><body>\n<script>{STORAGE_SCRIPT}\n{}</script>\n</body></html>\n",
        storage_call(&config)
    );
    Reply::html(200, body)
}

/// What the storage script needs to know: the origins and frame names in play.
pub(crate) fn storage_config(state: &State, role: &str, mode: &str, frame: &str) -> Value {
    json!({
        "role": role,
        "mode": mode,
        "frame": frame,
        "tool_origin": origin_of(&state.tool_base),
        "lms_origin": origin_of(&state.base_url),
        "impostor_origin": origin_of(&impostor_base(state)),
        "impostor_frame": IMPOSTOR_FRAME,
        "tool_frame": TOOL_FRAME,
    })
}

fn storage_call(config: &Value) -> String {
    // JSON is a JS literal; `<` escaped so it can never close the script element.
    let config = config.to_string().replace('<', "\\u003c");
    format!("ltiStorageFrame({config});")
}

/// `http://lms-impostor.test:{port}`: the dev platform's server under another host.
fn impostor_base(state: &State) -> String {
    let port = Url::parse(&state.base_url)
        .ok()
        .and_then(|url| url.port())
        .unwrap_or(80);
    format!("http://{IMPOSTOR_HOST}:{port}")
}

/// `scheme://host[:port]`, as `event.origin` spells it.
pub(crate) fn origin_of(url: &str) -> String {
    Url::parse(url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default()
}
