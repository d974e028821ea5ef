//! The pure halves of every AGS and NRPS exchange, without I/O: what each
//! request says (method, URL, media types, body), and what each answer
//! becomes (the items, the next page, or the error the origin is told).

mod support;

use lti_core::ports::{HttpRequest, HttpResponse, Method};
use lti_core::registration::PlatformRegistration;
use lti_core::services::ags::lineitem::{
    delete_lineitem_request, list_lineitems_request, parse_created_lineitem_response,
    parse_delete_lineitem_response, parse_lineitem_response, parse_lineitems_response,
    read_lineitem_request, write_lineitem_request,
};
use lti_core::services::ags::results::{parse_results_response, results_request, results_url};
use lti_core::services::ags::score::{parse_score_response, score_request};
use lti_core::services::ags::{self, scores_url};
use lti_core::services::nrps::{self, members_request, parse_members_response};
use lti_core::services::paging::{page_request, parse_page_response, Page};
use lti_core::Error;
use serde_json::{json, Value};
use support::{registration_json, CLIENT_ID, ISSUER};

const ITEMS: &str = "https://lms.example.edu/ctx/1/lineitems";
const ITEM: &str = "https://lms.example.edu/ctx/1/lineitems/7";
const MEMBERS: &str = "https://lms.example.edu/ctx/1/members";

fn response(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

fn with_link(mut response: HttpResponse, link: &str) -> HttpResponse {
    response.headers.push(("Link".into(), link.into()));
    response
}

/// A request's headers, by name.
fn headers(request: &HttpRequest) -> Vec<(&str, &str)> {
    request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn body_json(request: &HttpRequest) -> Value {
    serde_json::from_str(request.body.as_deref().expect("a body")).unwrap()
}

/// The message of a `PlatformUnavailable`, or a panic naming what came instead.
fn unavailable<T: std::fmt::Debug>(result: lti_core::Result<T>) -> String {
    match result {
        Err(Error::PlatformUnavailable(message)) => message,
        other => panic!("expected PlatformUnavailable, got {other:?}"),
    }
}

fn rejected<T: std::fmt::Debug>(result: lti_core::Result<T>) -> (u16, Option<String>) {
    match result {
        Err(Error::PlatformRejected { status, error }) => (status, error),
        other => panic!("expected PlatformRejected, got {other:?}"),
    }
}

#[test]
fn media_types_are_the_specs() {
    assert_eq!(ags::SCORE, "application/vnd.ims.lis.v1.score+json");
    assert_eq!(ags::LINEITEM, "application/vnd.ims.lis.v2.lineitem+json");
    assert_eq!(
        ags::LINEITEM_CONTAINER,
        "application/vnd.ims.lis.v2.lineitemcontainer+json"
    );
    assert_eq!(
        ags::RESULT_CONTAINER,
        "application/vnd.ims.lis.v2.resultcontainer+json"
    );
    assert_eq!(
        nrps::MEMBERSHIP_CONTAINER,
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    );
}

#[test]
fn a_score_is_posted_as_a_score_to_the_scores_endpoint() {
    let key = format!("{ISSUER}#{CLIENT_ID}");
    let registration = PlatformRegistration::parse(&key, &registration_json()).unwrap();
    let score = json!({"userId": "u1", "scoreGiven": 8.0, "scoreMaximum": 10.0});
    let request = score_request(scores_url(ITEM, &registration).unwrap(), &score);
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.url, format!("{ITEM}/scores"));
    assert_eq!(headers(&request), [("content-type", ags::SCORE)]);
    assert_eq!(body_json(&request), score);

    assert!(parse_score_response(&response(204, "")).is_ok());
    assert!(parse_score_response(&response(200, "not json, and no matter")).is_ok());
    let refused = parse_score_response(&response(422, r#"{"error": "invalid_score"}"#));
    assert_eq!(rejected(refused), (422, Some("invalid_score".into())));
}

#[test]
fn line_items_are_listed_read_written_and_deleted_with_their_media_types() {
    let list = list_lineitems_request(ITEMS);
    assert_eq!(
        (list.method.clone(), list.url.as_str()),
        (Method::Get, ITEMS)
    );
    assert_eq!(headers(&list), [("accept", ags::LINEITEM_CONTAINER)]);
    assert_eq!(list.body, None);

    let read = read_lineitem_request(ITEM);
    assert_eq!(
        (read.method.clone(), read.url.as_str()),
        (Method::Get, ITEM)
    );
    assert_eq!(headers(&read), [("accept", ags::LINEITEM)]);

    let item = json!({"label": "Quiz", "scoreMaximum": 10});
    let create = write_lineitem_request(Method::Post, ITEMS, &item);
    assert_eq!(
        (create.method.clone(), create.url.as_str()),
        (Method::Post, ITEMS)
    );
    assert_eq!(
        headers(&create),
        [("content-type", ags::LINEITEM), ("accept", ags::LINEITEM)]
    );
    assert_eq!(body_json(&create), item);

    let delete = delete_lineitem_request(ITEM);
    assert_eq!(
        (delete.method.clone(), delete.url.as_str()),
        (Method::Delete, ITEM)
    );
    assert!(delete.headers.is_empty());
    assert_eq!(delete.body, None);
}

#[test]
fn a_line_item_answer_is_one_object() {
    let item = parse_lineitem_response(&response(200, r#"{"id": "x", "label": "Quiz"}"#));
    assert_eq!(item.unwrap()["label"], "Quiz");
    for body in ["[]", "<html>", ""] {
        assert_eq!(
            unavailable(parse_lineitem_response(&response(200, body))),
            "the line item is not a JSON object",
            "{body:?}"
        );
    }
    let missing = parse_lineitem_response(&response(404, r#"{"error": "not_found"}"#));
    assert_eq!(rejected(missing), (404, Some("not_found".into())));
}

#[test]
fn a_created_line_item_carries_its_id() {
    let created = r#"{"id": "https://lms.example.edu/ctx/1/lineitems/8", "label": "Quiz"}"#;
    let item = parse_created_lineitem_response(&response(201, created)).unwrap();
    assert_eq!(item["id"], "https://lms.example.edu/ctx/1/lineitems/8");
    for body in [r#"{"label": "Quiz"}"#, r#"{"id": 8, "label": "Quiz"}"#] {
        assert_eq!(
            unavailable(parse_created_lineitem_response(&response(201, body))),
            "the created line item has no id"
        );
    }
    let refused = parse_created_lineitem_response(&response(400, "garbage"));
    assert_eq!(rejected(refused), (400, None));
}

#[test]
fn a_delete_succeeds_on_any_2xx() {
    assert!(parse_delete_lineitem_response(&response(204, "")).is_ok());
    assert!(parse_delete_lineitem_response(&response(200, "{}")).is_ok());
    let refused = parse_delete_lineitem_response(&response(403, r#"{"error": "forbidden"}"#));
    assert_eq!(rejected(refused), (403, Some("forbidden".into())));
}

#[test]
fn results_are_asked_for_one_user_under_the_line_item() {
    let url = results_url("https://lms.example.edu/li/7?type=x", Some("u 1")).unwrap();
    assert_eq!(
        url.as_str(),
        "https://lms.example.edu/li/7/results?type=x&user_id=u+1"
    );
    let all = results_url(ITEM, None).unwrap();
    assert_eq!(all.as_str(), format!("{ITEM}/results"));
    let request = results_request(all.as_str());
    assert_eq!(request.method, Method::Get);
    assert_eq!(headers(&request), [("accept", ags::RESULT_CONTAINER)]);

    let page = parse_results_response(&response(200, r#"[{"userId": "u1"}]"#), all.as_str());
    assert_eq!(page.unwrap().items, [json!({"userId": "u1"})]);
    let not_a_list = parse_results_response(&response(200, "{}"), all.as_str());
    assert_eq!(
        unavailable(not_a_list),
        format!("{ITEM}/results answered no list")
    );
}

#[test]
fn members_are_read_page_by_page() {
    let request = members_request(MEMBERS);
    assert_eq!(
        (request.method.clone(), request.url.as_str()),
        (Method::Get, MEMBERS)
    );
    assert_eq!(headers(&request), [("accept", nrps::MEMBERSHIP_CONTAINER)]);
    assert_eq!(request.body, None);

    let body = r#"{"id": "c", "context": {"id": "1"}, "members": [{"user_id": "u1"}]}"#;
    let next = "https://lms.example.edu/ctx/1/members?page=2";
    let answer = with_link(response(200, body), &format!(r#"<{next}>; rel="next""#));
    let page = parse_members_response(&answer, MEMBERS).unwrap();
    assert_eq!(
        page,
        Page {
            items: vec![json!({"user_id": "u1"})],
            next: Some(next.into()),
        }
    );
    let last = parse_members_response(&response(200, body), next).unwrap();
    assert_eq!(last.next, None, "no Link, no next page");

    let without_members = parse_members_response(&response(200, r#"{"id": "c"}"#), MEMBERS);
    assert_eq!(
        unavailable(without_members),
        format!("{MEMBERS} answered no list")
    );
    let garbage = parse_members_response(&response(200, "<html>"), MEMBERS);
    assert_eq!(unavailable(garbage), format!("{MEMBERS} answered no JSON"));
    let refused = parse_members_response(&response(401, r#"{"error": "invalid_token"}"#), MEMBERS);
    assert_eq!(rejected(refused), (401, Some("invalid_token".into())));
}

#[test]
fn a_page_is_read_whatever_its_container() {
    let request = page_request(ITEMS, "application/x-anything");
    assert_eq!(headers(&request), [("accept", "application/x-anything")]);
    let list = |page: Value| page.as_array().cloned();
    let answer = with_link(
        response(200, "[1, 2]"),
        r#"<https://lms.example.edu/x?page=1>; rel="first", <https://lms.example.edu/x?page=3>; rel="next""#,
    );
    let page = parse_page_response(&answer, ITEMS, list).unwrap();
    assert_eq!(page.items, [json!(1), json!(2)]);
    assert_eq!(
        page.next.as_deref(),
        Some("https://lms.example.edu/x?page=3")
    );
    let lineitems = parse_lineitems_response(&answer, ITEMS).unwrap();
    assert_eq!(lineitems, page, "the line item container is a bare array");
    let wrapped = parse_lineitems_response(&response(200, r#"{"lineItems": []}"#), ITEMS);
    assert_eq!(unavailable(wrapped), format!("{ITEMS} answered no list"));
    let only_last = with_link(
        response(200, "[]"),
        r#"<https://lms.example.edu/x>; rel="last""#,
    );
    assert_eq!(
        parse_page_response(&only_last, ITEMS, list).unwrap().next,
        None
    );
}

#[test]
fn a_next_page_on_another_host_is_refused() {
    let list = |page: Value| page.as_array().cloned();
    for foreign in [
        "https://evil.example/ctx/1/lineitems?page=2",
        "http://lms.example.edu/ctx/1/lineitems?page=2",
        "https://lms.example.edu:8443/ctx/1/lineitems?page=2",
        "not a url",
    ] {
        let answer = with_link(response(200, "[]"), &format!(r#"<{foreign}>; rel="next""#));
        assert_eq!(
            unavailable(parse_page_response(&answer, ITEMS, list)),
            "a next page on another host",
            "{foreign}"
        );
    }
}
