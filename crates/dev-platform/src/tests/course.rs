//! The LMS course page and its platform storage frame: the page's frames and login
//! parameters, and the storage script's answers, run under Node as the browser runs them.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::{get, platform, TOOL};
use crate::course::STORAGE_SCRIPT;
use crate::{CoursePage, PlatformStorage, IMPOSTOR_HOST};

fn course_page(storage: PlatformStorage, storage_target: &str) -> CoursePage<'_> {
    CoursePage {
        client_id: "tool-a1",
        deployment_id: "a1-dep-1",
        target_link_uri: Some("http://127.0.0.1:8787/browser/launched"),
        storage,
        storage_target,
        post_login: false,
    }
}

/// The decoded `data-src` of the iframe named `name`.
fn frame_src(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("<iframe name=\"{name}\""))?;
    let tag = &html[start..start + html[start..].find('>')?];
    let marker = "data-src=\"";
    let src = &tag[tag.find(marker)? + marker.len()..];
    Some(src[..src.find('"')?].replace("&amp;", "&"))
}

fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    crate::http::param(query, name)
}

#[test]
fn course_page_loads_the_storage_frame_then_the_tool_login_with_its_name() {
    let platform = platform();
    let url = platform.course_url("a", &course_page(PlatformStorage::Answer, "lti_storage"));
    let html = get(&url).into_string().unwrap();
    let storage = frame_src(&html, "lti_storage").expect("storage frame");
    let tool = frame_src(&html, "tool").expect("tool frame");
    assert!(html.find("name=\"lti_storage\"") < html.find("name=\"tool\""));
    assert!(storage.starts_with(&format!("{}/storage-frame?", platform.issuer("a"))));
    assert_eq!(value(&query_of(&storage), "mode"), Some("answer"));
    assert!(tool.starts_with(&format!("{}/start?", platform.issuer("a"))));
    let start = query_of(&tool);
    assert_eq!(value(&start, "lti_storage_target"), Some("lti_storage"));
    assert_eq!(value(&start, "client_id"), Some("tool-a1"));
    assert_eq!(value(&start, "method"), None);
    // The tool frame gets its src only once the storage frame listens.
    assert!(
        !html.contains(" src=\""),
        "no frame may load before the script"
    );
}

#[test]
fn the_tool_login_carries_lti_storage_target_by_get_and_by_post() {
    let platform = platform();
    let start = format!(
        "{}/start?client_id=tool-a1&deployment_id=a1-dep-1&lti_storage_target=lti_storage",
        platform.issuer("a")
    );
    let location = get(&start).header("Location").unwrap().to_string();
    assert!(location.starts_with(&format!("{TOOL}/lti/login?")));
    assert_eq!(
        value(&query_of(&location), "lti_storage_target"),
        Some("lti_storage")
    );
    let form = get(&format!("{start}&method=post")).into_string().unwrap();
    assert!(form.contains("name=\"lti_storage_target\" value=\"lti_storage\""));
    let plain = get(&start.replace("&lti_storage_target=lti_storage", ""));
    assert!(!plain
        .header("Location")
        .unwrap()
        .contains("lti_storage_target"));
}

#[test]
fn course_page_modes_place_the_frames_on_the_right_origins() {
    let platform = platform();
    let html = |storage, target| {
        let page = course_page(storage, target);
        get(&platform.course_url("a", &page)).into_string().unwrap()
    };
    let impostor = format!("http://{IMPOSTOR_HOST}:");

    let off = html(PlatformStorage::Off, "lti_storage");
    assert!(frame_src(&off, "lti_storage").is_none());
    assert!(!frame_src(&off, "tool")
        .unwrap()
        .contains("lti_storage_target"));

    let spoofed = html(PlatformStorage::Impostor, "lti_storage");
    let real = frame_src(&spoofed, "lti_storage").unwrap();
    assert!(real.starts_with(&platform.base_url()) && real.contains("mode=impostor"));
    let fake = frame_src(&spoofed, "lti_impostor").unwrap();
    assert!(fake.starts_with(&impostor) && fake.contains("role=impostor"));

    let foreign = html(PlatformStorage::Foreign, "lti_storage");
    assert!(frame_src(&foreign, "lti_storage")
        .unwrap()
        .starts_with(&impostor));

    let parent = html(PlatformStorage::Silent, "_parent");
    assert!(frame_src(&parent, "_parent").is_none());
    let tool = frame_src(&parent, "tool").unwrap();
    assert_eq!(
        value(&query_of(&tool), "lti_storage_target"),
        Some("_parent")
    );
    assert!(parent.contains(&format!(
        "ltiStorageFrame({{\"frame\":\"_parent\",\"impostor_frame\":\"lti_impostor\",\
         \"impostor_origin\":\"http://{IMPOSTOR_HOST}:"
    )));
    assert!(parent.contains("\"mode\":\"silent\""));
}

#[test]
fn course_page_refuses_what_it_cannot_build() {
    let platform = platform();
    let issuer = platform.issuer("a");
    for query in [
        "client_id=tool-a1&deployment_id=a1-dep-1&storage=maybe",
        "client_id=tool-a1&deployment_id=a1-dep-1&storage_target=tool",
        "client_id=tool-a1&deployment_id=a1-dep-1&storage=foreign&storage_target=_parent",
    ] {
        assert_eq!(
            get(&format!("{issuer}/course?{query}")).status(),
            400,
            "{query}"
        );
    }
    let frame = format!("{issuer}/storage-frame?role=storage&mode=loud");
    assert_eq!(get(&frame).status(), 400);
}

#[test]
fn storage_frame_serves_the_script_with_the_tools_origin() {
    let platform = platform();
    let url = format!(
        "{}/storage-frame?role=storage&mode=answer&frame=lti_storage",
        platform.issuer("a")
    );
    let html = get(&url).into_string().unwrap();
    assert!(html.contains(STORAGE_SCRIPT));
    assert!(html.contains("\"tool_origin\":\"http://127.0.0.1:8787\""));
    assert!(html.contains(&format!("\"lms_origin\":\"{}\"", platform.base_url())));
}

/// Runs `ltiStorageAnswer` / `ltiImpostorAnswer` on each `[origin, data]` step under
/// Node, with one store across the steps; returns each answer.
fn answers(config: Value, steps: Value) -> Vec<Value> {
    let harness = format!(
        "{STORAGE_SCRIPT}\nconst config = {config};\nconst store = new Map();\n\
         const out = {steps}.map(([origin, data]) => config.role === 'impostor'\n\
           ? ltiImpostorAnswer(config, origin, data)\n\
           : ltiStorageAnswer(config, store, origin, data));\n\
         console.log(JSON.stringify(out));\n"
    );
    let mut node = Command::new("node")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (it runs wrangler too)");
    node.stdin
        .take()
        .unwrap()
        .write_all(harness.as_bytes())
        .unwrap();
    let output = node.wait_with_output().unwrap();
    assert!(output.status.success(), "the storage script runs");
    serde_json::from_slice(&output.stdout).expect("a JSON list")
}

const TOOL_ORIGIN: &str = "http://127.0.0.1:8787";
const LMS_ORIGIN: &str = "http://127.0.0.1:9001";

fn config(role: &str, mode: &str) -> Value {
    json!({"role": role, "mode": mode, "frame": "lti_storage", "tool_origin": TOOL_ORIGIN,
           "lms_origin": LMS_ORIGIN, "impostor_origin": "http://lms-impostor.test:9001",
           "impostor_frame": "lti_impostor", "tool_frame": "tool"})
}

#[test]
fn storage_answers_capabilities_put_and_get_to_the_tool() {
    let steps = json!([
        [TOOL_ORIGIN, {"subject": "lti.capabilities", "message_id": "1"}],
        [TOOL_ORIGIN, {"subject": "lti.put_data", "message_id": "2", "key": "k", "value": "v"}],
        [TOOL_ORIGIN, {"subject": "lti.get_data", "message_id": "3", "key": "k"}],
    ]);
    let out = answers(config("storage", "answer"), steps);
    assert!(out.iter().all(|answer| answer["to"] == "source"));
    let capabilities = &out[0]["message"];
    assert_eq!(capabilities["subject"], "lti.capabilities.response");
    assert_eq!(capabilities["message_id"], "1");
    assert_eq!(
        capabilities["supported_messages"],
        json!([{"subject": "lti.capabilities"},
               {"subject": "lti.put_data", "frame": "lti_storage"},
               {"subject": "lti.get_data", "frame": "lti_storage"}])
    );
    assert_eq!(
        out[1]["message"],
        json!({"subject": "lti.put_data.response", "message_id": "2", "key": "k", "value": "v"})
    );
    assert_eq!(
        out[2]["message"],
        json!({"subject": "lti.get_data.response", "message_id": "3", "key": "k", "value": "v"})
    );
}

#[test]
fn storage_ignores_every_origin_but_the_tools() {
    let steps = json!([
        ["http://lms-impostor.test:9001", {"subject": "lti.put_data", "message_id": "1", "key": "k", "value": "evil"}],
        [LMS_ORIGIN, {"subject": "lti.get_data", "message_id": "2", "key": "k"}],
        ["http://127.0.0.1:8788", {"subject": "lti.capabilities", "message_id": "3"}],
        [TOOL_ORIGIN, {"subject": "lti.get_data", "message_id": "4", "key": "k"}],
    ]);
    let out = answers(config("storage", "answer"), steps);
    for answer in &out[..3] {
        assert!(answer.get("to").is_none(), "{answer}");
        assert!(answer["outcome"]
            .as_str()
            .unwrap()
            .starts_with("ignored: origin"));
    }
    // The foreign put stored nothing.
    assert_eq!(out[3]["message"]["error"]["code"], "bad_request");
}

#[test]
fn storage_reports_bad_requests_and_unknown_subjects_as_errors() {
    let steps = json!([
        [TOOL_ORIGIN, {"subject": "lti.put_data", "message_id": "1", "key": "k"}],
        [TOOL_ORIGIN, {"subject": "lti.put_data", "message_id": "2", "key": "", "value": "v"}],
        [TOOL_ORIGIN, {"subject": "lti.get_data", "message_id": "3", "key": "never"}],
        [TOOL_ORIGIN, {"subject": "lti.frame.resize", "message_id": "4"}],
        [TOOL_ORIGIN, {"subject": "lti.capabilities"}],
        [TOOL_ORIGIN, "lti.capabilities"],
    ]);
    let out = answers(config("storage", "answer"), steps);
    let codes: Vec<&Value> = out[..4]
        .iter()
        .map(|a| &a["message"]["error"]["code"])
        .collect();
    assert_eq!(
        codes,
        [
            &json!("bad_request"),
            &json!("bad_request"),
            &json!("bad_request"),
            &json!("unsupported_subject")
        ]
    );
    assert_eq!(out[3]["message"]["subject"], "lti.frame.resize.response");
    assert!(out[4].get("to").is_none() && out[5].get("to").is_none());
}

#[test]
fn silent_storage_never_answers() {
    let steps = json!([
        [TOOL_ORIGIN, {"subject": "lti.capabilities", "message_id": "1"}],
        [TOOL_ORIGIN, {"subject": "lti.put_data", "message_id": "2", "key": "k", "value": "v"}],
    ]);
    let out = answers(config("storage", "silent"), steps);
    assert!(out.iter().all(|answer| answer.get("to").is_none()));
}

#[test]
fn impostor_mode_relays_get_data_and_the_impostor_answers_only_relays() {
    let steps = json!([
        [TOOL_ORIGIN, {"subject": "lti.put_data", "message_id": "1", "key": "k", "value": "v"}],
        [TOOL_ORIGIN, {"subject": "lti.get_data", "message_id": "2", "key": "k"}],
    ]);
    let out = answers(config("storage", "impostor"), steps);
    assert_eq!(out[0]["to"], "source");
    assert_eq!(out[1]["to"], "impostor");
    assert_eq!(
        out[1]["message"],
        json!({"message_id": "2", "key": "k", "value": "v"})
    );

    let relayed = json!({"message_id": "2", "key": "k", "value": "v"});
    let steps = json!([[LMS_ORIGIN, relayed], [TOOL_ORIGIN, relayed]]);
    let out = answers(config("impostor", "answer"), steps);
    assert_eq!(out[0]["to"], "tool");
    assert_eq!(
        out[0]["message"],
        json!({"subject": "lti.get_data.response", "message_id": "2", "key": "k", "value": "v"})
    );
    assert!(out[1].get("to").is_none());
}
