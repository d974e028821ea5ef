//! The worker's cookies. All are `Secure; HttpOnly; SameSite=None; Partitioned`:
//! launches arrive as cross-site POSTs inside LMS iframes, where only such
//! cookies survive (CHIPS keeps them per embedding site). All carry the
//! `__Host-` prefix (RFC 6265bis §4.1.3.2): browsers accept them only with
//! `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can plant one.

use crate::error::{Error, Result};

/// The session cookie's name.
pub const SESSION: &str = "__Host-lti_session";
const STATE_PREFIX: &str = "__Host-lti_state_";
/// The worker's cookies before they took the `__Host-` prefix: still removed
/// from what the origin receives, never read.
const LEGACY: [&str; 2] = ["lti_session", "lti_state_"];
/// State cookies one browser keeps at most: each login adds one, so a page
/// that loops through logins would otherwise grow the `Cookie` header until
/// every request to the tool fails. A course page launching several tools at
/// once stays well under it.
pub const MAX_STATE_COOKIES: usize = 10;

/// A `Set-Cookie` value (RFC 6265 §4.1). Names and values here are the
/// worker's own base64url tokens and numbers, so they need no quoting.
fn build(name: &str, value: &str, max_age: u64) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=None; Partitioned"
    )
}

/// Binds `state` to this browser. One cookie per login, so several launches
/// in one page (several tools in one course page) do not overwrite each other.
/// The value is when the login began, so the oldest can be dropped first.
pub fn state(state: &str, now: u64, max_age: u64) -> String {
    build(&format!("{STATE_PREFIX}{state}"), &now.to_string(), max_age)
}

/// Removes the state cookie once its launch has been handled.
pub fn clear_state(state: &str) -> String {
    build(&format!("{STATE_PREFIX}{state}"), "", 0)
}

pub fn session(id: &str, max_age: u64) -> String {
    build(SESSION, id, max_age)
}

/// The cookies of a `Cookie` header, as (name, value), values as sent
/// (RFC 6265 §5.4: pairs separated by `;`). Pairs without `=` are skipped.
pub fn parse(header: Option<&str>) -> Vec<(String, String)> {
    let pairs = header.into_iter().flat_map(|h| h.split(';'));
    pairs
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| !name.trim().is_empty())
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

pub fn has_state(cookies: &[(String, String)], state: &str) -> bool {
    cookies
        .iter()
        .any(|(name, _)| name.strip_prefix(STATE_PREFIX) == Some(state))
}

/// The states whose cookies a new login should clear so that, with its own,
/// the browser keeps at most [`MAX_STATE_COOKIES`]: the oldest first (a value
/// that is not a time counts as oldest).
pub fn states_to_clear(cookies: &[(String, String)]) -> Vec<&str> {
    let mut states: Vec<(u64, &str)> = cookies
        .iter()
        .filter_map(|(name, value)| {
            let state = name.strip_prefix(STATE_PREFIX)?;
            Some((value.parse().unwrap_or(0), state))
        })
        .collect();
    let excess = (states.len() + 1).saturating_sub(MAX_STATE_COOKIES);
    states.sort_unstable();
    states.into_iter().take(excess).map(|(_, s)| s).collect()
}

/// The session id the browser presents. Two session cookies are refused
/// rather than one picked: a browser holds one per partition, so a second
/// came from somewhere else.
pub fn session_id(cookies: &[(String, String)]) -> Result<Option<&str>> {
    let mut sessions = cookies.iter().filter(|(name, _)| name == SESSION);
    let first = sessions.next().map(|(_, v)| v.as_str());
    if sessions.next().is_some() {
        return Err(Error::InvalidParameter {
            name: "cookie",
            reason: "two session cookies; clear this site's cookies and launch again".into(),
        });
    }
    Ok(first)
}

fn is_worker_cookie(name: &str) -> bool {
    let name = name.strip_prefix("__Host-").unwrap_or(name);
    name == LEGACY[0] || name.starts_with(LEGACY[1])
}

/// The `Cookie` header for the origin: the worker's own cookies removed, as
/// they are credentials for the worker alone.
pub fn for_origin(cookies: &[(String, String)]) -> Option<String> {
    let kept: Vec<String> = cookies
        .iter()
        .filter(|(name, _)| !is_worker_cookie(name))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(header: &str) -> Vec<(String, String)> {
        parse(Some(header))
    }

    #[test]
    fn finds_state_and_session_and_keeps_the_rest_for_the_origin() {
        let jar = jar("a=1; __Host-lti_state_abc=1; __Host-lti_session=xyz; b=\"q\"; junk; lti_session=old; lti_state_x=1");
        assert!(has_state(&jar, "abc"));
        assert!(!has_state(&jar, "ab"));
        assert!(
            !has_state(&jar, "x"),
            "unprefixed state cookies are not read"
        );
        assert_eq!(session_id(&jar).unwrap(), Some("xyz"));
        assert_eq!(for_origin(&jar).as_deref(), Some("a=1; b=\"q\""));
        assert!(parse(None).is_empty());
    }

    #[test]
    fn refuses_two_session_cookies() {
        let jar = jar("__Host-lti_session=a; __Host-lti_session=b");
        assert!(matches!(
            session_id(&jar),
            Err(Error::InvalidParameter { name: "cookie", .. })
        ));
        assert_eq!(session_id(&parse(Some("lti_session=a"))).unwrap(), None);
    }

    #[test]
    fn keeps_at_most_ten_state_cookies_dropping_the_oldest() {
        let header: Vec<String> = (0..12)
            .map(|i| format!("__Host-lti_state_s{i}={}", 1000 + i))
            .chain(["__Host-lti_state_junk=x".to_owned()])
            .collect();
        let jar = jar(&header.join("; "));
        assert_eq!(
            states_to_clear(&jar),
            ["junk", "s0", "s1", "s2"],
            "13 + the new one, 10 kept"
        );
        assert!(states_to_clear(&parse(Some("__Host-lti_state_a=1"))).is_empty());
    }

    #[test]
    fn cookies_work_in_lms_iframes() {
        let cookie = state("abc", 1700, 600);
        for attribute in [
            "__Host-lti_state_abc=1700",
            "Secure",
            "HttpOnly",
            "SameSite=None",
            "Partitioned",
            "Path=/;",
            "Max-Age=600",
        ] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(!cookie.contains("Domain"));
        assert!(clear_state("abc").contains("Max-Age=0"));
        assert!(session("id", 60).starts_with("__Host-lti_session=id; Path=/;"));
    }
}
