//! The worker's cookies. All are `Secure; HttpOnly; SameSite=None; Partitioned`:
//! launches arrive as cross-site POSTs inside LMS iframes, where only such
//! cookies survive (CHIPS keeps them per embedding site).

use cookie::time::Duration;
use cookie::{Cookie, SameSite};

pub use crate::session::COOKIE as SESSION;

const STATE_PREFIX: &str = "lti_state_";

fn build(name: String, value: String, path: &'static str, max_age: i64) -> String {
    Cookie::build((name, value))
        .path(path)
        .secure(true)
        .http_only(true)
        .same_site(SameSite::None)
        .partitioned(true)
        .max_age(Duration::seconds(max_age))
        .build()
        .to_string()
}

/// Binds `state` to this browser. One cookie per login, so several launches
/// in one page (several tools in one course page) do not overwrite each other.
pub fn state(state: &str, max_age: u64) -> String {
    build(
        format!("{STATE_PREFIX}{state}"),
        "1".into(),
        "/lti/launch",
        max_age as i64,
    )
}

/// Removes the state cookie once its launch has been handled.
pub fn clear_state(state: &str) -> String {
    build(
        format!("{STATE_PREFIX}{state}"),
        String::new(),
        "/lti/launch",
        0,
    )
}

pub fn session(id: &str, max_age: u64) -> String {
    build(SESSION.into(), id.into(), "/", max_age as i64)
}

/// The cookies of a `Cookie` header, as (name, value).
pub fn parse(header: Option<&str>) -> Vec<(String, String)> {
    let Some(header) = header else {
        return Vec::new();
    };
    Cookie::split_parse(header)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

pub fn has_state(cookies: &[(String, String)], state: &str) -> bool {
    cookies
        .iter()
        .any(|(name, _)| name.strip_prefix(STATE_PREFIX) == Some(state))
}

pub fn session_id(cookies: &[(String, String)]) -> Option<&str> {
    cookies
        .iter()
        .find(|(name, _)| name == SESSION)
        .map(|(_, v)| v.as_str())
}

/// The `Cookie` header for the origin: the worker's own cookies removed, as
/// they are credentials for the worker alone.
pub fn for_origin(cookies: &[(String, String)]) -> Option<String> {
    let kept: Vec<String> = cookies
        .iter()
        .filter(|(name, _)| name != SESSION && !name.starts_with(STATE_PREFIX))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_state_and_session_and_keeps_the_rest_for_the_origin() {
        let jar = parse(Some("a=1; lti_state_abc=1; lti_session=xyz; b=\"q\"; junk"));
        assert!(has_state(&jar, "abc"));
        assert!(!has_state(&jar, "ab"));
        assert_eq!(session_id(&jar), Some("xyz"));
        assert_eq!(for_origin(&jar).as_deref(), Some("a=1; b=\"q\""));
        assert!(parse(None).is_empty());
    }

    #[test]
    fn cookies_work_in_lms_iframes() {
        let cookie = state("abc", 600);
        for attribute in [
            "lti_state_abc=1",
            "Secure",
            "HttpOnly",
            "SameSite=None",
            "Partitioned",
            "Path=/lti/launch",
            "Max-Age=600",
        ] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(clear_state("abc").contains("Max-Age=0"));
    }
}
