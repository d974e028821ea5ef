//! AGS and NRPS routes: bearer checks, paging, line items, scores, results, members.

use serde_json::{json, Value};

use super::tool::{call_service, call_service_accepting, json_of, Tool};
use crate::ags::{is_timestamp, LINEITEM, LINEITEM_CONTAINER, RESULT_CONTAINER, SCORE};
use crate::claims::{
    SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_MEMBERSHIP, SCOPE_RESULT_READONLY, SCOPE_SCORE,
};
use crate::nrps::MEMBERSHIP_CONTAINER;

fn get(url: &str, token: &str) -> ureq::Response {
    call_service("GET", url, Some(token), None)
}

fn post(url: &str, token: &str, content_type: &str, body: &Value) -> ureq::Response {
    call_service(
        "POST",
        url,
        Some(token),
        Some((content_type, &body.to_string())),
    )
}

fn next_link(response: &ureq::Response) -> Option<String> {
    let link = response.header("Link")?;
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(url.to_string())
}

#[test]
fn services_require_a_live_bearer_with_the_needed_scope() {
    let tool = Tool::start();
    let items = tool.url("a", "/lineitems/ctx-1");
    let refused = |response: ureq::Response| {
        let auth = response.header("WWW-Authenticate").map(str::to_string);
        let (status, body) = json_of(response);
        (
            status,
            body["error"].as_str().unwrap_or_default().to_string(),
            auth,
        )
    };
    let (status, error, auth) = refused(call_service("GET", &items, None, None));
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
    assert!(auth.unwrap().starts_with("Bearer "));
    assert_eq!(refused(get(&items, "made-up")).0, 401);
    assert_eq!(
        refused(get(&items, &tool.access_token("b", SCOPE_LINEITEM))).0,
        401
    );
    let score_only = tool.access_token("a", SCOPE_SCORE);
    let (status, error, _) = refused(get(&items, &score_only));
    assert_eq!((status, error.as_str()), (403, "insufficient_scope"));

    let readonly = tool.access_token("a", SCOPE_LINEITEM_READONLY);
    assert_eq!(get(&items, &readonly).status(), 200);
    let item = json!({"label": "Quiz 2", "scoreMaximum": 10});
    assert_eq!(post(&items, &readonly, LINEITEM, &item).status(), 403);
    tool.platform.expire_tokens("a");
    assert_eq!(refused(get(&items, &readonly)).1, "invalid_token");
    tool.platform.set_token_expires_in("a", 0);
    assert_eq!(
        get(&items, &tool.access_token("a", SCOPE_LINEITEM)).status(),
        401
    );

    let log = tool.platform.service_requests("a");
    assert_eq!(log.len(), 8);
    let (method, path, content_type, accept) = &log[5];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/a/lineitems/ctx-1")
    );
    assert_eq!(content_type.as_deref(), Some(LINEITEM));
    assert_eq!(accept.as_deref(), Some("application/json"));
}

#[test]
fn line_items_are_paged_filtered_and_created() {
    let tool = Tool::start();
    let token = tool.access_token("a", SCOPE_LINEITEM);
    let first = get(&tool.url("a", "/lineitems/ctx-1"), &token);
    assert_eq!(first.content_type(), LINEITEM_CONTAINER);
    let next = next_link(&first).expect("a next page");
    assert_eq!(next, tool.url("a", "/lineitems/ctx-1?page=2"));
    let (_, page1) = json_of(first);
    let ids: Vec<&Value> = page1.as_array().unwrap().iter().map(|i| &i["id"]).collect();
    assert_eq!(
        ids,
        [
            &json!(tool.url("a", "/lineitems/ctx-1/1")),
            &json!(tool.url("a", "/lineitems/ctx-1/2"))
        ]
    );
    let last = get(&next, &token);
    assert_eq!(next_link(&last), None);
    assert_eq!(json_of(last).1.as_array().unwrap().len(), 1);

    let filtered = get(
        &tool.url("a", "/lineitems/ctx-1?resource_link_id=rl-1&tag=quiz"),
        &token,
    );
    assert_eq!(json_of(filtered).1[0]["resourceId"], "quiz-1");
    assert_eq!(
        get(&tool.url("a", "/lineitems/ctx-1?page=0"), &token).status(),
        400
    );

    let items = tool.url("a", "/lineitems/ctx-1");
    let item = json!({"label": "Quiz 2", "scoreMaximum": 20, "tag": "quiz"});
    let created = post(&items, &token, LINEITEM, &item);
    assert_eq!((created.status(), created.content_type()), (201, LINEITEM));
    let (_, created) = json_of(created);
    assert_eq!(created["id"], tool.url("a", "/lineitems/ctx-1/4"));
    let quizzes = get(&tool.url("a", "/lineitems/ctx-1?tag=quiz"), &token);
    assert_eq!(json_of(quizzes).1[1], created);
    let url = created["id"].as_str().unwrap();
    let one = call_service_accepting(LINEITEM, "GET", url, Some(&token), None);
    assert_eq!(json_of(one).1["label"], "Quiz 2");

    assert_eq!(
        post(&items, &token, "application/json", &item).status(),
        415
    );
    for bad in [
        json!({"scoreMaximum": 5}),
        json!({"label": "x", "scoreMaximum": 0}),
    ] {
        assert_eq!(post(&items, &token, LINEITEM, &bad).status(), 400, "{bad}");
    }
}

pub(super) fn score(user: &str, given: f64) -> Value {
    json!({
        "userId": user,
        "scoreGiven": given,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2024-05-01T12:30:00.123+02:00",
        "comment": "Well done",
    })
}

#[test]
fn scores_are_validated_recorded_and_reported_as_results() {
    let tool = Tool::start();
    let token = tool.access_token("a", &format!("{SCOPE_SCORE} {SCOPE_RESULT_READONLY}"));
    let line_item = tool.url("a", "/lineitems/ctx-1/1");
    let scores = format!("{line_item}/scores");
    for (user, given) in [("user-123", 4.0), ("user-201", 9.0), ("user-123", 7.5)] {
        assert_eq!(
            post(&scores, &token, SCORE, &score(user, given)).status(),
            204
        );
    }
    let recorded = tool.platform.scores("a");
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0], (line_item.clone(), score("user-123", 4.0)));

    let results = get(&format!("{line_item}/results"), &token);
    assert_eq!(results.content_type(), RESULT_CONTAINER);
    let (_, results) = json_of(results);
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert_eq!(
        results[0],
        json!({"id": format!("{line_item}/results/user-123"), "scoreOf": line_item,
               "userId": "user-123", "resultScore": 7.5, "resultMaximum": 10, "comment": "Well done"})
    );
    let mine = get(&format!("{line_item}/results?user_id=user-201"), &token);
    assert_eq!(json_of(mine).1[0]["resultScore"], 9.0);
    let unknown = tool.url("a", "/lineitems/ctx-1/99/scores");
    assert_eq!(
        post(&unknown, &token, SCORE, &score("user-123", 1.0)).status(),
        404
    );
    assert_eq!(
        post(&scores, &token, "application/json", &score("u", 1.0)).status(),
        415
    );
}

#[test]
fn invalid_scores_get_400_naming_the_field() {
    let tool = Tool::start();
    let token = tool.access_token("a", SCOPE_SCORE);
    let scores = tool.url("a", "/lineitems/ctx-1/2/scores");
    let cases: [(&str, Value); 7] = [
        ("userId", json!(null)),
        ("activityProgress", json!("Done")),
        ("gradingProgress", json!(null)),
        ("timestamp", json!("yesterday")),
        ("timestamp", json!("2024-05-01T12:30:00")),
        ("scoreMaximum", json!(0)),
        ("scoreGiven", json!(-1)),
    ];
    for (field, value) in cases {
        let mut body = score("user-123", 5.0);
        body[field] = value;
        let (status, answer) = json_of(post(&scores, &token, SCORE, &body));
        assert_eq!(status, 400, "{field}");
        assert!(
            answer["error_description"]
                .as_str()
                .unwrap()
                .contains(field),
            "{answer}"
        );
    }
    let mut without_max = score("user-123", 5.0);
    without_max.as_object_mut().unwrap().remove("scoreMaximum");
    assert_eq!(post(&scores, &token, SCORE, &without_max).status(), 400);
    let mut pending = json!({"userId": "user-123", "activityProgress": "Submitted",
        "gradingProgress": "Pending", "timestamp": "2024-05-01T10:00:00Z"});
    assert_eq!(post(&scores, &token, SCORE, &pending).status(), 204);
    pending["timestamp"] = json!("2024-05-01T10:00:00+25:00");
    assert_eq!(post(&scores, &token, SCORE, &pending).status(), 400);
    assert_eq!(tool.platform.scores("a").len(), 1);
}

#[test]
fn memberships_are_paged_by_ten() {
    let tool = Tool::start();
    let token = tool.access_token("a", SCOPE_MEMBERSHIP);
    let mut url = Some(tool.url("a", "/memberships/ctx-1"));
    let mut members = Vec::new();
    let mut sizes = Vec::new();
    while let Some(page) = url {
        let response = get(&page, &token);
        assert_eq!(response.content_type(), MEMBERSHIP_CONTAINER);
        url = next_link(&response);
        let (_, body) = json_of(response);
        assert_eq!(body["context"]["label"], "CS101");
        assert_eq!(body["id"], tool.url("a", "/memberships/ctx-1"));
        let page_members = body["members"].as_array().unwrap().clone();
        sizes.push(page_members.len());
        members.extend(page_members);
    }
    assert_eq!(sizes, [10, 10, 5]);
    let ada = members.iter().find(|m| m["user_id"] == "user-123").unwrap();
    assert_eq!(
        (&ada["name"], &ada["status"]),
        (&json!("Ada Lovelace"), &json!("Active"))
    );
    let instructors = get(&tool.url("a", "/memberships/ctx-1?role=Instructor"), &token);
    assert_eq!(
        json_of(instructors).1["members"].as_array().unwrap().len(),
        2
    );
    let lineitem_token = tool.access_token("a", SCOPE_LINEITEM);
    assert_eq!(
        get(&tool.url("a", "/memberships/ctx-1"), &lineitem_token).status(),
        403
    );
    assert_eq!(
        get(&tool.url("a", "/memberships/ctx-2"), &token).status(),
        404
    );
}

#[test]
fn timestamps_follow_rfc_3339() {
    let good = [
        "2024-05-01T12:30:00Z",
        "2024-05-01t12:30:00.5-07:00",
        "2016-12-31T23:59:60Z",
    ];
    let bad = [
        "2024-05-01",
        "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:30Z",
        "2024-05-01T12:30:00.Z",
        "2024-05-01T12:30:00+0200",
        "24-05-01T12:30:00Z",
    ];
    assert!(good.iter().all(|t| is_timestamp(t)));
    for text in bad {
        assert!(!is_timestamp(text), "{text}");
    }
}
