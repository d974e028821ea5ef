//! A bare HTTP/1.1 request over TCP: ureq always adds a `User-Agent`, and the Canvas
//! profile must be shown a request with none at all.

use std::io::{Read, Write};
use std::net::TcpStream;

/// `(status, body)` of `method url` with exactly these headers (plus `Host`,
/// `Content-Length` and `Connection: close`).
pub(super) fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let url = url::Url::parse(url).expect("a URL");
    let address = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().expect("a port")
    );
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target = format!("{target}?{query}");
    }
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut stream = TcpStream::connect(&address).expect("connects");
    stream
        .write_all(format!("{head}\r\n{body}").as_bytes())
        .expect("writes");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_string())
}
