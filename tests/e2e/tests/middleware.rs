//! The README's middleware examples (`examples/middleware/`: Express with `jose`,
//! FastAPI and Flask with PyJWT, axum with `jsonwebtoken`, Go `net/http` with
//! golang-jwt, Rack with ruby-jwt), each started on a free loopback port against
//! the worker and sent real assertions, as the worker forwards them:
//!
//! - a launch's assertion shows the user's name and short roles;
//! - no header, a tampered signature, another key's signature, an expired
//!   assertion and one for another audience are refused with 401. The expired
//!   and foreign ones are signed with the worker's own key, read from its local
//!   KV (`keys:signing`), and the same claims re-signed unchanged are accepted:
//!   only `exp` or `aud` makes the difference;
//! - `POST /grade` posts a score through the worker, and the platform records it.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dev_platform::SigningKeyChoice;
use lti_edge_e2e::{Browser, Reply, Stack};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};

use crate::common::*;
use crate::launch::worker_jwks;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "middleware::readme_shows_the_tested_code",
        readme_shows_the_tested_code,
    ),
    ("middleware::node_express_jose", node_express_jose),
    ("middleware::python_fastapi_pyjwt", python_fastapi_pyjwt),
    ("middleware::python_flask_pyjwt", python_flask_pyjwt),
    ("middleware::rust_axum_jsonwebtoken", rust_axum_jsonwebtoken),
    ("middleware::go_net_http_golang_jwt", go_net_http_golang_jwt),
    ("middleware::ruby_rack_ruby_jwt", ruby_rack_ruby_jwt),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(path: &str) -> PathBuf {
    root().join("examples/middleware").join(path)
}

/// Every code block the README marks `<!-- from examples/... -->` is in that file,
/// as it is: the README shows the code these tests run.
fn readme_shows_the_tested_code(_: &Stack) {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut shown = 0;
    for (_, rest) in readme
        .match_indices("<!-- from ")
        .map(|(i, _)| readme.split_at(i))
    {
        let (path, block) = rest["<!-- from ".len()..].split_once(" -->").unwrap();
        let code = block.trim_start().split_once('\n').unwrap().1;
        let code = &code[..code.find("\n```").unwrap()];
        let file = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            file.contains(code),
            "README.md shows {path} other than it is"
        );
        shown += 1;
    }
    for stack in [
        "node/server.mjs",
        "python/fastapi_app.py",
        "python/flask_app.py",
        "rust/src/lti.rs",
        "go/lti.go",
        "ruby/lti_assertion.rb",
    ] {
        let path = format!("examples/middleware/{stack}");
        assert!(readme.contains(&format!("<!-- from {path} -->")), "{path}");
    }
    assert!(shown >= 6);
}

/// A middleware example running on a loopback port; killed (its whole process
/// group) when dropped.
struct Running {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Running {
    fn start(stack: &Stack, name: &str, mut command: Command) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let log = stack.state_dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = command
            .current_dir(root())
            .env("WORKER_URL", &stack.worker)
            .env("AUDIENCE", stack.origin.base_url())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let mut running = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        running.wait_listening(port);
        running
    }

    fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited ({status}): {}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("not listening after 60 s: {}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn send(&self, method: &str, path: &str, assertion: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = assertion
            .map(|token| ("Lti-Jwt-Assertion", token))
            .into_iter()
            .collect();
        // A browser's form POST always has a length (WEBrick refuses one without).
        let body = (method == "POST").then_some("");
        Browser::default().request(method, &format!("{}{path}", self.url), &headers, body)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let kill = |signal: &str| {
            let args = [signal, "--", &group];
            let quiet = Command::new("kill")
                .args(args)
                .stderr(Stdio::null())
                .status();
            drop(quiet);
        };
        kill("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever of the group is left (a server's own children).
        kill("-KILL");
        let _ = self.child.wait();
    }
}

/// Roles of three vocabularies: the page must show them as short names,
/// context roles first.
const ROLES: [&str; 3] = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
];

/// The assertion the origin received for a real launch into `/t/<name>`.
fn launch_assertion(stack: &Stack, name: &str) -> String {
    assertion_as(stack, &A1, name, |claims| {
        claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = json!(ROLES);
    })
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `claims` signed ES256 with the worker's own P-256 key, as its local KV holds it.
fn signed_by_the_worker(stack: &Stack, claims: &Value) -> String {
    let stored: Value =
        serde_json::from_str(&stack.kv("LTI_STATE", &["key", "get", "keys:signing"])).unwrap();
    let key = stored["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["public"]["kty"] == "EC")
        .expect("the worker's P-256 key");
    let der = URL_SAFE_NO_PAD
        .decode(key["pkcs8"].as_str().unwrap())
        .unwrap();
    let signer = p256::ecdsa::SigningKey::from_pkcs8_der(&der).unwrap();
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": key["kid"]});
    let input = format!("{}.{}", encode(&header), encode(claims));
    let signature: p256::ecdsa::Signature = signer.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The whole check of one middleware, started by `command`.
fn exercise(stack: &Stack, name: &str, command: Command) {
    let server = Running::start(stack, name, command);
    let assertion = launch_assertion(stack, name);

    let page = server.send("GET", "/", Some(&assertion));
    assert_eq!(page.status, 200, "{}\n{}", page.body, server.log());
    assert!(page.body.contains("Hello, Ada Lovelace"), "{}", page.body);
    let roles = "Roles: Instructor, TeachingAssistant, Faculty";
    assert!(page.body.contains(roles), "{}", page.body);

    let (resigned, refused) = forgeries(stack, name, &assertion);
    let control = server.send("GET", "/", Some(&resigned));
    assert_eq!(
        control.status, 200,
        "the worker's key, as read here, signs: {}",
        control.body
    );
    for (case, token) in refused {
        let reply = server.send("GET", "/", token.as_deref());
        assert_eq!(reply.status, 401, "{case}: {}", reply.body);
        assert!(!reply.body.contains("Ada"), "{case}: {}", reply.body);
    }

    let scores = stack.platform.scores("a").len();
    let graded = server.send("POST", "/grade", Some(&assertion));
    assert_eq!(graded.status, 200, "{}\n{}", graded.body, server.log());
    let posted = stack.platform.scores("a");
    assert_eq!(posted.len(), scores + 1, "the platform recorded the score");
    let (_, score) = posted.last().unwrap();
    assert_eq!(
        (&score["scoreGiven"], &score["userId"]),
        (&json!(8.0), &json!("user-123"))
    );
}

type Cases = Vec<(&'static str, Option<String>)>;

/// The assertion's claims re-signed unchanged with the worker's key (which must be
/// accepted), and what every middleware must refuse, by name.
fn forgeries(stack: &Stack, name: &str, assertion: &str) -> (String, Cases) {
    let parts: Vec<&str> = assertion.split('.').collect();
    let claims = segment_json(parts[1]);
    let resigned = signed_by_the_worker(stack, &claims);
    assert_ne!(resigned, assertion);

    let mut expired = claims.clone();
    expired["iat"] = json!(now() - 420);
    expired["exp"] = json!(now() - 120);
    let mut foreign = claims.clone();
    foreign["aud"] = json!("https://another-origin.example");

    let other = launch_assertion(stack, &format!("{name}-other"));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        other.rsplit('.').next().unwrap()
    );
    // The worker publishes an RSA key too: a token naming it, signed by another.
    let jwks = worker_jwks(stack);
    let mut keys = jwks["keys"].as_array().unwrap().iter();
    let rsa = keys.find(|k| k["kty"] == "RSA").unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": rsa["kid"]});
    let forged = stack
        .platform
        .sign_raw(&header, &claims, SigningKeyChoice::Attacker);
    let refused = vec![
        ("no assertion", None),
        ("tampered signature", Some(tampered)),
        ("signed by another key", Some(forged)),
        ("expired", Some(signed_by_the_worker(stack, &expired))),
        (
            "another audience",
            Some(signed_by_the_worker(stack, &foreign)),
        ),
    ];
    (resigned, refused)
}

fn node_express_jose(stack: &Stack) {
    let mut command = Command::new("node");
    command.arg(example("node/server.mjs"));
    exercise(stack, "mw-node", command);
}

fn python(app: &str) -> Command {
    let python = root().join(".venv/bin/python");
    assert!(python.exists(), "run scripts/setup.sh: it installs .venv");
    let mut command = Command::new(python);
    command.arg(example(app));
    command
}

fn python_fastapi_pyjwt(stack: &Stack) {
    exercise(stack, "mw-fastapi", python("python/fastapi_app.py"));
}

fn python_flask_pyjwt(stack: &Stack) {
    exercise(stack, "mw-flask", python("python/flask_app.py"));
}

fn rust_axum_jsonwebtoken(stack: &Stack) {
    let target_dir = root().join("target/examples");
    let build = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "--quiet"])
        .arg("--manifest-path")
        .arg(example("rust/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .expect("cargo runs");
    assert!(build.success(), "the axum example builds");
    let command = Command::new(target_dir.join("release/lti-edge-axum"));
    exercise(stack, "mw-axum", command);
}

fn go_net_http_golang_jwt(stack: &Stack) {
    let binary = root().join("target/examples/go-middleware");
    let build = Command::new("sh")
        .arg(example("go/build-debian.sh"))
        .arg(&binary)
        .status()
        .expect("sh runs");
    assert!(
        build.success(),
        "the Go example builds (scripts/setup.sh installs Go)"
    );
    exercise(stack, "mw-go", Command::new(binary));
}

fn ruby_rack_ruby_jwt(stack: &Stack) {
    let mut command = Command::new("ruby");
    command.arg(example("ruby/app.rb"));
    exercise(stack, "mw-ruby", command);
}
