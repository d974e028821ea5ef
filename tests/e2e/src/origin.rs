//! An origin app that records what reaches it, so tests can prove that a
//! rejected request reached nothing.

use std::sync::{Arc, Mutex};

use dev_platform::http::{escape, Incoming, Reply, Serving};

/// One request as the origin saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub url: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn assertion(&self) -> Option<&str> {
        self.header("lti-jwt-assertion")
    }

    /// Every value a CGI-style origin (WSGI, Rack, PHP) would read under the
    /// `environ` key `HTTP_<NAME>`: names upper-cased with `-` and `_` alike.
    pub fn cgi_header(&self, name: &str) -> Vec<&str> {
        let key = |n: &str| n.to_ascii_uppercase().replace('-', "_");
        self.headers
            .iter()
            .filter(|(n, _)| key(n) == key(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The `session_token` claim of an assertion (not verified: the tests check assertions
/// where it matters; this origin only needs the token for its link).
pub fn session_token(assertion: &str) -> Option<String> {
    use base64::Engine;
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["session_token"].as_str().map(str::to_owned)
}

/// A page as an origin app answers it inside the LMS frame: what it saw, and a link to
/// its next page that keeps the session as the interface says an origin should without
/// cookies: `?lti_session=<session_token of the assertion>` when it has one.
fn browser_page(req: &Incoming) -> Reply {
    let assertion = req
        .headers
        .iter()
        .find(|(name, _)| name == "lti-jwt-assertion")
        .map(|(_, value)| value.as_str());
    let token = assertion.and_then(session_token);
    let next = format!("{}/next", req.path);
    let (session, next) = match (&assertion, &token) {
        (_, Some(token)) => ("by token", format!("{next}?lti_session={token}")),
        (Some(_), None) => ("by cookie", next),
        (None, None) => ("none", next),
    };
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Origin</title></head>\
         <body>\n<h1 id=\"origin-page\">origin saw {path}</h1>\n\
         <p id=\"session\">session: {session}</p>\n\
         <p><a id=\"next\" href=\"{next}\">Next page</a></p>\n</body></html>\n",
        path = escape(&req.path),
        next = escape(&next),
    );
    Reply::html(200, body)
}

pub struct RecordingOrigin {
    serving: std::sync::Mutex<Option<Serving>>,
    port: u16,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl RecordingOrigin {
    /// Answers `200 origin saw <path>`; `/redirect` answers a 302 to its own
    /// absolute URL, as apps behind proxies often do, `/redirect-foreign` one
    /// to another host, `/cacheable` says `Cache-Control: public`, and `/browser/...`
    /// answers a page for a real browser (see [`browser_page`]).
    pub fn start() -> std::io::Result<Self> {
        let serving = Serving::bind(0)?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, base) = (
            Arc::clone(&seen),
            format!("http://127.0.0.1:{}", serving.port()),
        );
        serving.run(Arc::new(move |req| {
            log.lock().unwrap().push(Recorded {
                method: req.method.clone(),
                url: req.url.clone(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            });
            match req.path.as_str() {
                "/redirect" => Reply::redirect(format!("{base}/after-redirect?x=1")),
                "/redirect-foreign" => Reply::redirect("https://elsewhere.example/x".into()),
                "/cacheable" => Reply::text(200, "cacheable")
                    .with_header("cache-control", "public, max-age=60, s-maxage=600"),
                "/slow" => {
                    // Longer than the ORIGIN_TIMEOUT_MS the stack gives the worker.
                    std::thread::sleep(std::time::Duration::from_secs(7));
                    Reply::text(200, "too late")
                }
                path if path.starts_with("/browser/") => browser_page(req),
                path => Reply::text(200, format!("origin saw {path}")).with_header("x-origin", "1"),
            }
        }));
        let port = serving.port();
        Ok(Self {
            serving: std::sync::Mutex::new(Some(serving)),
            port,
            seen,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes the origin's socket for good: it is down from now on.
    pub fn stop(&self) {
        drop(self.serving.lock().unwrap().take());
    }

    /// Every request to `path` or below it (`path/...`), whatever its query:
    /// `/t/a-1` is not `/t/a-10`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|r| at_or_below(&r.url, path))
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

fn at_or_below(url: &str, path: &str) -> bool {
    let own = url.split('?').next().unwrap_or_default();
    own.strip_prefix(path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::at_or_below;

    #[test]
    fn a_path_is_not_its_longer_sibling() {
        assert!(at_or_below("/t/a-1", "/t/a-1"));
        assert!(at_or_below("/t/a-1?x=1", "/t/a-1"));
        assert!(at_or_below("/browser/a/step", "/browser/a"));
        assert!(!at_or_below("/t/a-10", "/t/a-1"));
        assert!(!at_or_below("/browser/ab", "/browser/a"));
    }
}
