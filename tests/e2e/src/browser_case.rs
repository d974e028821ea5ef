//! One browser case of `tests/browser.rs`: a course page on the dev platform opened in
//! a fresh Chromium with a cookie setting, the driver's report, and what the recording
//! origin received, with checks that print all of it when they fail.

use dev_platform::{CoursePage, PlatformStorage};
use serde_json::{json, Value};

use crate::{Chromium, Cookies, Recorded, Stack};

/// One browser case: the course page, the cookie setting, the steps after the launch.
pub struct Case<'a> {
    /// The target is `<tool>/browser/<name>`; the origin's paths start with it.
    pub name: &'a str,
    pub cookies: Cookies,
    pub storage: PlatformStorage,
    pub storage_target: &'a str,
    pub post_login: bool,
    pub steps: &'a [&'a str],
}

/// What a case left: the driver's report and what the origin received.
pub struct Run {
    pub report: Value,
    pub origin: Vec<Recorded>,
    chromium_log: String,
}

impl Run {
    /// Panics with the whole report (steps, requests, storage logs, frame texts,
    /// console) and Chromium's log when `ok` is false.
    #[track_caller]
    pub fn check(&self, ok: bool, what: &str) {
        if !ok {
            let report = serde_json::to_string_pretty(&self.report).unwrap_or_default();
            let paths: Vec<&str> = self.origin.iter().map(|r| r.url.as_str()).collect();
            let log: String = self.chromium_log.chars().take(4000).collect();
            panic!("{what}\norigin received: {paths:?}\nbrowser report: {report}\nchromium: {log}");
        }
    }

    pub fn step(&self, name: &str) -> &Value {
        &self.report["steps"][name]
    }

    /// Statuses of the tool's answers to `method path`, in order.
    pub fn statuses(&self, method: &str, path: &str) -> Vec<u64> {
        let requests = self.report["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        requests
            .iter()
            .filter(|r| r["method"] == method && r["path"] == path)
            .filter_map(|r| r["status"].as_u64())
            .collect()
    }

    /// The log of the storage frame whose URL contains `needle`.
    pub fn storage_log(&self, needle: &str) -> Vec<Value> {
        let logs = self.report["storage_logs"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        logs.iter()
            .find(|(url, _)| url.contains(needle))
            .and_then(|(_, log)| log.as_array().cloned())
            .unwrap_or_else(|| panic!("no storage frame at {needle}: {logs:?}"))
    }

    pub fn outcomes(&self, needle: &str) -> Vec<String> {
        let log = self.storage_log(needle);
        log.iter()
            .map(|entry| entry["outcome"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// Runs `case` for `tool-a1` on platform a in a fresh Chromium, killed before this
/// returns; panics, with the report, when the driver did not get through its steps.
pub fn run(stack: &Stack, case: &Case) -> Run {
    let target = stack.url(&format!("/browser/{}", case.name));
    let page = CoursePage {
        client_id: "tool-a1",
        deployment_id: "a1-dep-1",
        target_link_uri: Some(&target),
        storage: case.storage,
        storage_target: case.storage_target,
        post_login: case.post_login,
    };
    let chromium = Chromium::start(&case.cookies);
    let report = chromium.drive(json!({
        "course_url": stack.platform.course_url("a", &page),
        "tool_origin": stack.worker,
        "steps": case.steps,
    }));
    let run = Run {
        report,
        origin: stack.origin.requests_to(&format!("/browser/{}", case.name)),
        chromium_log: chromium.log(),
    };
    drop(chromium);
    run.check(
        run.report["error"].is_null(),
        "the browser case did not complete",
    );
    run
}

/// The tool's cookies blocked inside the LMS frame, as Safari blocks them.
pub fn safari(stack: &Stack) -> Cookies {
    Cookies::BlockedInLms {
        tool: stack.worker.clone(),
        lms: stack.platform.base_url(),
    }
}

/// A case in a storage frame named `lti_storage`, GET login, no step after the launch.
pub fn case<'a>(name: &'a str, cookies: Cookies, storage: PlatformStorage) -> Case<'a> {
    Case {
        name,
        cookies,
        storage,
        storage_target: "lti_storage",
        post_login: false,
        steps: &[],
    }
}
