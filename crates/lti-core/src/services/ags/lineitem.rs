//! Line items (AGS 2.0 §3.2): the container listed and added to, one item
//! read, updated and deleted, each inside the launch's context. Each exchange
//! is a pure request builder and a pure response parser; the async functions
//! join them through [`token::call`].

use serde_json::{Map, Value};

use super::{choose_lineitem, number, optional_string, LINEITEM, LINEITEM_CONTAINER};
use crate::error::{Error, Result};
use crate::ports::{HttpRequest, HttpResponse, Method, Runtime};
use crate::services::grant::{scope, Grant};
use crate::services::paging::{all_pages, page_request, parse_page_response, Page};
use crate::services::token::check_status;
use crate::services::{invalid, token, with_filters, Platform};

/// The line item filters an origin may pass on (AGS 2.0 §3.2).
pub(crate) const LINEITEM_FILTERS: [&str; 3] = ["resource_link_id", "resource_id", "tag"];

/// The fields every line item payload must get right (AGS 2.0 §3.2):
/// a `label`, a `scoreMaximum` above 0, and the optional strings non-empty.
fn check_lineitem(payload: &Map<String, Value>) -> Result<()> {
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
    Ok(())
}

/// A line item to create: valid, and without an `id`, which the platform assigns.
pub fn lineitem_body(payload: &Map<String, Value>) -> Result<Value> {
    check_lineitem(payload)?;
    if payload.contains_key("id") {
        return Err(invalid("id", "is assigned by the platform"));
    }
    Ok(Value::Object(payload.clone()))
}

/// A line item to update (AGS 2.0 §3.2: PUT the whole item): valid, with
/// its `id` set to the URL it is sent to, whatever the payload said.
pub(crate) fn lineitem_update_body(payload: &Map<String, Value>, url: &str) -> Result<Value> {
    check_lineitem(payload)?;
    let mut item = payload.clone();
    item.insert("id".into(), Value::String(url.to_owned()));
    Ok(Value::Object(item))
}

/// The GET of one line item.
pub fn read_lineitem_request(url: &str) -> HttpRequest {
    HttpRequest::get(url).header("accept", LINEITEM)
}

/// The POST (create, to the container) or PUT (update, to the item) of a line item.
pub fn write_lineitem_request(method: Method, url: &str, item: &Value) -> HttpRequest {
    HttpRequest {
        method,
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), LINEITEM.into()),
            ("accept".into(), LINEITEM.into()),
        ],
        body: Some(item.to_string()),
    }
}

/// The DELETE of one line item.
pub fn delete_lineitem_request(url: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Delete,
        url: url.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

/// The GET of one page of the line item container.
pub fn list_lineitems_request(url: &str) -> HttpRequest {
    page_request(url, LINEITEM_CONTAINER)
}

/// One page of the line item container, a JSON array.
pub fn parse_lineitems_response(response: &HttpResponse, url: &str) -> Result<Page> {
    parse_page_response(response, url, |page| page.as_array().cloned())
}

/// The platform's line item, a JSON object.
pub fn parse_lineitem_response(response: &HttpResponse) -> Result<Map<String, Value>> {
    check_status(response)?;
    match serde_json::from_slice(&response.body) {
        Ok(Value::Object(item)) => Ok(item),
        _ => Err(Error::PlatformUnavailable(
            "the line item is not a JSON object".into(),
        )),
    }
}

/// The line item the platform created, which must carry the `id` it assigned.
pub fn parse_created_lineitem_response(response: &HttpResponse) -> Result<Map<String, Value>> {
    let created = parse_lineitem_response(response)?;
    if !created.get("id").is_some_and(Value::is_string) {
        return Err(Error::PlatformUnavailable(
            "the created line item has no id".into(),
        ));
    }
    Ok(created)
}

/// A deleted line item: any 2xx, whatever its body.
pub fn parse_delete_lineitem_response(response: &HttpResponse) -> Result<()> {
    check_status(response)
}

/// Every line item of the launch's context; `query` filters (`resource_link_id`,
/// `resource_id`, `tag`) pass on to the platform.
pub async fn list_lineitems<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    query: &[(String, String)],
) -> Result<Vec<Value>> {
    let ags = grant.ags()?;
    let scope = ags.require_any(&[scope::LINEITEM_READONLY, scope::LINEITEM])?;
    let container = ags
        .lineitems
        .ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint lineitems"))?;
    let url = with_filters(&container, query, &LINEITEM_FILTERS)?;
    let (request, parse) = (list_lineitems_request, parse_lineitems_response);
    all_pages(platform, &[scope], &url, request, parse).await
}

/// Creates a line item in the launch's context; answers the platform's copy.
pub async fn create_lineitem<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    payload: &Map<String, Value>,
) -> Result<Value> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::LINEITEM])?;
    let container = ags
        .lineitems
        .ok_or(Error::ClaimNotGranted("lti-ags/claim/endpoint lineitems"))?;
    let request = write_lineitem_request(Method::Post, &container, &lineitem_body(payload)?);
    let response = token::call(platform, &[scope::LINEITEM], &request).await?;
    parse_created_lineitem_response(&response).map(Value::Object)
}

/// One line item of the launch's context (`id`, by default the launch's own).
pub async fn read_lineitem<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    id: Option<&str>,
) -> Result<Value> {
    let ags = grant.ags()?;
    let scope = ags.require_any(&[scope::LINEITEM_READONLY, scope::LINEITEM])?;
    let url = choose_lineitem(&ags, id)?;
    let response = token::call(platform, &[scope], &read_lineitem_request(&url)).await?;
    parse_lineitem_response(&response).map(Value::Object)
}

/// Replaces a line item of the launch's context; answers the platform's copy.
pub async fn update_lineitem<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    id: Option<&str>,
    payload: &Map<String, Value>,
) -> Result<Value> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::LINEITEM])?;
    let url = choose_lineitem(&ags, id)?;
    let item = lineitem_update_body(payload, &url)?;
    let request = write_lineitem_request(Method::Put, &url, &item);
    let response = token::call(platform, &[scope::LINEITEM], &request).await?;
    parse_lineitem_response(&response).map(Value::Object)
}

/// Deletes a line item of the launch's context.
pub async fn delete_lineitem<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    id: Option<&str>,
) -> Result<()> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::LINEITEM])?;
    let url = choose_lineitem(&ags, id)?;
    let request = delete_lineitem_request(&url);
    parse_delete_lineitem_response(&token::call(platform, &[scope::LINEITEM], &request).await?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn payload(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_update_takes_its_id_from_the_url() {
        let item = payload(
            json!({"id": "https://lms/ctx/1/lineitems/3", "label": "Quiz", "scoreMaximum": 20}),
        );
        let body = lineitem_update_body(&item, "https://lms/ctx/1/lineitems/9").unwrap();
        assert_eq!(body["id"], "https://lms/ctx/1/lineitems/9");
        assert_eq!(body["label"], "Quiz");
        assert!(
            matches!(lineitem_body(&item), Err(Error::InvalidPayload { field, .. }) if field == "id"),
            "a new line item names no id"
        );
    }

    #[test]
    fn rejects_bad_lineitems_naming_the_field() {
        let base = json!({"label": "Quiz", "scoreMaximum": 20});
        for (field, value) in [
            ("label", json!(null)),
            ("label", json!("")),
            ("scoreMaximum", json!(0)),
            ("scoreMaximum", json!("20")),
            ("tag", json!(3)),
            ("resourceLinkId", json!("")),
        ] {
            let mut p = payload(base.clone());
            p.insert(field.into(), value);
            for result in [
                lineitem_body(&p),
                lineitem_update_body(&p, "https://lms/li/1"),
            ] {
                assert!(
                    matches!(&result, Err(Error::InvalidPayload { field: f, .. }) if f == field),
                    "{field}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn line_item_requests_carry_the_media_type() {
        let put = write_lineitem_request(Method::Put, "https://lms/li/1", &json!({}));
        assert_eq!(put.method, Method::Put);
        assert!(put
            .headers
            .contains(&("content-type".into(), LINEITEM.into())));
        assert!(put.headers.contains(&("accept".into(), LINEITEM.into())));
        let get = read_lineitem_request("https://lms/li/1");
        assert_eq!(get.headers, [("accept".to_owned(), LINEITEM.to_owned())]);
        let delete = delete_lineitem_request("https://lms/li/1");
        assert_eq!((delete.method, delete.body), (Method::Delete, None));
    }
}
