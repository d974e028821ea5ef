//! The worker's cookies. All are `Secure; HttpOnly; SameSite=None; Partitioned`:
//! launches arrive as cross-site POSTs inside LMS iframes, where only such
//! cookies survive (CHIPS keeps them per embedding site).

pub use crate::session::COOKIE as SESSION;

const STATE_PREFIX: &str = "lti_state_";

/// A `Set-Cookie` value (RFC 6265 §4.1). Names and values here are the
/// worker's own base64url tokens, so they need no quoting.
fn build(name: String, value: String, path: &'static str, max_age: u64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age}; Secure; HttpOnly; SameSite=None; Partitioned")
}

/// Binds `state` to this browser. One cookie per login, so several launches
/// in one page (several tools in one course page) do not overwrite each other.
pub fn state(state: &str, max_age: u64) -> String {
    build(
        format!("{STATE_PREFIX}{state}"),
        "1".into(),
        "/lti/launch",
        max_age,
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
    build(SESSION.into(), id.into(), "/", max_age)
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
