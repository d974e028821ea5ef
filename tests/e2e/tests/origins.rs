//! The origin side: the README's verification programs (Node `jose`, Python
//! `PyJWT`, Rust `jsonwebtoken`) run against real assertions from the worker.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lti_edge_e2e::{Browser, Stack};

use crate::common::*;
use crate::launch::worker_jwks;
use crate::Test;

pub const TESTS: &[(&str, Test)] = &[
    (
        "origins::readme_shows_the_tested_programs",
        readme_shows_the_tested_programs,
    ),
    (
        "origins::node_jose_verifies_the_assertion",
        node_jose_verifies_the_assertion,
    ),
    (
        "origins::python_pyjwt_verifies_the_assertion",
        python_pyjwt_verifies_the_assertion,
    ),
    (
        "origins::rust_jsonwebtoken_verifies_the_assertion",
        rust_jsonwebtoken_verifies_the_assertion,
    ),
    (
        "origins::with_a_p256_key_assertions_are_es256_and_platforms_get_rs256",
        with_a_p256_key_assertions_are_es256_and_platforms_get_rs256,
    ),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(file: &str) -> PathBuf {
    root().join("examples/verify-assertion").join(file)
}

fn readme_shows_the_tested_programs(_: &Stack) {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for file in ["verify.mjs", "verify.py", "rust/src/main.rs"] {
        let program = std::fs::read_to_string(example(file)).unwrap();
        assert!(
            readme.contains(program.trim_end()),
            "README.md must show {file} exactly as tested"
        );
    }
}

/// Runs `program` as an origin would: accepted with the right audience,
/// refused with another, and refused when tampered with.
fn verifies(stack: &Stack, name: &str, program: impl Fn() -> Command) {
    let assertion = assertion_as(stack, &A1, name, |_| {});
    let run = |assertion: &str, audience: &str| -> Output {
        let mut command = program();
        command
            .env("ASSERTION", assertion)
            .env("JWKS_URL", stack.url("/.well-known/jwks.json"))
            .env("ISSUER", &stack.worker)
            .env("AUDIENCE", audience);
        command.output().expect("the example runs")
    };
    let accepted = run(&assertion, &stack.origin.base_url());
    assert!(
        accepted.status.success(),
        "refused: {}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let claims: serde_json::Value =
        serde_json::from_slice(&accepted.stdout).expect("claims as JSON");
    assert_eq!(claims["sub"], "user-123");
    assert_eq!(claims["lti"]["nonce"].as_str().map(str::len), Some(43));
    assert!(
        !run(&assertion, "https://another.example").status.success(),
        "wrong audience accepted"
    );
    let (signed, _) = assertion.rsplit_once('.').unwrap();
    let forged = assertion_as(stack, &A1, &format!("{name}-2"), |_| {});
    let tampered = format!("{signed}.{}", forged.rsplit_once('.').unwrap().1);
    assert!(
        !run(&tampered, &stack.origin.base_url()).status.success(),
        "tampered assertion accepted"
    );
}

fn node() -> Command {
    let mut command = Command::new("node");
    command.arg(example("verify.mjs"));
    command
}

fn python() -> Command {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup.sh: it installs the Python example's packages"
    );
    let mut command = Command::new(&python);
    command.arg(example("verify.py"));
    command
}

fn rust() -> Command {
    let target_dir = root().join("target/examples");
    let build = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--manifest-path",
        ])
        .arg(example("rust/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .expect("cargo runs");
    assert!(build.success(), "the Rust example builds");
    Command::new(target_dir.join("release/verify-assertion"))
}

fn node_jose_verifies_the_assertion(stack: &Stack) {
    verifies(stack, "origin-node", node);
}

fn python_pyjwt_verifies_the_assertion(stack: &Stack) {
    verifies(stack, "origin-python", python);
}

fn rust_jsonwebtoken_verifies_the_assertion(stack: &Stack) {
    let binary = rust().get_program().to_owned();
    verifies(stack, "origin-rust", || Command::new(&binary));
}

/// A P-256 key beside the RSA one: the origin's assertions are ES256 (every
/// example verifies them), while the platform still gets RS256 client
/// assertions (the dev platform verifies those with RS256 only).
fn with_a_p256_key_assertions_are_es256_and_platforms_get_rs256(_: &Stack) {
    let fixtures = root().join("crates/lti-core/tests/fixtures");
    let pem = |name: &str| std::fs::read_to_string(fixtures.join(name)).unwrap();
    let keys = format!("{}{}", pem("tool-p256.pem"), pem("tool.pem"));
    let stack = Stack::start_with(&[("LTI_PRIVATE_KEY", &keys)]);
    let jwks = worker_jwks(&stack);
    let types: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["alg"])
        .collect();
    assert_eq!(types, ["ES256", "RS256"]);

    let assertion = assertion_as(&stack, &A1, "es256", |_| {});
    let (header, _) = assertion.split_once('.').unwrap();
    let header = segment_json(header);
    assert_eq!(header["alg"], "ES256");
    let binary = rust().get_program().to_owned();
    verifies(&stack, "es256-node", node);
    verifies(&stack, "es256-python", python);
    verifies(&stack, "es256-rust", || Command::new(&binary));

    let reply = Browser::default().request(
        "POST",
        &stack.url("/lti/services/scores"),
        &[
            ("authorization", &format!("Bearer {assertion}")),
            ("content-type", "application/json"),
        ],
        Some(r#"{"scoreGiven": 1, "scoreMaximum": 2, "activityProgress": "Completed", "gradingProgress": "FullyGraded"}"#),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        stack.platform.token_requests("a"),
        1,
        "one RS256 client assertion, accepted"
    );
}
