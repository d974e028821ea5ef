//! What passes between the browser and the origin: which client headers are
//! dropped, when an unsafe request may carry the session's assertion, and how
//! the origin's redirects and cache headers are rewritten. Pure decisions; the
//! adapter applies them.

use url::Url;

/// Client headers never passed on, besides those [`drops_client_header`]
/// matches by shape: hop-by-hop ones, `host` (the origin's comes from its
/// URL), `cookie` (rebuilt without the worker's), and the proxy headers the
/// worker sets itself or that proxies and frameworks trust for routing.
const DROPPED: [&str; 14] = [
    "host",
    "cookie",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "forwarded",
    "x-real-ip",
    "x-original-url",
    "x-rewrite-url",
    // A session token: the worker's credential, never the origin's.
    "lti-session",
];

/// Whether a client request header (name lower-cased) must not reach the
/// origin. Any name with `_` goes, as nginx drops them by default: CGI-style
/// origins (Rack, WSGI, PHP) read `_` and `-` alike, so `Lti_Jwt_Assertion`
/// would arrive as the worker's own `HTTP_LTI_JWT_ASSERTION`. Every
/// `X-Forwarded-*` goes: the worker sets the ones it vouches for.
pub fn drops_client_header(name: &str) -> bool {
    DROPPED.contains(&name)
        || name.contains('_')
        || name.starts_with("x-forwarded-")
        || name.eq_ignore_ascii_case(crate::assertion::HEADER)
}

/// Whether an unsafe request (any method but GET, HEAD, OPTIONS) is one a
/// browser marks as sent from another site: `Sec-Fetch-Site` other than
/// `same-origin`, or, without it, an `Origin` other than the tool's. Such a
/// request must not reach the origin with the session's assertion: the
/// session cookie is `SameSite=None`, so any page can make the browser send it.
pub fn is_cross_site_unsafe(
    method: &str,
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    tool: &Url,
) -> bool {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return false;
    }
    match (sec_fetch_site, origin) {
        (Some(site), _) => site != "same-origin",
        (None, Some(origin)) => origin != tool.origin().ascii_serialization(),
        (None, None) => false,
    }
}

/// Removes every [`crate::session::TOKEN_PARAM`] from `url`'s query (however
/// its name is percent-encoded) and returns their values, for the session.
/// Other parameters keep their order and their encoding as sent.
pub fn take_session_params(url: &mut Url) -> Vec<String> {
    let Some(query) = url.query() else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let mut parsed = url::form_urlencoded::parse(pair.as_bytes());
        match parsed.next() {
            Some((name, value)) if name == crate::session::TOKEN_PARAM => {
                tokens.push(value.into_owned())
            }
            _ => kept.push(pair),
        }
    }
    if !tokens.is_empty() {
        let kept = kept.join("&");
        url.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    tokens
}

/// A redirect from the origin, as the browser should see it: one into
/// `ORIGIN_URL` points at the same place on the worker; any other (a foreign
/// host, or the origin's host outside `ORIGIN_URL`'s path) stays as it is.
/// `None` when nothing changes.
pub fn rewrite_location(location: &str, origin: &Url, tool: &Url) -> Option<String> {
    let url = Url::parse(location).ok()?;
    if url.origin() != origin.origin() {
        return None;
    }
    let base = origin.path().trim_end_matches('/');
    let path = url.path().strip_prefix(base)?;
    if !(path.is_empty() || path.starts_with('/')) {
        return None;
    }
    let mut rewritten = tool.clone();
    rewritten.set_path(if path.is_empty() { "/" } else { path });
    rewritten.set_query(url.query());
    rewritten.set_fragment(url.fragment());
    Some(rewritten.into())
}

/// `Cache-Control` for an origin answer that was made for a session: shared
/// caches must not keep it. The origin's own value stays when it already says
/// `private` or `no-store`; otherwise `private` replaces `public` and
/// `s-maxage`, and the other directives are kept.
pub fn private_cache_control(origin: Option<&str>) -> Option<String> {
    let directives: Vec<&str> = origin
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let name = |d: &str| {
        d.split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    if directives
        .iter()
        .any(|d| matches!(name(d).as_str(), "private" | "no-store"))
    {
        return None;
    }
    let kept = directives
        .into_iter()
        .filter(|d| !matches!(name(d).as_str(), "public" | "s-maxage"));
    Some(
        std::iter::once("private")
            .chain(kept)
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn drops_assertions_in_any_spelling_and_proxy_headers() {
        for name in [
            "lti-jwt-assertion",
            "lti_jwt_assertion",
            "lti-jwt_assertion",
            "x_anything",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-prefix",
            "forwarded",
            "x-real-ip",
            "x-original-url",
            "x-rewrite-url",
            "cookie",
            "host",
        ] {
            assert!(drops_client_header(name), "{name}");
        }
        for name in [
            "accept",
            "content-type",
            "x-requested-with",
            "authorization",
        ] {
            assert!(!drops_client_header(name), "{name}");
        }
    }

    #[test]
    fn unsafe_requests_from_other_sites_are_marked() {
        let tool = url("https://tool.example/");
        let cross = |method, site, origin| is_cross_site_unsafe(method, site, origin, &tool);
        assert!(!cross(
            "GET",
            Some("cross-site"),
            Some("https://lms.example")
        ));
        assert!(!cross(
            "POST",
            Some("same-origin"),
            Some("https://tool.example")
        ));
        assert!(!cross("POST", None, Some("https://tool.example")));
        assert!(
            !cross("POST", None, None),
            "no browser marks: not a browser"
        );
        assert!(cross("POST", Some("cross-site"), None));
        assert!(cross(
            "PUT",
            Some("same-site"),
            Some("https://tool.example")
        ));
        assert!(cross("DELETE", Some("none"), None));
        assert!(cross("POST", None, Some("https://lms.example")));
        assert!(cross("POST", None, Some("null")));
        assert!(cross("PATCH", None, Some("http://tool.example")));
    }

    #[test]
    fn session_tokens_are_taken_out_of_the_query_and_the_rest_kept_as_sent() {
        let mut page = url("https://tool.example/a?x=1&lti_session=t1&y=%20+&lti%5Fsession=t1#f");
        assert_eq!(take_session_params(&mut page), ["t1", "t1"]);
        assert_eq!(page.as_str(), "https://tool.example/a?x=1&y=%20+#f");
        let mut only = url("https://tool.example/a?lti_session=t");
        assert_eq!(take_session_params(&mut only), ["t"]);
        assert_eq!(only.as_str(), "https://tool.example/a");
        let mut none = url("https://tool.example/a?lti_sessionx=1&q=lti_session");
        assert!(take_session_params(&mut none).is_empty());
        assert_eq!(
            none.as_str(),
            "https://tool.example/a?lti_sessionx=1&q=lti_session"
        );
        assert!(drops_client_header("lti-session"));
    }

    #[test]
    fn redirects_into_the_origin_move_to_the_worker_and_others_stay() {
        let tool = url("https://tool.example/");
        let origin = url("http://10.0.0.5:8080/app/");
        let rewrite = |l| rewrite_location(l, &origin, &tool);
        assert_eq!(
            rewrite("http://10.0.0.5:8080/app/x?y=1#z").as_deref(),
            Some("https://tool.example/x?y=1#z")
        );
        assert_eq!(
            rewrite("http://u:p@10.0.0.5:8080/app").as_deref(),
            Some("https://tool.example/")
        );
        for unchanged in [
            "https://evil.example/app/x",
            "http://10.0.0.5:8080/other/x",
            "http://10.0.0.5:8080/application",
            "http://10.0.0.5:9999/app/x",
            "/relative",
            "//evil.example/x",
        ] {
            assert_eq!(rewrite(unchanged), None, "{unchanged}");
        }
    }

    #[test]
    fn session_answers_are_private_unless_stricter() {
        assert_eq!(private_cache_control(None).as_deref(), Some("private"));
        assert_eq!(
            private_cache_control(Some("public, max-age=60, s-maxage=600")).as_deref(),
            Some("private, max-age=60")
        );
        assert_eq!(private_cache_control(Some("no-store")), None);
        assert_eq!(private_cache_control(Some("Private, max-age=5")), None);
    }
}
