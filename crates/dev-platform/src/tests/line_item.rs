//! AGS: one line item read, replaced and deleted, with media type and scope checks.

use serde_json::{json, Value};

use super::tool::{call_service_accepting, json_of, Tool};
use crate::ags::{LINEITEM, SCORE};
use crate::claims::{SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY};

/// `(status, body)` of one request on a line item URL.
fn send(
    url: &str,
    token: &str,
    method: &str,
    accept: &str,
    body: Option<(&str, &Value)>,
) -> (u16, Value) {
    let text = body.map(|(content_type, body)| (content_type, body.to_string()));
    let body = text
        .as_ref()
        .map(|(content_type, body)| (*content_type, body.as_str()));
    json_of(call_service_accepting(
        accept,
        method,
        url,
        Some(token),
        body,
    ))
}

#[test]
fn line_item_get_needs_its_media_type_and_a_line_item_scope() {
    let tool = Tool::start();
    let url = tool.url("a", "/lineitems/ctx-1/2");
    let readonly = tool.access_token("a", SCOPE_LINEITEM_READONLY);
    let (status, item) = send(&url, &readonly, "GET", LINEITEM, None);
    assert_eq!((status, &item["id"]), (200, &json!(url)));
    let listed = format!("application/json, {LINEITEM}; q=0.9");
    assert_eq!(send(&url, &readonly, "GET", &listed, None).0, 200);
    let (status, refused) = send(&url, &readonly, "GET", "application/json", None);
    assert_eq!((status, &refused["error"]), (406, &json!("not_acceptable")));
    let score_only = tool.access_token("a", "https://purl.imsglobal.org/spec/lti-ags/scope/score");
    assert_eq!(send(&url, &score_only, "GET", LINEITEM, None).0, 403);
    let missing = tool.url("a", "/lineitems/ctx-1/99");
    assert_eq!(send(&missing, &readonly, "GET", LINEITEM, None).0, 404);
}

#[test]
fn line_item_put_replaces_it_and_keeps_its_id() {
    let tool = Tool::start();
    let url = tool.url("a", "/lineitems/ctx-1/2");
    let token = tool.access_token("a", SCOPE_LINEITEM);
    let new = json!({"label": "Essay (revised)", "scoreMaximum": 50, "tag": "essay"});
    let (status, item) = send(
        &url,
        &token,
        "PUT",
        "application/json",
        Some((LINEITEM, &new)),
    );
    assert_eq!(status, 200, "{item}");
    let mut expected = new.clone();
    expected["id"] = json!(url);
    assert_eq!(item, expected);
    assert_eq!(
        tool.platform.line_items("a")[1],
        expected,
        "replaced, not merged"
    );
    assert_eq!(tool.platform.line_items("a").len(), 3);

    let with_own_id = json!({"id": url, "label": "Same id", "scoreMaximum": 5});
    assert_eq!(
        send(
            &url,
            &token,
            "PUT",
            "application/json",
            Some((LINEITEM, &with_own_id))
        )
        .0,
        200
    );
    let moved = json!({"id": tool.url("a", "/lineitems/ctx-1/3"), "label": "x", "scoreMaximum": 5});
    let (status, body) = send(
        &url,
        &token,
        "PUT",
        "application/json",
        Some((LINEITEM, &moved)),
    );
    assert_eq!(status, 400);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("id:"));
    assert_eq!(
        send(
            &url,
            &token,
            "PUT",
            "application/json",
            Some(("application/json", &new))
        )
        .0,
        415
    );
    assert_eq!(
        send(&url, &token, "PUT", "application/json", Some((SCORE, &new))).0,
        415
    );
    let bad = json!({"label": "", "scoreMaximum": 5});
    assert_eq!(
        send(
            &url,
            &token,
            "PUT",
            "application/json",
            Some((LINEITEM, &bad))
        )
        .0,
        400
    );
    let readonly = tool.access_token("a", SCOPE_LINEITEM_READONLY);
    assert_eq!(
        send(
            &url,
            &readonly,
            "PUT",
            "application/json",
            Some((LINEITEM, &new))
        )
        .0,
        403
    );
    let missing = tool.url("a", "/lineitems/ctx-1/99");
    assert_eq!(
        send(
            &missing,
            &token,
            "PUT",
            "application/json",
            Some((LINEITEM, &new))
        )
        .0,
        404
    );
    assert_eq!(tool.platform.line_items("a")[1]["label"], "Same id");
}

#[test]
fn line_item_delete_removes_it_and_answers_204() {
    let tool = Tool::start();
    let url = tool.url("a", "/lineitems/ctx-1/3");
    let readonly = tool.access_token("a", SCOPE_LINEITEM_READONLY);
    assert_eq!(
        send(&url, &readonly, "DELETE", "application/json", None).0,
        403
    );
    let token = tool.access_token("a", SCOPE_LINEITEM);
    let (status, body) = send(&url, &token, "DELETE", "application/json", None);
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(tool.platform.line_items("a").len(), 2);
    assert_eq!(
        send(&url, &token, "DELETE", "application/json", None).0,
        404
    );
    assert_eq!(send(&url, &token, "GET", LINEITEM, None).0, 404);

    let log = tool.platform.service_requests("a");
    let (method, path, content_type, accept) = &log[1];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("DELETE", "/a/lineitems/ctx-1/3")
    );
    assert_eq!(
        (content_type, accept.as_deref()),
        (&None, Some("application/json"))
    );
    assert_eq!(log.len(), 4);
}
