//! `Link: <url>; rel="next"` paging (RFC 8288), as AGS and NRPS containers use.

use serde_json::Value;
use url::Url;

use super::token::{self, check_status};
use super::Platform;
use crate::error::{Error, Result};
use crate::ports::{HttpRequest, HttpResponse, Runtime};

/// Pages followed at most before a container is considered runaway.
pub(crate) const MAX_PAGES: usize = 50;

/// The `rel="next"` target of a `Link` header value, if any.
pub fn next_link(link: &str) -> Option<String> {
    let mut rest = link;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let params = rest[end + 1..].split('<').next().unwrap_or_default();
        let is_next = params.split(';').any(|p| {
            let Some((name, value)) = p.trim().split_once('=') else {
                return false;
            };
            let value = value.trim().trim_end_matches(',').trim_matches('"');
            name.trim().eq_ignore_ascii_case("rel") && value.split_whitespace().any(|r| r == "next")
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[end + 1..];
    }
    None
}

/// A next page must stay on the container's origin: the platform's access
/// token goes with it.
pub fn same_origin(first: &str, next: &str) -> bool {
    match (Url::parse(first), Url::parse(next)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// One page of a container: its items, and the next page's URL, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// The GET of one page of a container whose media type is `accept`.
pub fn page_request(url: &str, accept: &str) -> HttpRequest {
    HttpRequest::get(url).header("accept", accept)
}

/// The page `url` answered: the list `items` finds in its JSON, and its
/// `rel="next"` link, which must stay on the page's origin (so, page by page,
/// on the first page's).
pub fn parse_page_response(
    response: &HttpResponse,
    url: &str,
    items: impl FnOnce(Value) -> Option<Vec<Value>>,
) -> Result<Page> {
    // `token::call` refuses a non-2xx before this runs; the parser checks it
    // too, so that it means the same for any response it is given.
    check_status(response)?;
    let page: Value = serde_json::from_slice(&response.body)
        .map_err(|_| Error::PlatformUnavailable(format!("{url} answered no JSON")))?;
    let items =
        items(page).ok_or_else(|| Error::PlatformUnavailable(format!("{url} answered no list")))?;
    let next = match response.header("link").and_then(next_link) {
        Some(next) if same_origin(url, &next) => Some(next),
        Some(_) => {
            return Err(Error::PlatformUnavailable(
                "a next page on another host".into(),
            ))
        }
        None => None,
    };
    Ok(Page { items, next })
}

/// GETs `first` and every `rel="next"` page after it, at most [`MAX_PAGES`],
/// collecting their items: `request` builds each page's GET, `parse` reads it.
pub(crate) async fn all_pages<R: Runtime>(
    platform: &Platform<'_, R>,
    scopes: &[&str],
    first: &str,
    request: impl Fn(&str) -> HttpRequest,
    parse: impl Fn(&HttpResponse, &str) -> Result<Page>,
) -> Result<Vec<Value>> {
    let (mut all, mut next) = (Vec::new(), Some(first.to_owned()));
    for _ in 0..MAX_PAGES {
        let Some(url) = next.take() else {
            return Ok(all);
        };
        let response = token::call(platform, scopes, &request(&url)).await?;
        let page = parse(&response, &url)?;
        all.extend(page.items);
        next = page.next;
    }
    Err(Error::PlatformUnavailable(format!(
        "more than {MAX_PAGES} pages"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_among_other_relations() {
        let link = r#"<https://lms/x?page=1>; rel="first", <https://lms/x?page=3>; rel="next""#;
        assert_eq!(next_link(link).as_deref(), Some("https://lms/x?page=3"));
        assert_eq!(
            next_link(r#"<https://lms/a,b>; rel="prev next""#).as_deref(),
            Some("https://lms/a,b")
        );
        assert_eq!(next_link(r#"<https://lms/x>; rel="last""#), None);
        assert_eq!(next_link("garbage <"), None);
    }

    #[test]
    fn next_pages_stay_on_the_platform() {
        assert!(same_origin("https://lms/a", "https://lms/b?page=2"));
        assert!(!same_origin("https://lms/a", "https://evil/b"));
    }
}
