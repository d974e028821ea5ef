//! The message types a launch may carry, and the claims each requires: a
//! missing one is a malformed message (400) naming the claim, while failed
//! verifications stay 401.

mod support;

use lti_core::launch::{MessageType, VerifiedLaunch};
use lti_core::{Error, ErrorKind};
use serde_json::{json, Value};
use support::*;

const FOR_USER: &str = "https://purl.imsglobal.org/spec/lti/claim/for_user";
const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

/// A submission review request for learner `user-7`, edited by `edit`.
fn submission_review(edit: impl FnOnce(&mut Value)) -> Result<VerifiedLaunch, Error> {
    launch_with(|c| {
        c[lti("message_type")] = json!("LtiSubmissionReviewRequest");
        c[lti("target_link_uri")] = json!("https://tool.example.com/review/3");
        c[FOR_USER] = json!({"user_id": "user-7", "name": "Ada"});
        c[AGS_ENDPOINT] = json!({
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
            "lineitem": "https://lms.example.edu/ctx/1/lineitems/7",
        });
        edit(c);
    })
}

fn assert_missing(result: Result<VerifiedLaunch, Error>, expected: &str) {
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::MissingMessageClaim { claim, .. } if *claim == expected),
        "{expected}: {err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.to_string().contains(expected), "{err}");
}

#[test]
fn accepts_a_submission_review_forwarded_to_its_target() {
    let launch = submission_review(|_| {}).unwrap();
    assert_eq!(launch.message_type(), MessageType::SubmissionReview);
    assert_eq!(
        launch.target_link_uri().as_str(),
        "https://tool.example.com/review/3"
    );
    assert_eq!(launch.platform(), &launch_platform());
}

#[test]
fn a_submission_review_requires_for_user_and_the_line_item() {
    assert_missing(
        submission_review(|c| drop(c.as_object_mut().unwrap().remove(FOR_USER))),
        "for_user.user_id",
    );
    assert_missing(
        submission_review(|c| c[FOR_USER] = json!({"name": "Ada"})),
        "for_user.user_id",
    );
    assert_missing(
        submission_review(|c| drop(c.as_object_mut().unwrap().remove(AGS_ENDPOINT))),
        "lti-ags/claim/endpoint.lineitem",
    );
    assert_missing(
        submission_review(|c| c[AGS_ENDPOINT] = json!({"lineitems": "https://lms/x"})),
        "lti-ags/claim/endpoint.lineitem",
    );
}

#[test]
fn claims_a_message_type_requires_are_400_and_security_claims_401() {
    assert_missing(
        launch_with(|c| c[lti("resource_link")] = json!({})),
        "resource_link.id",
    );
    assert_missing(
        launch_with(|c| drop(c.as_object_mut().unwrap().remove(&lti("target_link_uri")))),
        "target_link_uri",
    );
    assert_missing(
        launch_with(|c| drop(c.as_object_mut().unwrap().remove(&lti("roles")))),
        "roles",
    );
    for claim in ["aud", "exp", "iat"] {
        let err = launch_with(|c| drop(c.as_object_mut().unwrap().remove(claim))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{claim}: {err:?}");
    }
}

#[test]
fn other_message_types_are_refused_by_name() {
    let err = launch_with(|c| c[lti("message_type")] = json!("LtiStartProctoring")).unwrap_err();
    assert!(matches!(&err, Error::UnsupportedMessageType(t) if t == "LtiStartProctoring"));
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.to_string().contains("LtiStartProctoring"), "{err}");
}
