//! The demo origin's LTI Advantage part: pure pieces, then the routes against a
//! stand-in worker that publishes a JWKS and records its service calls.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::advantage::*;
use super::client::{interpret, ServiceError};
use crate::http::{Incoming, Reply, Serving};
use crate::{DemoOrigin, DevPlatform};

const TOOL: &str = "http://127.0.0.1:8787";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn launch_lti(message_type: &str) -> Value {
    json!({
        format!("{LTI}message_type"): message_type,
        format!("{LTI}target_link_uri"): format!("{TOOL}/course/welcome?week=1"),
        AGS_CLAIM: {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": "https://lms.example/lineitems/1",
            "lineitems": "https://lms.example/lineitems",
        },
        NRPS_CLAIM: {"context_memberships_url": "https://lms.example/memberships", "service_versions": ["2.0"]},
        "name": "Ada Lovelace",
    })
}

#[test]
fn chosen_items_follow_the_catalog_once_each() {
    let chosen = form(&[
        ("item", "lti-spec"),
        ("other", "chapter-2"),
        ("item", "chapter-1"),
        ("item", "chapter-1"),
    ]);
    let items = chosen_items(&chosen, TOOL).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["type"], "ltiResourceLink");
    assert_eq!(items[0]["url"], format!("{TOOL}/course/chapter-1"));
    assert_eq!(items[0]["lineItem"]["scoreMaximum"], json!(10.0));
    assert_eq!(items[0]["title"], "Chapter 1: Getting started");
    assert_eq!(items[1]["type"], "link");
    assert!(items[1]["url"].as_str().unwrap().starts_with("https://"));
    assert_eq!(chosen_items(&[], TOOL).unwrap(), Vec::<Value>::new());
}

#[test]
fn chosen_items_refuse_what_the_catalog_does_not_hold() {
    let err = chosen_items(&form(&[("item", "chapter-1"), ("item", "<evil>")]), TOOL);
    assert_eq!(err.unwrap_err(), "item: unknown content item \"<evil>\"");
    assert!(content_item("javascript:alert(1)", TOOL).is_none());
}

#[test]
fn every_catalog_item_is_a_well_formed_content_item() {
    for entry in &CATALOG {
        let item = content_item(entry.id, TOOL).expect("catalog entry has an item");
        assert_eq!(item["title"], entry.title);
        let kind = item["type"].as_str().unwrap();
        assert!(["ltiResourceLink", "link"].contains(&kind), "{kind}");
        let url = url::Url::parse(item["url"].as_str().unwrap()).unwrap();
        assert!(matches!(url.scheme(), "http" | "https"));
        if let Some(custom) = item.get("custom") {
            assert!(custom.as_object().unwrap().values().all(Value::is_string));
        }
        if let Some(line_item) = item.get("lineItem") {
            assert!(line_item["scoreMaximum"].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn deep_linking_payload_carries_the_items_and_a_message() {
    let none = deep_linking_payload(vec![]);
    assert_eq!(none["content_items"], json!([]));
    assert_eq!(none["msg"], "Nothing was added from the lti-edge demo.");
    let one = deep_linking_payload(vec![json!({"type": "link"})]);
    assert_eq!(one["msg"], "Added 1 item from the lti-edge demo.");
    let two = deep_linking_payload(vec![json!({}), json!({})]);
    assert_eq!(two["msg"], "Added 2 items from the lti-edge demo.");
    assert_eq!(two["content_items"].as_array().unwrap().len(), 2);
}

#[test]
fn score_payload_from_the_grade_form() {
    let payload = score_payload(&form(&[("score", " 7.5 "), ("comment", "  Well done  ")]));
    assert_eq!(
        payload.unwrap(),
        json!({
            "scoreGiven": 7.5,
            "scoreMaximum": 10.0,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "comment": "Well done",
        })
    );
    let bare = score_payload(&form(&[("score", "0"), ("comment", "  ")])).unwrap();
    assert_eq!(bare["scoreGiven"], json!(0.0));
    assert!(bare.get("comment").is_none());
    assert_eq!(
        score_payload(&form(&[("score", "10")])).unwrap()["scoreGiven"],
        json!(10.0)
    );
}

#[test]
fn score_payload_refuses_bad_input() {
    let long = "x".repeat(1001);
    let cases = [
        (vec![], "score: required"),
        (vec![("score", " ")], "score: required"),
        (vec![("score", "seven")], "score: \"seven\" is not a number"),
        (vec![("score", "10.5")], "score: must be between 0 and 10"),
        (vec![("score", "-1")], "score: must be between 0 and 10"),
        (vec![("score", "NaN")], "score: must be between 0 and 10"),
        (vec![("score", "inf")], "score: must be between 0 and 10"),
        (
            vec![("score", "5"), ("comment", long.as_str())],
            "comment: at most 1000 characters",
        ),
    ];
    for (fields, expected) in cases {
        assert_eq!(
            score_payload(&form(&fields)).unwrap_err(),
            expected,
            "{fields:?}"
        );
    }
}

#[test]
fn picker_offers_every_catalog_item_with_a_checkbox() {
    let html = picker_html();
    assert!(html.contains("<form method=\"post\" action=\"/demo/deep-link\">"));
    assert!(html.contains("Add to course"));
    for entry in &CATALOG {
        let checkbox = format!("type=\"checkbox\" name=\"item\" value=\"{}\"", entry.id);
        assert!(html.contains(&checkbox), "{}", entry.id);
        assert!(html.contains(entry.title));
    }
    assert_eq!(html.matches(" checked>").count(), 1);
}

#[test]
fn advantage_section_follows_the_verified_claims() {
    let deep = advantage_section(&launch_lti(DEEP_LINKING));
    assert!(deep.contains("Content picker") && deep.contains("/demo/deep-link"));
    assert!(!deep.contains("/demo/grade"));

    let link = advantage_section(&launch_lti(RESOURCE_LINK));
    assert!(link.contains("Post a grade") && link.contains("action=\"/demo/grade\""));
    assert!(link.contains("name=\"score\"") && link.contains("name=\"comment\""));
    assert!(link.contains("href=\"/demo/roster\"") && link.contains("Class roster"));
    assert!(link.contains("href=\"/demo/roster?role=Learner\""));
    assert!(link.contains("href=\"/demo/lineitems\""));
    assert!(!link.contains("does not grant the score scope"));
    assert!(!link.contains("/demo/deep-link"));

    let mut no_score = launch_lti(RESOURCE_LINK);
    no_score[AGS_CLAIM]["scope"] = json!([]);
    assert!(advantage_section(&no_score).contains("does not grant the score scope"));

    let mut no_services = launch_lti(RESOURCE_LINK);
    let claims = no_services.as_object_mut().unwrap();
    claims.remove(AGS_CLAIM);
    claims.remove(NRPS_CLAIM);
    assert_eq!(advantage_section(&no_services), "");
    assert_eq!(advantage_section(&json!({"name": "x"})), "");
}

#[test]
fn grade_form_keeps_what_was_typed_escaped() {
    let html = grade_form("11", "\"><script>");
    assert!(html.contains("value=\"11\""));
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
}

#[test]
fn grade_result_shows_the_score_sent() {
    let answer = json!({
        "lineitem": "https://lms.example/lineitems/1",
        "score": {"userId": "user-123", "scoreGiven": 7.5, "scoreMaximum": 10.0,
                  "comment": "<b>ok</b>", "timestamp": "2026-01-01T00:00:00.000Z"},
    });
    let html = grade_result_html(&answer);
    assert!(html.contains("Grade posted"));
    assert!(html.contains("7.5 / 10"));
    assert!(html.contains("user-123") && html.contains("https://lms.example/lineitems/1"));
    assert!(html.contains("&lt;b&gt;ok&lt;/b&gt;") && !html.contains("<b>ok"));
}

#[test]
fn roster_lists_names_and_short_roles() {
    let answer = json!({"members": [
        {"name": "Grace <Hopper>", "user_id": "u1",
         "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]},
        {"given_name": "Alan", "family_name": "Turing", "user_id": "u2",
         "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
                   "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]},
        {"user_id": "u3", "roles": []},
    ]});
    let html = roster_html(&answer);
    assert!(html.contains("3 members"));
    assert!(html.contains("<td>Grace &lt;Hopper&gt;</td><td>Instructor</td><td>u1</td>"));
    assert!(html.contains(
        "<td>Alan Turing</td><td>Instructor, Instructor#TeachingAssistant</td><td>u2</td>"
    ));
    assert!(html.contains("<td>(no name)</td><td></td><td>u3</td>"));
    assert!(roster_html(&json!({})).contains("0 members"));
}

#[test]
fn short_roles() {
    let cases = [
        (
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
            "Learner",
        ),
        (
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
            "Instructor#TeachingAssistant",
        ),
        (
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff",
            "institution/person#Staff",
        ),
        ("Learner", "Learner"),
    ];
    for (role, short) in cases {
        assert_eq!(short_role(role), short);
    }
}

#[test]
fn interpret_reads_the_workers_answers() {
    assert_eq!(interpret(200, r#"{"a": 1}"#), Ok(json!({"a": 1})));
    assert_eq!(interpret(201, "[]"), Ok(json!([])));
    let refused = interpret(
        403,
        r#"{"error": "claim_not_granted", "message": "scope missing"}"#,
    )
    .unwrap_err();
    assert_eq!(refused.status, Some(403));
    assert_eq!(refused.code.as_deref(), Some("claim_not_granted"));
    assert_eq!(refused.message, "scope missing");
    assert_eq!(refused.reply_status(), 403);
    let broken = interpret(500, "Internal error").unwrap_err();
    assert_eq!(
        (broken.code.as_deref(), broken.message.as_str()),
        (None, "HTTP 500")
    );
    assert_eq!(broken.raw.as_deref(), Some("Internal error"));
    assert_eq!(broken.reply_status(), 502);
    let not_json = interpret(200, "<html>").unwrap_err();
    assert_eq!(not_json.message, "the answer is not JSON");
    assert_eq!(not_json.reply_status(), 502);
}

#[test]
fn service_errors_render_readably_and_escaped() {
    let error = ServiceError {
        status: Some(403),
        code: Some("claim_not_granted".into()),
        message: "missing <scope>".into(),
        raw: Some(r#"{"error":"claim_not_granted"}"#.into()),
    };
    let html = service_error_html("Posting the grade", &error);
    assert!(html.contains("Posting the grade failed"));
    assert!(html.contains("<th>Status</th><td>403</td>"));
    assert!(html.contains("<th>Error</th><td>claim_not_granted</td>"));
    assert!(html.contains("missing &lt;scope&gt;"));
    assert!(html.contains("<details>"));
}

// ---- the routes, against a stand-in worker ----

/// `(method, path and query, Authorization, body)` of every service call the stand-in
/// received.
pub(super) type Calls = Arc<Mutex<Vec<(String, String, Option<String>, String)>>>;

/// Serves `jwks` and answers `/lti/services/*` with `answer`, recording each call.
pub(super) fn fake_worker(jwks: Value, answer: fn(&Incoming) -> Reply) -> (Serving, Calls) {
    let serving = Serving::bind(0).unwrap();
    let calls: Calls = Arc::default();
    let recorded = calls.clone();
    let body = jwks.to_string();
    serving.run(Arc::new(move |req| match req.path.as_str() {
        "/.well-known/jwks.json" => Reply::json(body.clone()),
        path if path.starts_with("/lti/services/") => {
            recorded.lock().unwrap().push((
                req.method.clone(),
                req.url.clone(),
                req.header("authorization").map(str::to_string),
                req.body.clone(),
            ));
            answer(req)
        }
        _ => Reply::not_found(),
    }));
    (serving, calls)
}

fn services(req: &Incoming) -> Reply {
    match req.path.as_str() {
        "/lti/services/scores" => {
            let score: Value = serde_json::from_str(&req.body).unwrap();
            Reply::json(
                json!({"lineitem": "https://lms.example/lineitems/1", "score": score}).to_string(),
            )
        }
        "/lti/services/members" => Reply::json(
            json!({"members": [{"name": "Grace Hopper", "user_id": "u1",
                "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]}]})
            .to_string(),
        ),
        "/lti/services/deep-linking" => Reply::json(
            json!({"return_url": "https://lms.example/return", "jwt": "x.y.z",
                   "form": "<form id=\"back\">signed</form>"})
            .to_string(),
        ),
        _ => Reply::not_found(),
    }
}

fn refusing(_: &Incoming) -> Reply {
    Reply::typed(
        403,
        "application/json",
        json!({"error": "claim_not_granted", "message": "the launch did not grant <score>"})
            .to_string(),
    )
}

pub(super) struct Setup {
    platform: DevPlatform,
    worker: Serving,
    calls: Calls,
    origin: DemoOrigin,
}

pub(super) fn setup(answer: fn(&Incoming) -> Reply) -> Setup {
    let platform = DevPlatform::start(0, TOOL).unwrap();
    let jwks_url = format!("{}/jwks", platform.issuer("a"));
    let jwks: Value =
        serde_json::from_str(&ureq::get(&jwks_url).call().unwrap().into_string().unwrap()).unwrap();
    let (worker, calls) = fake_worker(jwks, answer);
    let origin = DemoOrigin::start(0, &format!("http://127.0.0.1:{}", worker.port())).unwrap();
    Setup {
        platform,
        worker,
        calls,
        origin,
    }
}

impl Setup {
    /// An assertion as the worker would issue it (signed here with platform a's key,
    /// which the stand-in worker publishes).
    pub(super) fn assertion(&self, message_type: &str) -> String {
        let claims = json!({"sub": "user-123", "exp": crate::claims::now() + 60,
                            "lti": launch_lti(message_type)});
        self.platform.sign_id_token("a", &claims)
    }

    /// `(status, body)` of a request to the origin.
    pub(super) fn send(
        &self,
        method: &str,
        path: &str,
        assertion: Option<&str>,
        body: Option<&[(&str, &str)]>,
    ) -> (u16, String) {
        let url = format!("{}{path}", self.origin.base_url());
        let request = ureq::request(method, &url);
        let request = match assertion {
            Some(token) => request.set("Lti-Jwt-Assertion", token),
            None => request,
        };
        let result = match body {
            Some(fields) => request.send_form(fields),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("request failed: {error}"),
        };
        (response.status(), response.into_string().unwrap())
    }

    pub(super) fn calls(&self) -> Vec<(String, String, Option<String>, String)> {
        self.calls.lock().unwrap().clone()
    }
}

#[test]
fn launch_pages_show_the_advantage_forms() {
    let setup = setup(services);
    let token = setup.assertion(RESOURCE_LINK);
    let (status, html) = setup.send("GET", "/course/welcome", Some(&token), None);
    assert_eq!(status, 200);
    assert!(html.contains("Verified by lti-edge") && html.contains("Post a grade"));
    assert!(html.contains("href=\"/demo/roster\""));
    let token = setup.assertion(DEEP_LINKING);
    let (_, html) = setup.send("GET", "/deep-link/picker", Some(&token), None);
    assert!(html.contains("Content picker") && html.contains("Add to course"));
    assert!(setup.calls().is_empty());
}

#[test]
fn grade_is_posted_with_the_received_assertion() {
    let setup = setup(services);
    let token = setup.assertion(RESOURCE_LINK);
    let fields = [("score", "8"), ("comment", "Nice & tidy")];
    let (status, html) = setup.send("POST", "/demo/grade", Some(&token), Some(&fields));
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Grade posted") && html.contains("8 / 10"));
    assert!(html.contains("Nice &amp; tidy"));
    assert!(
        html.contains("href=\"/course/welcome?week=1\""),
        "back to the launch page"
    );
    let calls = setup.calls();
    assert_eq!(calls.len(), 1);
    let (method, path, auth, body) = &calls[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/lti/services/scores")
    );
    assert_eq!(auth.as_deref(), Some(format!("Bearer {token}").as_str()));
    let sent: Value = serde_json::from_str(body).unwrap();
    assert_eq!(sent["scoreGiven"], json!(8.0));
    assert_eq!(sent["scoreMaximum"], json!(10.0));
    assert_eq!(sent["comment"], "Nice & tidy");
}

#[test]
fn a_bad_grade_is_not_sent() {
    let setup = setup(services);
    let token = setup.assertion(RESOURCE_LINK);
    let (status, html) = setup.send(
        "POST",
        "/demo/grade",
        Some(&token),
        Some(&[("score", "12")]),
    );
    assert_eq!(status, 400);
    assert!(html.contains("must be between 0 and 10") && html.contains("value=\"12\""));
    assert!(setup.calls().is_empty());
}

#[test]
fn roster_lists_the_members_the_worker_returns() {
    let setup = setup(services);
    let token = setup.assertion(RESOURCE_LINK);
    let (status, html) = setup.send("GET", "/demo/roster", Some(&token), None);
    assert_eq!(status, 200);
    assert!(html.contains("<td>Grace Hopper</td><td>Instructor</td>"));
    let calls = setup.calls();
    assert_eq!(
        (calls[0].0.as_str(), calls[0].1.as_str()),
        ("GET", "/lti/services/members")
    );
    assert_eq!(
        calls[0].2.as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
}

#[test]
fn deep_link_hands_the_workers_form_to_the_browser() {
    let setup = setup(services);
    let token = setup.assertion(DEEP_LINKING);
    let fields = [("item", "chapter-1"), ("item", "lti-spec")];
    let (status, html) = setup.send("POST", "/demo/deep-link", Some(&token), Some(&fields));
    assert_eq!(status, 200);
    assert_eq!(html, "<form id=\"back\">signed</form>");
    let calls = setup.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, "/lti/services/deep-linking");
    assert_eq!(
        calls[0].2.as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
    let sent: Value = serde_json::from_str(&calls[0].3).unwrap();
    let worker = format!("http://127.0.0.1:{}", setup.worker.port());
    assert_eq!(
        sent,
        deep_linking_payload(chosen_items(&form(&fields), &worker).unwrap())
    );
    assert_eq!(sent["content_items"].as_array().unwrap().len(), 2);
}

#[test]
fn deep_link_needs_a_deep_linking_launch_and_known_items() {
    let setup = setup(services);
    let token = setup.assertion(RESOURCE_LINK);
    let (status, html) = setup.send(
        "POST",
        "/demo/deep-link",
        Some(&token),
        Some(&[("item", "chapter-1")]),
    );
    assert_eq!(status, 400);
    assert!(html.contains("not a deep linking launch"));
    let token = setup.assertion(DEEP_LINKING);
    let (status, html) = setup.send(
        "POST",
        "/demo/deep-link",
        Some(&token),
        Some(&[("item", "nope")]),
    );
    assert_eq!(status, 400);
    assert!(html.contains("unknown content item"));
    assert!(setup.calls().is_empty());
}

#[test]
fn worker_errors_are_shown() {
    let setup = setup(refusing);
    let token = setup.assertion(RESOURCE_LINK);
    let (status, html) = setup.send("POST", "/demo/grade", Some(&token), Some(&[("score", "5")]));
    assert_eq!(status, 403);
    assert!(html.contains("Posting the grade failed") && html.contains("claim_not_granted"));
    assert!(html.contains("the launch did not grant &lt;score&gt;"));
    let (status, html) = setup.send("GET", "/demo/roster", Some(&token), None);
    assert_eq!(status, 403);
    assert!(html.contains("Fetching the roster failed"));
    let token = setup.assertion(DEEP_LINKING);
    let (status, html) = setup.send(
        "POST",
        "/demo/deep-link",
        Some(&token),
        Some(&[("item", "chapter-1")]),
    );
    assert_eq!(status, 403);
    assert!(html.contains("Deep linking failed") && html.contains("What was sent"));
}

#[test]
fn demo_routes_need_a_verified_assertion() {
    let setup = setup(services);
    let (status, html) = setup.send("POST", "/demo/grade", None, Some(&[("score", "5")]));
    assert_eq!(status, 401);
    assert!(html.contains("No assertion"));
    let (status, html) = setup.send("GET", "/demo/roster", None, None);
    assert_eq!((status, html.contains("No assertion")), (401, true));
    let (status, html) = setup.send("GET", "/demo/roster", Some("not.a.jwt"), None);
    assert_eq!(status, 403);
    assert!(html.contains("NOT verified"));
    assert!(setup.calls().is_empty());
}
