//! The origin side: the README's verification programs (Node `jose`, Python
//! `PyJWT`, Rust `jsonwebtoken`) run against real assertions from the worker.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lti_edge_e2e::{Browser, Stack};

use crate::common::*;
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

/// A fresh assertion from a real launch.
fn fresh_assertion(stack: &Stack, name: &str) -> String {
    let browser = Browser::default();
    let target = target(stack, name);
    let (state, nonce) = login(stack, &browser, "a", "tool-a1", &target);
    let reply = launch(
        stack,
        &browser,
        &state,
        &stack
            .platform
            .sign_id_token("a", &claims(stack, &nonce, &target)),
    );
    assert_eq!(reply.status, 200);
    stack.origin.requests_to(&format!("/t/{name}"))[0]
        .assertion()
        .unwrap()
        .to_owned()
}

/// Runs `program` as an origin would: accepted with the right audience,
/// refused with another, and refused when tampered with.
fn verifies(stack: &Stack, name: &str, program: impl Fn() -> Command) {
    let assertion = fresh_assertion(stack, name);
    remember(&assertion);
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
    let forged = fresh_assertion(stack, &format!("{name}-2"));
    let tampered = format!("{signed}.{}", forged.rsplit_once('.').unwrap().1);
    assert!(
        !run(&tampered, &stack.origin.base_url()).status.success(),
        "tampered assertion accepted"
    );
}

fn node_jose_verifies_the_assertion(stack: &Stack) {
    verifies(stack, "origin-node", || {
        let mut command = Command::new("node");
        command.arg(example("verify.mjs"));
        command
    });
}

fn python_pyjwt_verifies_the_assertion(stack: &Stack) {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup.sh: it installs the Python example's packages"
    );
    verifies(stack, "origin-python", || {
        let mut command = Command::new(&python);
        command.arg(example("verify.py"));
        command
    });
}

fn rust_jsonwebtoken_verifies_the_assertion(stack: &Stack) {
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
    let binary = target_dir.join("release/verify-assertion");
    verifies(stack, "origin-rust", || Command::new(&binary));
}
