//! A tiny blocking HTTP layer over `tiny_http`: plain request/reply values, a
//! thread-per-request server loop, and HTML helpers.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use tiny_http::{Header, Request, Response, Server};

/// A request, read fully, so handlers are plain functions that are easy to test.
pub struct Incoming {
    pub method: String,
    /// Path and query, as received.
    pub url: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
}

impl Incoming {
    /// Query parameters followed by, for a POST, the form body parameters.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params = self.query.clone();
        if self.method == "POST" {
            params.extend(parse_form(&self.body));
        }
        params
    }

    /// The form body parameters only (for endpoints that must not read the query).
    pub fn form(&self) -> Vec<(String, String)> {
        parse_form(&self.body)
    }

    /// The media type of the body: `Content-Type` without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// First value of a parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `type/subtype` of a `Content-Type` value, lower-cased, parameters dropped.
pub fn media_type(value: &str) -> String {
    let essence = value.split(';').next().unwrap_or_default();
    essence.trim().to_ascii_lowercase()
}

fn parse_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

pub fn encode_query(pairs: &[(&str, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: String) -> Reply {
        let headers = vec![("Content-Type".to_string(), content_type.to_string())];
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn html(status: u16, body: String) -> Reply {
        Reply::new(status, "text/html; charset=utf-8", body)
    }

    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status, "text/plain; charset=utf-8", body.into())
    }

    pub fn json(body: String) -> Reply {
        Reply::new(200, "application/json", body)
    }

    /// Any status and media type, e.g. the LTI Advantage container types.
    pub fn typed(status: u16, content_type: &str, body: String) -> Reply {
        Reply::new(status, content_type, body)
    }

    /// `204 No Content`: no body, so no `Content-Type` either.
    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn redirect(location: String) -> Reply {
        Reply::text(302, format!("Redirecting to {location}\n")).with_header("Location", &location)
    }

    pub fn not_found() -> Reply {
        Reply::text(404, "not found\n")
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Incoming) -> Reply + Send + Sync>;

/// A listening server on 127.0.0.1; stops on `stop()` or drop.
pub struct Serving {
    server: Arc<Server>,
    stopped: Arc<AtomicBool>,
    port: u16,
}

impl Serving {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.server.unblock();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Serving {
    /// Binds (so the port is known) without answering yet; requests wait until `run`.
    pub fn bind(port: u16) -> io::Result<Serving> {
        let server = Server::http(("127.0.0.1", port)).map_err(io::Error::other)?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|addr: SocketAddr| addr.port())
            .ok_or_else(|| io::Error::other("server is not on an IP address"))?;
        Ok(Serving {
            server: Arc::new(server),
            stopped: Arc::new(AtomicBool::new(false)),
            port,
        })
    }

    /// Starts answering requests with `handler`, on background threads.
    pub fn run(&self, handler: Handler) {
        let (server, stopped) = (self.server.clone(), self.stopped.clone());
        thread::spawn(move || accept_loop(&server, &stopped, &handler));
    }
}

/// One thread per request, so a slow or re-entrant request never stalls the others.
fn accept_loop(server: &Server, stopped: &AtomicBool, handler: &Handler) {
    while !stopped.load(Ordering::SeqCst) {
        let Ok(request) = server.recv() else {
            continue;
        };
        let handler = handler.clone();
        thread::spawn(move || answer(request, &handler));
    }
}

fn answer(mut request: Request, handler: &Handler) {
    let incoming = read_request(&mut request);
    let reply = handler(&incoming);
    let mut response = Response::from_string(reply.body).with_status_code(reply.status);
    for (name, value) in reply.headers {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // The client may have gone away; nothing useful to do about it.
    let _ = request.respond(response);
}

fn read_request(request: &mut Request) -> Incoming {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let headers = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.to_string(),
            )
        })
        .collect();
    Incoming {
        method: request.method().as_str().to_string(),
        path: path.to_string(),
        query: parse_form(query),
        url: url.clone(),
        body,
        headers,
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;\
padding:0 1rem;color:#222;line-height:1.45}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45rem;text-align:left}\
a.button,button{display:inline-block;background:#2d5be3;color:#fff;border:0;border-radius:4px;\
padding:.35rem .7rem;text-decoration:none;font-size:.9rem;cursor:pointer}a.button.alt{background:#6b4bc4}\
code,pre{background:#f4f4f6;border-radius:4px}pre{padding:.8rem;overflow:auto}\
.ok{color:#17803d}.err{color:#c62828}.muted{color:#666}";

/// A complete HTML page; `body` must already be escaped.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// A form that POSTs itself on load, with a visible button for browsers without JS.
pub fn auto_post_form(title: &str, action: &str, fields: &[(&str, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<h1>{}</h1>\n<form method=\"post\" action=\"{}\">\n{inputs}\
         <button type=\"submit\">Continue</button>\n</form>\n\
         <script>document.forms[0].submit();</script>",
        escape(title),
        escape(action)
    );
    page(title, &body)
}
