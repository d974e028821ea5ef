//! The demo origin's line items page (list, edit by PUT, delete) and roster filter.

use serde_json::{json, Value};

use super::advantage::{roster_role, RESOURCE_LINK};
use super::line_items::{edit_fields, edited_line_item, line_items_html};
use super::tests::{setup, Setup};
use crate::http::{Incoming, Reply};

const ITEM: &str = "https://lms.example/lineitems/ctx-1/2";

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A stand-in worker's line item routes: one line item, PUT echoes, DELETE `204`.
fn line_item_services(req: &Incoming) -> Reply {
    let item = json!({"id": ITEM, "label": "Essay <1>", "scoreMaximum": 100, "tag": "essay"});
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/lti/services/lineitems") => Reply::json(json!([item]).to_string()),
        ("GET", "/lti/services/lineitem") => Reply::json(item.to_string()),
        ("PUT", "/lti/services/lineitem") => {
            let mut sent: Value = serde_json::from_str(&req.body).unwrap();
            sent["id"] = json!(ITEM);
            Reply::json(sent.to_string())
        }
        ("DELETE", "/lti/services/lineitem") => Reply::no_content(),
        ("GET", "/lti/services/members") => Reply::json(json!({"members": []}).to_string()),
        _ => Reply::not_found(),
    }
}

fn started() -> (Setup, String) {
    let setup = setup(line_item_services);
    let token = setup.assertion(RESOURCE_LINK);
    (setup, token)
}

#[test]
fn edit_fields_are_checked_before_anything_is_sent() {
    let good = form(&[("id", ITEM), ("label", " Essay "), ("scoreMaximum", "50")]);
    assert_eq!(
        edit_fields(&good),
        Ok((ITEM.to_string(), "Essay".to_string(), 50.0))
    );
    let cases = [
        (
            form(&[("label", "x"), ("scoreMaximum", "5")]),
            "id: required",
        ),
        (
            form(&[("id", ITEM), ("scoreMaximum", "5")]),
            "label: 1 to 200 characters",
        ),
        (
            form(&[("id", ITEM), ("label", "x"), ("scoreMaximum", "0")]),
            "scoreMaximum",
        ),
        (
            form(&[("id", ITEM), ("label", "x"), ("scoreMaximum", "inf")]),
            "scoreMaximum",
        ),
    ];
    for (fields, expected) in cases {
        let error = edit_fields(&fields).unwrap_err();
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn edited_line_item_keeps_the_other_fields_and_drops_the_id() {
    let current = json!({"id": ITEM, "label": "Old", "scoreMaximum": 10, "tag": "essay"});
    assert_eq!(
        edited_line_item(&current, "New", 20.0),
        json!({"label": "New", "scoreMaximum": 20.0, "tag": "essay"})
    );
}

#[test]
fn line_items_page_lists_escaped_forms() {
    let html = line_items_html(&json!([{"id": ITEM, "label": "<b>", "scoreMaximum": 10}]));
    assert!(html.contains("1 line items"));
    assert!(
        html.contains("action=\"/demo/lineitem/edit\"")
            && html.contains("action=\"/demo/lineitem/delete\"")
    );
    assert!(html.contains(&format!("name=\"id\" value=\"{ITEM}\"")));
    assert!(html.contains("value=\"&lt;b&gt;\"") && !html.contains("<b>"));
}

#[test]
fn roster_role_is_one_of_a_fixed_few() {
    let query = |role: &str| form(&[("role", role)]);
    assert_eq!(roster_role(&[]), Ok(None));
    assert_eq!(roster_role(&query("Learner")), Ok(Some("Learner")));
    assert!(roster_role(&query("Learner&rlid=x")).is_err());
}

#[test]
fn line_items_are_listed_through_the_worker() {
    let (setup, token) = started();
    let (status, html) = setup.send("GET", "/demo/lineitems", Some(&token), None);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Essay &lt;1&gt;"));
    assert_eq!(setup.calls()[0].1, "/lti/services/lineitems");
}

#[test]
fn edit_reads_then_puts_the_whole_line_item() {
    let (setup, token) = started();
    let fields = [
        ("id", ITEM),
        ("label", "Essay (revised)"),
        ("scoreMaximum", "50"),
    ];
    let (status, html) = setup.send("POST", "/demo/lineitem/edit", Some(&token), Some(&fields));
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Line item updated") && html.contains("Essay (revised)"));
    let calls = setup.calls();
    let path = format!("/lti/services/lineitem?id={}", url_encode(ITEM));
    assert_eq!((calls[0].0.as_str(), &calls[0].1), ("GET", &path));
    assert_eq!((calls[1].0.as_str(), &calls[1].1), ("PUT", &path));
    let sent: Value = serde_json::from_str(&calls[1].3).unwrap();
    assert_eq!(
        sent,
        json!({"label": "Essay (revised)", "scoreMaximum": 50.0, "tag": "essay"})
    );
    let bad = [("id", ITEM), ("label", ""), ("scoreMaximum", "50")];
    assert_eq!(
        setup
            .send("POST", "/demo/lineitem/edit", Some(&token), Some(&bad))
            .0,
        400
    );
    assert_eq!(setup.calls().len(), 2, "a bad edit is not sent");
}

#[test]
fn delete_sends_a_delete_and_reads_the_204() {
    let (setup, token) = started();
    let (status, html) = setup.send(
        "POST",
        "/demo/lineitem/delete",
        Some(&token),
        Some(&[("id", ITEM)]),
    );
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Line item deleted"));
    let calls = setup.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "DELETE");
    assert_eq!(
        calls[0].1,
        format!("/lti/services/lineitem?id={}", url_encode(ITEM))
    );
}

#[test]
fn roster_filter_passes_the_role_on() {
    let (setup, token) = started();
    let (status, html) = setup.send("GET", "/demo/roster?role=Learner", Some(&token), None);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Class roster: Learners"));
    assert_eq!(setup.calls()[0].1, "/lti/services/members?role=Learner");
    let (status, _) = setup.send("GET", "/demo/roster?role=Hacker", Some(&token), None);
    assert_eq!(status, 400);
    assert_eq!(setup.calls().len(), 1, "an unknown role is not sent");
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
