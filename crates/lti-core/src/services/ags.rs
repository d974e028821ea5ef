//! Assignment and Grade Services 2.0: scores, line items and results, each
//! payload validated before anything is sent to the platform.

use serde_json::{json, Map, Value};
use url::Url;

use super::grant::{scope, AgsEndpoint, Grant};
use super::paging::all_pages;
use super::{invalid, token, Platform};
use crate::error::{Error, Result};
use crate::ports::{Crypto, HttpClient, HttpRequest, KeyValue, Method};

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

/// The score the platform receives, from the origin's payload (AGS 2.0 §3.4).
/// `userId` defaults to the launch's user; `timestamp` is now.
pub fn score_body(
    payload: &Map<String, Value>,
    default_user: Option<&str>,
    now: u64,
) -> Result<Value> {
    let activity = enumeration(payload, "activityProgress", &ACTIVITY_PROGRESS)?;
    let grading = enumeration(payload, "gradingProgress", &GRADING_PROGRESS)?;
    let given = number(payload, "scoreGiven")?;
    let maximum = number(payload, "scoreMaximum")?;
    if given.is_some_and(|g| g < 0.0) {
        return Err(invalid("scoreGiven", "must be at least 0"));
    }
    if given.is_some() && !maximum.is_some_and(|m| m > 0.0) {
        return Err(invalid(
            "scoreMaximum",
            "must be a number above 0 when scoreGiven is sent",
        ));
    }
    let user = optional_string(payload, "userId")?.or_else(|| default_user.map(str::to_owned));
    let mut score = json!({
        "userId": user.ok_or_else(|| invalid("userId", "required: the launch has no user"))?,
        "activityProgress": activity,
        "gradingProgress": grading,
        "timestamp": timestamp(now),
    });
    if let (Some(given), Some(maximum)) = (given, maximum) {
        score["scoreGiven"] = json!(given);
        score["scoreMaximum"] = json!(maximum);
    }
    if let Some(comment) = optional_string(payload, "comment")? {
        score["comment"] = json!(comment);
    }
    Ok(score)
}

/// ISO 8601 with milliseconds, as AGS expects.
pub fn timestamp(now: u64) -> String {
    use time::format_description::well_known::iso8601::{Config, Iso8601, TimePrecision};
    const FORMAT: u128 = Config::DEFAULT
        .set_time_precision(TimePrecision::Second {
            decimal_digits: std::num::NonZeroU8::new(3),
        })
        .encode();
    let time =
        time::OffsetDateTime::from_unix_timestamp(now as i64).expect("the clock is in range");
    time.format(&Iso8601::<FORMAT>)
        .expect("an ISO 8601 date formats")
}

/// A line item to create (AGS 2.0 §3.2): `label` and `scoreMaximum` > 0.
pub fn lineitem_body(payload: &Map<String, Value>) -> Result<Value> {
    optional_string(payload, "label")?.ok_or_else(|| invalid("label", "required"))?;
    if !number(payload, "scoreMaximum")?.is_some_and(|m| m > 0.0) {
        return Err(invalid("scoreMaximum", "must be a number above 0"));
    }
    for field in [
        "resourceId",
        "tag",
        "resourceLinkId",
        "startDateTime",
        "endDateTime",
    ] {
        optional_string(payload, field)?;
    }
    if payload.contains_key("id") {
        return Err(invalid("id", "is assigned by the platform"));
    }
    Ok(Value::Object(payload.clone()))
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

/// Posts a score; answers what was posted, and where.
pub async fn post_score<K: KeyValue, H: HttpClient, C: Crypto>(
    platform: &Platform<'_, K, H, C>,
    grant: Grant<'_>,
    payload: &Map<String, Value>,
) -> Result<Value> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::SCORE])?;
    let requested = optional_string(payload, "lineitem")?;
    let lineitem = choose_lineitem(&ags, requested.as_deref())?;
    let score = score_body(payload, grant.user_id(), platform.ports.now)?;
    let request = HttpRequest {
        method: Method::Post,
        url: lineitem_child(&lineitem, "scores")?.into(),
        headers: vec![("content-type".into(), SCORE.into())],
        body: Some(score.to_string()),
    };
    token::call(platform, &[scope::SCORE], &request).await?;
    Ok(json!({ "lineitem": lineitem, "score": score }))
}

/// Every line item of the launch's context; `query` filters (`resource_link_id`,
/// `resource_id`, `tag`) pass on to the platform.
pub async fn list_lineitems<K: KeyValue, H: HttpClient, C: Crypto>(
    platform: &Platform<'_, K, H, C>,
    grant: Grant<'_>,
    query: &[(String, String)],
) -> Result<Vec<Value>> {
    let ags = grant.ags()?;
    let scope = ags.require_any(&[scope::LINEITEM_READONLY, scope::LINEITEM])?;
    let container = ags
        .lineitems
        .ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint lineitems"))?;
    let mut url = Url::parse(&container)
        .map_err(|_| Error::PlatformUnavailable("bad lineitems URL".into()))?;
    for (name, value) in query
        .iter()
        .filter(|(n, _)| ["resource_link_id", "resource_id", "tag"].contains(&n.as_str()))
    {
        url.query_pairs_mut().append_pair(name, value);
    }
    all_pages(
        platform,
        &[scope],
        url.as_str(),
        LINEITEM_CONTAINER,
        |page| page.as_array().cloned(),
    )
    .await
}

/// Creates a line item in the launch's context; answers the platform's copy.
pub async fn create_lineitem<K: KeyValue, H: HttpClient, C: Crypto>(
    platform: &Platform<'_, K, H, C>,
    grant: Grant<'_>,
    payload: &Map<String, Value>,
) -> Result<Value> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::LINEITEM])?;
    let container = ags
        .lineitems
        .ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint lineitems"))?;
    let request = HttpRequest {
        method: Method::Post,
        url: container,
        headers: vec![
            ("content-type".into(), LINEITEM.into()),
            ("accept".into(), LINEITEM.into()),
        ],
        body: Some(lineitem_body(payload)?.to_string()),
    };
    let response = token::call(platform, &[scope::LINEITEM], &request).await?;
    let created: Value = serde_json::from_slice(&response.body)
        .map_err(|_| Error::PlatformUnavailable("the created line item is not JSON".into()))?;
    if !created.get("id").is_some_and(Value::is_string) {
        return Err(Error::PlatformUnavailable(
            "the created line item has no id".into(),
        ));
    }
    Ok(created)
}

/// The results of a line item (AGS 2.0 §3.5), optionally for one user.
pub async fn results<K: KeyValue, H: HttpClient, C: Crypto>(
    platform: &Platform<'_, K, H, C>,
    grant: Grant<'_>,
    lineitem: Option<&str>,
    user_id: Option<&str>,
) -> Result<Vec<Value>> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::RESULT_READONLY])?;
    let mut url = lineitem_child(&choose_lineitem(&ags, lineitem)?, "results")?;
    if let Some(user) = user_id {
        url.query_pairs_mut().append_pair("user_id", user);
    }
    all_pages(
        platform,
        &[scope::RESULT_READONLY],
        url.as_str(),
        RESULT_CONTAINER,
        |page| page.as_array().cloned(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn builds_a_score_with_defaults() {
        let body = score_body(
            &payload(json!({"scoreGiven": 7, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"})),
            Some("u1"),
            1_800_000_000,
        )
        .unwrap();
        assert_eq!(body["userId"], "u1");
        assert_eq!(body["timestamp"], "2027-01-15T08:00:00.000Z");
        assert_eq!(body["scoreGiven"], 7.0);
    }

    #[test]
    fn rejects_bad_scores_naming_the_field() {
        let base = json!({"scoreGiven": 1, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
        for (field, value) in [
            ("scoreGiven", json!(-1)),
            ("scoreMaximum", json!(0)),
            ("scoreGiven", json!("ten")),
            ("activityProgress", json!("Done")),
            ("gradingProgress", json!(null)),
            ("userId", json!(5)),
        ] {
            let mut p = payload(base.clone());
            p.insert(field.into(), value);
            let err = score_body(&p, Some("u"), 0).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidPayload { field: f, .. } if f == field),
                "{field}: {err}"
            );
        }
    }

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
