//! Assignment and Grade Services 2.0: scores, line items and results, each
//! payload validated before anything is sent to the platform, each exchange a
//! pure `*_request` builder and a pure `parse_*_response` parser joined by a
//! few lines of async glue.

pub mod lineitem;
pub mod results;
pub mod score;

pub use lineitem::{
    create_lineitem, delete_lineitem, lineitem_body, list_lineitems, read_lineitem, update_lineitem,
};
pub use results::results;
pub use score::{post_score, score_body, scores_url, timestamp};

use serde_json::{Map, Value};
use url::Url;

use super::grant::AgsEndpoint;
use super::invalid;
use crate::error::{Error, Result};

pub const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
pub const LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub const LINEITEM_CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
pub const RESULT_CONTAINER: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

/// AGS 2.0 §3.4.7 and §3.4.8.
pub const ACTIVITY_PROGRESS: [&str; 5] = [
    "Initialized",
    "Started",
    "InProgress",
    "Submitted",
    "Completed",
];
pub const GRADING_PROGRESS: [&str; 5] = [
    "FullyGraded",
    "Pending",
    "PendingManual",
    "Failed",
    "NotReady",
];

fn enumeration(payload: &Map<String, Value>, field: &str, allowed: &[&str]) -> Result<String> {
    match payload.get(field).and_then(Value::as_str) {
        Some(v) if allowed.contains(&v) => Ok(v.to_owned()),
        _ => Err(invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

fn number(payload: &Map<String, Value>, field: &str) -> Result<Option<f64>> {
    match payload.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| invalid(field, "must be a number")),
    }
}

fn optional_string(payload: &Map<String, Value>, field: &str) -> Result<Option<String>> {
    match payload.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(invalid(field, "must be a non-empty string")),
    }
}

/// `<lineitem>/<leaf>`, keeping the line item's query (AGS 2.0 §3.4, §3.5).
pub fn lineitem_child(lineitem: &str, leaf: &str) -> Result<Url> {
    let mut url = Url::parse(lineitem).map_err(|_| invalid("lineitem", "not a URL"))?;
    let path = format!("{}/{leaf}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

/// The line item to act on: the launch's own (its `lineitem` claim), or one
/// the origin names inside the launch's line item container. Returns the URL
/// that will be sent.
pub fn choose_lineitem(ags: &AgsEndpoint, requested: Option<&str>) -> Result<String> {
    let Some(requested) = requested else {
        return ags
            .lineitem
            .clone()
            .ok_or_else(|| invalid("lineitem", "required: the launch has no line item"));
    };
    let own = ags.lineitem.as_deref() == Some(requested);
    let contained = || {
        ags.lineitems
            .as_deref()
            .is_some_and(|c| within(requested, c))
    };
    if own || contained() {
        Ok(requested.to_owned())
    } else {
        Err(Error::OutsideGrant("lineitem"))
    }
}

/// Whether `item` names a line item inside `container` (AGS 2.0 §3.2: items
/// live under their container). The platform, not this worker, resolves the
/// path it receives, so whatever it could read as a step out of the container
/// is refused rather than normalized.
fn within(item: &str, container: &str) -> bool {
    let (Ok(parsed), Ok(container)) = (Url::parse(item), Url::parse(container)) else {
        return false;
    };
    // Written exactly as it will be sent: nothing the URL parser would
    // normalize (dot segments, `\`, tabs, case, default ports) can move it
    // after this check.
    let as_sent = parsed.as_str() == item;
    let prefix = format!("{}/", container.path().trim_end_matches('/'));
    let rest = parsed.path().strip_prefix(&prefix);
    as_sent
        && parsed.origin() == container.origin()
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && rest.is_some_and(|rest| rest.split('/').all(is_plain_segment))
        // Moodle keeps the container's query on its items (`?type_id=1`).
        && parsed.query() == container.query()
        && parsed.fragment().is_none()
}

/// A path segment that names a child, nothing else: not empty, not a dot
/// segment in any spelling, no encoded separator, only RFC 3986 `pchar`s.
fn is_plain_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let dots = lower.replace("%2e", ".");
    let pchar = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%".contains(&b);
    !segment.is_empty()
        && segment.bytes().all(pchar)
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && dots != "."
        && dots != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineitems_must_lie_in_the_launch_container() {
        let ags = AgsEndpoint {
            scope: vec![],
            lineitems: Some("https://lms/ctx/1/lineitems?x=1".into()),
            lineitem: Some("https://lms/ctx/1/lineitems/9".into()),
        };
        assert_eq!(
            choose_lineitem(&ags, None).unwrap(),
            "https://lms/ctx/1/lineitems/9"
        );
        assert_eq!(
            choose_lineitem(&ags, Some("https://lms/ctx/1/lineitems/9")).unwrap(),
            "https://lms/ctx/1/lineitems/9",
            "the launch's own line item, whatever its query"
        );
        assert_eq!(
            choose_lineitem(&ags, Some("https://lms/ctx/1/lineitems/3?x=1")).unwrap(),
            "https://lms/ctx/1/lineitems/3?x=1"
        );
        for foreign in [
            "https://lms/ctx/2/lineitems/3?x=1",
            "https://evil/ctx/1/lineitems/3?x=1",
            "http://lms/ctx/1/lineitems/3?x=1",
            "https://lms/ctx/1/lineitemsX?x=1",
            "https://lms/ctx/1/lineitems/?x=1",
            "https://lms/ctx/1/lineitems/3",
            "https://lms/ctx/1/lineitems/3?x=2",
            "https://lms/ctx/1/lineitems/3?x=1#f",
            "https://user@lms/ctx/1/lineitems/3?x=1",
            "https://lms/ctx/1/lineitems//3?x=1",
            "https://lms/ctx/1/lineitems/3/?x=1",
            // Parsed, these would leave the container or differ from what is checked.
            "https://lms/ctx/1/lineitems/../../2/lineitems/3?x=1",
            "https://lms/ctx/1/lineitems/3/../../../2/lineitems/3?x=1",
            "https://lms/ctx/1/lineitems/./3?x=1",
            "https://lms/ctx/1/lineitems/a\\..\\..\\2?x=1",
            "https://lms/ctx/1/lineitems/.\t./x?x=1",
            "HTTPS://LMS/ctx/1/lineitems/3?x=1",
            "https://lms:443/ctx/1/lineitems/3?x=1",
            // Kept by the parser, but a platform may decode them into a step out.
            "https://lms/ctx/1/lineitems/%2e%2e/x?x=1",
            "https://lms/ctx/1/lineitems/3/%2E%2e/%2e./.%2E/x?x=1",
            "https://lms/ctx/1/lineitems/%2e?x=1",
            "https://lms/ctx/1/lineitems/..%2f..%2f2?x=1",
            "https://lms/ctx/1/lineitems/..%2F2?x=1",
            "https://lms/ctx/1/lineitems/..%5c..%5C2?x=1",
            "not a url",
        ] {
            assert!(
                matches!(
                    choose_lineitem(&ags, Some(foreign)),
                    Err(Error::OutsideGrant(_))
                ),
                "{foreign}"
            );
        }
        assert_eq!(
            lineitem_child("https://lms/li/9?type=x", "scores")
                .unwrap()
                .as_str(),
            "https://lms/li/9/scores?type=x"
        );
    }

    #[test]
    fn moodle_lineitems_keep_the_container_query() {
        let ags = AgsEndpoint {
            scope: vec![],
            lineitems: Some("https://moodle/mod/lti/services.php/2/lineitems?type_id=1".into()),
            lineitem: None,
        };
        let item = "https://moodle/mod/lti/services.php/2/lineitems/9/lineitem?type_id=1";
        assert_eq!(choose_lineitem(&ags, Some(item)).unwrap(), item);
        let other_tool = item.replace("type_id=1", "type_id=2");
        assert!(choose_lineitem(&ags, Some(&other_tool)).is_err());
        assert_eq!(
            lineitem_child(item, "scores").unwrap().as_str(),
            "https://moodle/mod/lti/services.php/2/lineitems/9/lineitem/scores?type_id=1"
        );
    }
}
