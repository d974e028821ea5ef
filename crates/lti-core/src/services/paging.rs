//! `Link: <url>; rel="next"` paging (RFC 8288), as AGS and NRPS containers use.

use url::Url;

/// Pages followed at most before a container is considered runaway.
pub const MAX_PAGES: usize = 50;

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
