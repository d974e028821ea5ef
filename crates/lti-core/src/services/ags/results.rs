//! Results (AGS 2.0 §3.5): what the platform holds for a line item, for
//! every user or one, every page followed.

use serde_json::Value;
use url::Url;

use super::{choose_lineitem, lineitem_child, RESULT_CONTAINER};
use crate::error::Result;
use crate::ports::{HttpRequest, HttpResponse, Runtime};
use crate::services::grant::{scope, Grant};
use crate::services::paging::{all_pages, page_request, parse_page_response, Page};
use crate::services::Platform;

/// `<lineitem>/results`, with `user_id` when the results of one user are asked for.
pub fn results_url(lineitem: &str, user_id: Option<&str>) -> Result<Url> {
    let mut url = lineitem_child(lineitem, "results")?;
    if let Some(user) = user_id {
        url.query_pairs_mut().append_pair("user_id", user);
    }
    Ok(url)
}

/// The GET of one page of results.
pub fn results_request(url: &str) -> HttpRequest {
    page_request(url, RESULT_CONTAINER)
}

/// One page of the result container, a JSON array.
pub fn parse_results_response(response: &HttpResponse, url: &str) -> Result<Page> {
    parse_page_response(response, url, |page| page.as_array().cloned())
}

/// The results of a line item (AGS 2.0 §3.5), optionally for one user.
pub async fn results<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    lineitem: Option<&str>,
    user_id: Option<&str>,
) -> Result<Vec<Value>> {
    let ags = grant.ags()?;
    ags.require_any(&[scope::RESULT_READONLY])?;
    let url = results_url(&choose_lineitem(&ags, lineitem)?, user_id)?;
    let (request, parse) = (results_request, parse_results_response);
    all_pages(
        platform,
        &[scope::RESULT_READONLY],
        url.as_str(),
        request,
        parse,
    )
    .await
}
