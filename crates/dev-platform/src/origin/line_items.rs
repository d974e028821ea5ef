//! The demo's line items page: the context's line items (`GET /lti/services/lineitems`),
//! each with an edit form (`PUT /lti/services/lineitem?id=..`) and a delete button
//! (`DELETE`). Browsers only send forms by POST, so the origin turns them into the
//! worker's PUT and DELETE, server to server.

use serde_json::Value;

use super::advantage::{input_error_html, pretty, service_error_html};
use super::client;
use crate::http::{encode_query, escape, param};

pub(crate) const LINE_ITEMS_PATH: &str = "/demo/lineitems";
pub(crate) const EDIT_PATH: &str = "/demo/lineitem/edit";
pub(crate) const DELETE_PATH: &str = "/demo/lineitem/delete";
const LINE_ITEMS_SERVICE: &str = "/lti/services/lineitems";
const LINE_ITEM_SERVICE: &str = "/lti/services/lineitem";
const MAX_LABEL_CHARS: usize = 200;

/// `/lti/services/lineitem?id=<line item URL>`.
fn item_path(id: &str) -> String {
    format!(
        "{LINE_ITEM_SERVICE}?{}",
        encode_query(&[("id", id.to_string())])
    )
}

/// "Line items": the list, as the worker gathered it from every page.
pub(crate) fn list(tool_base: &str, token: &str) -> (u16, String) {
    match client::call(tool_base, LINE_ITEMS_SERVICE, token, None) {
        Ok(items) => (200, line_items_html(&items)),
        Err(error) => (
            error.reply_status(),
            service_error_html("Fetching the line items", &error),
        ),
    }
}

/// The edit form's fields, checked before anything is sent: `(id, label, scoreMaximum)`.
pub(crate) fn edit_fields(form: &[(String, String)]) -> Result<(String, String, f64), String> {
    let id = param(form, "id").map(str::trim).unwrap_or_default();
    if id.is_empty() {
        return Err("id: required".into());
    }
    let label = param(form, "label").map(str::trim).unwrap_or_default();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Err(format!("label: 1 to {MAX_LABEL_CHARS} characters"));
    }
    let text = param(form, "scoreMaximum")
        .map(str::trim)
        .unwrap_or_default();
    let maximum = text
        .parse::<f64>()
        .ok()
        .filter(|max| max.is_finite() && *max > 0.0)
        .ok_or_else(|| format!("scoreMaximum: {text:?} is not a number > 0"))?;
    Ok((id.to_string(), label.to_string(), maximum))
}

/// The whole line item to PUT: the current one with the new label and maximum. `id`
/// is left out: the worker sets it from the query.
pub(crate) fn edited_line_item(current: &Value, label: &str, maximum: f64) -> Value {
    let mut item = current.clone();
    if let Some(members) = item.as_object_mut() {
        members.remove("id");
        members.insert("label".into(), label.into());
        members.insert("scoreMaximum".into(), maximum.into());
    }
    item
}

/// "Save": reads the line item, then PUTs it back changed.
pub(crate) fn edit(tool_base: &str, token: &str, form: &[(String, String)]) -> (u16, String) {
    let (id, label, maximum) = match edit_fields(form) {
        Ok(fields) => fields,
        Err(reason) => return (400, input_error_html(&reason)),
    };
    let path = item_path(&id);
    let updated = client::request(tool_base, "GET", &path, token, None).and_then(|current| {
        let item = edited_line_item(&current, &label, maximum);
        client::request(tool_base, "PUT", &path, token, Some(&item))
    });
    match updated {
        Ok(item) => (
            200,
            format!(
                "<p class=\"ok\"><strong>Line item updated.</strong></p>\n<pre>{}</pre>\n{}",
                pretty(&item),
                back_to_list()
            ),
        ),
        Err(error) => (
            error.reply_status(),
            service_error_html("Updating the line item", &error),
        ),
    }
}

/// "Delete": the worker answers `204`.
pub(crate) fn delete(tool_base: &str, token: &str, form: &[(String, String)]) -> (u16, String) {
    let id = param(form, "id").map(str::trim).unwrap_or_default();
    if id.is_empty() {
        return (400, input_error_html("id: required"));
    }
    match client::request(tool_base, "DELETE", &item_path(id), token, None) {
        Ok(_) => (
            200,
            format!(
                "<p class=\"ok\"><strong>Line item deleted:</strong> <code>{}</code></p>\n{}",
                escape(id),
                back_to_list()
            ),
        ),
        Err(error) => (
            error.reply_status(),
            service_error_html("Deleting the line item", &error),
        ),
    }
}

fn back_to_list() -> String {
    format!("<p><a href=\"{LINE_ITEMS_PATH}\">All line items</a></p>")
}

/// The worker's answer (a JSON array of line items) as a table of forms.
pub(crate) fn line_items_html(items: &Value) -> String {
    let items = items.as_array().map_or(&[][..], Vec::as_slice);
    let rows: String = items.iter().map(line_item_row).collect();
    format!(
        "<h2>Line items (AGS)</h2>\n<p class=\"ok\"><strong>{} line items</strong>, every page \
         fetched by the worker.</p>\n<table><tr><th>Label</th><th>Maximum</th><th></th></tr>\n\
         {rows}</table>",
        items.len()
    )
}

fn line_item_row(item: &Value) -> String {
    let id = escape(item["id"].as_str().unwrap_or_default());
    let label = escape(item["label"].as_str().unwrap_or_default());
    let maximum = item["scoreMaximum"]
        .as_f64()
        .map(|max| max.to_string())
        .unwrap_or_default();
    format!(
        "<tr><td colspan=\"2\"><form method=\"post\" action=\"{EDIT_PATH}\">\
         <input type=\"hidden\" name=\"id\" value=\"{id}\">\
         <input type=\"text\" name=\"label\" value=\"{label}\" required maxlength=\"{MAX_LABEL_CHARS}\"> \
         <input type=\"number\" name=\"scoreMaximum\" value=\"{maximum}\" min=\"0\" step=\"any\" required> \
         <button type=\"submit\">Save</button></form></td>\
         <td><form method=\"post\" action=\"{DELETE_PATH}\">\
         <input type=\"hidden\" name=\"id\" value=\"{id}\">\
         <button type=\"submit\">Delete</button></form></td></tr>\n"
    )
}
