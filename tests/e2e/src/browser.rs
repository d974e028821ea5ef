//! A minimal browser: a cookie jar, no redirects followed, every status returned.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A response, whatever its status.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    /// Lower-cased names, in order; `set-cookie` may repeat.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query of the `Location` header; empty without one.
    pub fn location_query(&self) -> HashMap<String, String> {
        let location = self
            .header("location")
            .and_then(|l| url::Url::parse(l).ok());
        location.map_or_else(HashMap::new, |url| url.query_pairs().into_owned().collect())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub struct Browser {
    agent: ureq::Agent,
    pub cookies: RefCell<BTreeMap<String, String>>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::with_agent(
            ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(30))
                .build(),
        )
    }
}

impl Browser {
    /// An empty jar over `agent`, whose connections other browsers may share;
    /// the agent must not follow redirects.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Self {
            agent,
            cookies: RefCell::default(),
        }
    }

    pub fn get(&self, url: &str) -> Reply {
        self.send(self.agent.get(url), None)
    }

    pub fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Reply {
        let request = headers
            .iter()
            .fold(self.agent.get(url), |r, (n, v)| r.set(n, v));
        self.send(request, None)
    }

    pub fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Reply {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post_raw(url, "application/x-www-form-urlencoded", &body)
    }

    /// Any method, with extra headers and an optional body.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let request = headers
            .iter()
            .fold(self.agent.request(method, url), |r, (n, v)| r.set(n, v));
        self.send(request, body)
    }

    /// [`Browser::request`], a transport failure returned rather than a panic.
    pub fn try_request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Reply, String> {
        let request = headers
            .iter()
            .fold(self.agent.request(method, url), |r, (n, v)| r.set(n, v));
        self.try_send(request, body)
    }

    pub fn post_raw(&self, url: &str, content_type: &str, body: &str) -> Reply {
        self.send(
            self.agent.post(url).set("content-type", content_type),
            Some(body),
        )
    }

    /// Panics without an HTTP answer; a body cut short reads as empty.
    fn send(&self, request: ureq::Request, body: Option<&str>) -> Reply {
        self.exchange(request, body, false)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_send(&self, request: ureq::Request, body: Option<&str>) -> Result<Reply, String> {
        self.exchange(request, body, true)
    }

    fn exchange(
        &self,
        mut request: ureq::Request,
        body: Option<&str>,
        whole_body: bool,
    ) -> Result<Reply, String> {
        let jar = self.cookie_header();
        if !jar.is_empty() {
            request = request.set("cookie", &jar);
        }
        let result = match body {
            Some(body) => request.send_string(body),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => return Err(format!("transport error: {e}")),
        };
        let reply = read(response, whole_body)?;
        self.store_cookies(&reply);
        Ok(reply)
    }

    fn cookie_header(&self) -> String {
        let cookies = self.cookies.borrow();
        cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps cookies by name; `Max-Age=0` removes one.
    fn store_cookies(&self, reply: &Reply) {
        for cookie in reply.set_cookies() {
            let Some((name, rest)) = cookie.split_once('=') else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            if cookie.contains("Max-Age=0") {
                self.cookies.borrow_mut().remove(name);
            } else {
                self.cookies
                    .borrow_mut()
                    .insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

/// The response; with `whole_body`, a body that cannot be read is an error.
fn read(response: ureq::Response, whole_body: bool) -> Result<Reply, String> {
    let status = response.status();
    let mut headers = Vec::new();
    for name in response.headers_names() {
        for value in response.all(&name) {
            headers.push((name.to_ascii_lowercase(), value.to_owned()));
        }
    }
    let body = match response.into_string() {
        Ok(body) => body,
        Err(e) if whole_body => return Err(format!("reading the body: {e}")),
        Err(_) => String::new(),
    };
    Ok(Reply {
        status,
        headers,
        body,
    })
}
