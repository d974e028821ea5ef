//! Sessions without cookies: when the browser blocks the worker's cookies inside the LMS
//! frame, the assertion carries a `session_token`, and the origin keeps the session by
//! putting it on its own links and forms as `lti_session` (the worker removes it again
//! before anything reaches the origin).

const PARAMETER: &str = "lti_session";

/// `html` with `lti_session=<token>` added to every same-origin `href` and `action`
/// (those starting with a single `/`); other URLs (absolute, `//host`, `#...`) untouched.
pub(crate) fn carry_session(html: &str, token: &str) -> String {
    // The worker's tokens are base64url; encoded all the same.
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = next_attribute(rest) {
        let (before, value) = rest.split_at(at);
        out.push_str(before);
        let end = value.find('"').unwrap_or(value.len());
        let (url, after) = value.split_at(end);
        if url.starts_with('/') && !url.starts_with("//") {
            let (path, fragment) = url.find('#').map_or((url, ""), |at| url.split_at(at));
            let separator = if path.contains('?') { "&amp;" } else { "?" };
            out.push_str(&format!("{path}{separator}{PARAMETER}={token}{fragment}"));
        } else {
            out.push_str(url);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The offset just past the next ` href="` or ` action="`.
fn next_attribute(html: &str) -> Option<usize> {
    [" href=\"", " action=\""]
        .iter()
        .filter_map(|marker| html.find(marker).map(|at| at + marker.len()))
        .min()
}

#[cfg(test)]
mod tests {
    use super::carry_session;

    #[test]
    fn same_origin_links_and_forms_carry_the_token() {
        let html = "<a href=\"/demo/roster\">r</a> <a class=\"b\" href=\"/demo/roster?role=Learner\">l</a>\
                    <form method=\"post\" action=\"/demo/grade\"></form><a href=\"/x#top\">x</a>";
        assert_eq!(
            carry_session(html, "T0k"),
            "<a href=\"/demo/roster?lti_session=T0k\">r</a> \
             <a class=\"b\" href=\"/demo/roster?role=Learner&amp;lti_session=T0k\">l</a>\
             <form method=\"post\" action=\"/demo/grade?lti_session=T0k\"></form>\
             <a href=\"/x?lti_session=T0k#top\">x</a>"
        );
    }

    #[test]
    fn other_urls_never_get_the_token() {
        let html = "<a href=\"https://lms.example/x\">a</a><a href=\"//evil.example/\">b</a>\
                    <form action=\"http://127.0.0.1:9001/a/deep-link-return\"></form><a href=\"#k\">c</a>";
        assert_eq!(carry_session(html, "T0k"), html);
    }
}
