use serde_json::{json, Value};

use super::*;
use crate::launch::{ClientId, DeploymentId, Issuer};

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";

fn platform() -> LaunchPlatform {
    LaunchPlatform::new(
        Issuer::new("https://lms.example.edu"),
        ClientId::new("c1"),
        DeploymentId::new("d1"),
    )
}

/// The view of `claims` as the assertion carries it.
fn view_of(claims: &Value, message_type: MessageType) -> Value {
    let view = LaunchView::of(claims, &platform(), message_type);
    serde_json::from_str(view.to_json().get()).unwrap()
}

fn view(claims: &Value) -> Value {
    view_of(claims, MessageType::ResourceLink)
}

/// A full resource link launch, as Canvas or Moodle would send it.
fn full_launch() -> Value {
    json!({
        "iss": "https://lms.example.edu", "aud": "c1", "sub": "u-1",
        "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
        "email": "ada@example.edu",
        format!("{LTI}roles"): [
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#User",
            "http://example.edu/roles#Dean"
        ],
        format!("{LTI}context"): {"id": "ctx-1", "label": "CS101", "title": "Computing",
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
        format!("{LTI}resource_link"): {"id": "rl-1", "title": "Week 1", "description": "Start here"},
        format!("{LTI}tool_platform"): {"guid": "g-1", "name": "LMS", "product_family_code": "canvas",
            "version": "cloud", "contact_email": "x@example.edu"},
        format!("{LTI}custom"): {"b": "2", "a": "1"},
        format!("{LTI}launch_presentation"): {"document_target": "iframe",
            "return_url": "https://lms.example.edu/back", "locale": "en-GB", "width": 800, "height": 600},
        AGS: {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": "https://lms.example.edu/li/1"},
        NRPS: {"context_memberships_url": "https://lms.example.edu/m", "service_versions": ["2.0"]},
    })
}

#[test]
fn every_member_of_a_full_launch() {
    let view = view(&full_launch());
    assert_eq!(
        view["user"],
        json!({
            "id": "u-1", "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
            "email": "ada@example.edu",
            "roles": ["Instructor", "Faculty", "User"],
            "role_uris": [
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/system/person#User",
                "http://example.edu/roles#Dean"
            ]
        })
    );
    assert_eq!(
        view["context"],
        json!({"id": "ctx-1", "label": "CS101", "title": "Computing",
               "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]})
    );
    assert_eq!(
        view["resource_link"],
        json!({"id": "rl-1", "title": "Week 1", "description": "Start here"})
    );
    assert_eq!(
        view["platform"],
        json!({"issuer": "https://lms.example.edu", "client_id": "c1", "deployment_id": "d1",
               "guid": "g-1", "name": "LMS", "product_family_code": "canvas", "version": "cloud"})
    );
    assert_eq!(view["message_type"], "LtiResourceLinkRequest");
    assert_eq!(view["custom"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        view["launch_presentation"],
        json!({"document_target": "iframe", "return_url": "https://lms.example.edu/back",
               "locale": "en-GB", "width": 800, "height": 600})
    );
    assert_eq!(
        view["services"],
        json!({"grades": true, "line_items": false, "roster": true, "deep_linking": false})
    );
}

#[test]
fn custom_is_carried_as_sent() {
    let custom = json!({"z": "1", "a": 2.5, "nested": {"x": [true, null]}});
    let view = view(&json!({format!("{LTI}custom"): custom}));
    assert_eq!(view["custom"], custom);
}

#[test]
fn absent_members_are_omitted() {
    let view = view(&json!({"iss": "https://lms.example.edu"}));
    assert_eq!(view["user"], json!({}));
    for member in ["context", "resource_link", "custom", "launch_presentation"] {
        assert!(view.get(member).is_none(), "{member}");
    }
    assert_eq!(
        view["platform"],
        json!({"issuer": "https://lms.example.edu", "client_id": "c1", "deployment_id": "d1"})
    );
    assert_eq!(
        view["services"],
        json!({"grades": false, "line_items": false, "roster": false, "deep_linking": false})
    );
    let partial = view_of(
        &json!({format!("{LTI}context"): {"id": "c"}, format!("{LTI}launch_presentation"): {"locale": "fr"}}),
        MessageType::ResourceLink,
    );
    assert_eq!(partial["context"], json!({"id": "c"}));
    assert_eq!(partial["launch_presentation"], json!({"locale": "fr"}));
}

#[test]
fn an_empty_roles_claim_gives_empty_lists() {
    let view = view(&json!({format!("{LTI}roles"): []}));
    assert_eq!(view["user"], json!({"roles": [], "role_uris": []}));
}

#[test]
fn claims_of_the_wrong_type_read_as_absent() {
    let view = view(&json!({
        "sub": 42,
        "name": ["Ada"],
        format!("{LTI}roles"): ["Learner", 7, {"x": 1}],
        format!("{LTI}context"): "ctx-1",
        format!("{LTI}resource_link"): {"id": 1, "title": "T"},
        format!("{LTI}custom"): ["not", "an", "object"],
        format!("{LTI}launch_presentation"): {"width": "800", "height": 600},
        AGS: {"scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score", "lineitem": "x"},
    }));
    assert_eq!(
        view["user"],
        json!({"roles": ["Learner"], "role_uris": ["Learner"]})
    );
    assert!(view.get("context").is_none());
    assert_eq!(view["resource_link"], json!({"title": "T"}));
    assert!(view.get("custom").is_none());
    assert_eq!(view["launch_presentation"], json!({"height": 600}));
    assert_eq!(view["services"]["grades"], false, "scope must be a list");
}

#[test]
fn a_single_context_type_is_a_list_of_one() {
    let view = view(&json!({format!("{LTI}context"): {"id": "c", "type": "CourseSection"}}));
    assert_eq!(view["context"]["type"], json!(["CourseSection"]));
}

fn services_of(claims: Value, message_type: MessageType) -> Value {
    view_of(&claims, message_type)["services"].clone()
}

#[test]
fn grades_need_the_score_scope_and_a_line_item() {
    let score = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    let grades =
        |ags: Value| services_of(json!({ AGS: ags }), MessageType::ResourceLink)["grades"].clone();
    assert_eq!(
        grades(json!({"scope": [score], "lineitem": "https://l/1"})),
        true
    );
    assert_eq!(grades(json!({"scope": [score]})), false, "no line item");
    assert_eq!(grades(json!({"scope": [score], "lineitem": ""})), false);
    assert_eq!(
        grades(
            json!({"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
                      "lineitem": "https://l/1"})
        ),
        false,
        "no score scope"
    );
}

#[test]
fn line_items_need_the_container_and_a_line_item_scope() {
    let items = |ags: Value| {
        services_of(json!({ AGS: ags }), MessageType::ResourceLink)["line_items"].clone()
    };
    for scope in [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    ] {
        assert_eq!(
            items(json!({"scope": [scope], "lineitems": "https://l"})),
            true
        );
        assert_eq!(items(json!({"scope": [scope]})), false, "no container");
    }
    assert_eq!(
        items(
            json!({"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                     "lineitems": "https://l"})
        ),
        false
    );
}

#[test]
fn roster_needs_the_memberships_url() {
    let roster = |nrps: Value| {
        services_of(json!({ NRPS: nrps }), MessageType::ResourceLink)["roster"].clone()
    };
    assert_eq!(
        roster(json!({"context_memberships_url": "https://m"})),
        true
    );
    assert_eq!(roster(json!({"service_versions": ["2.0"]})), false);
}

#[test]
fn deep_linking_needs_a_deep_linking_message_with_settings() {
    let settings = json!({ DL: {"deep_link_return_url": "https://lms/back"} });
    assert_eq!(
        services_of(settings.clone(), MessageType::DeepLinking)["deep_linking"],
        true
    );
    assert_eq!(
        services_of(settings, MessageType::ResourceLink)["deep_linking"],
        false
    );
    assert_eq!(
        services_of(json!({}), MessageType::DeepLinking)["deep_linking"],
        false
    );
}

#[test]
fn the_message_type_is_the_verified_one() {
    assert_eq!(
        view_of(&json!({}), MessageType::SubmissionReview)["message_type"],
        "LtiSubmissionReviewRequest"
    );
}

#[test]
fn the_json_is_an_object_whose_members_are_claims() {
    let json = LaunchView::of(&full_launch(), &platform(), MessageType::ResourceLink).to_json();
    assert!(
        json.get().starts_with(r#"{"user":{"id":"u-1","#),
        "{}",
        json.get()
    );
    let members: Value = serde_json::from_str(json.get()).unwrap();
    let names: Vec<&String> = members.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "context",
            "custom",
            "launch_presentation",
            "message_type",
            "platform",
            "resource_link",
            "services",
            "user"
        ]
    );
}
