//! Starts the whole stack once: dev platform, recording origin, and the worker
//! under `wrangler dev` with the platform's registrations seeded into local KV.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dev_platform::DevPlatform;

use crate::{Browser, RecordingOrigin};

/// The `REGISTRATION_SECRET` the stack's worker gets.
pub const REGISTRATION_SECRET: &str = "e2e-registration-secret";

pub struct Stack {
    pub worker: String,
    pub platform: DevPlatform,
    pub origin: RecordingOrigin,
    pub state_dir: PathBuf,
    wrangler: Child,
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// `wrangler`, offline and quiet.
fn wrangler(root: &Path) -> Command {
    let mut command = Command::new(root.join("node_modules/.bin/wrangler"));
    command
        .current_dir(root)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .stdin(Stdio::null());
    command
}

impl Stack {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A stack whose worker gets extra `[vars]`, e.g. `("LOGIN_STORE", "durable-object")`.
    pub fn start_with(vars: &[(&str, &str)]) -> Self {
        Self::start_on("127.0.0.1", vars)
    }

    /// A stack whose worker the platform and browsers address as `http://<host>:<port>`
    /// (`wrangler dev` still listens on 127.0.0.1 only): `localhost` puts the tool on
    /// another site than the dev platform's `127.0.0.1`, as an LMS iframe is.
    pub fn start_on(host: &str, vars: &[(&str, &str)]) -> Self {
        let root = repo_root();
        let port = free_port();
        let worker = format!("http://{host}:{port}");
        let platform = DevPlatform::start(0, &worker).expect("dev platform starts");
        platform.set_registration_secret(Some(REGISTRATION_SECRET));
        let origin = RecordingOrigin::start().expect("origin starts");
        let state_dir =
            std::env::temp_dir().join(format!("lti-edge-e2e-{}-{port}", std::process::id()));
        let _ = fs::remove_dir_all(&state_dir);
        fs::create_dir_all(&state_dir).expect("state dir");

        let seed = state_dir.join("platforms.json");
        fs::write(&seed, platform.kv_bulk_json()).expect("write seed");
        let status = wrangler(&root)
            .args([
                "kv",
                "bulk",
                "put",
                seed.to_str().unwrap(),
                "--binding",
                "PLATFORMS",
                "--local",
            ])
            .arg("--persist-to")
            .arg(&state_dir)
            .stdout(Stdio::null())
            .status()
            .expect("wrangler runs");
        assert!(status.success(), "seeding KV failed");

        let log = File::create(state_dir.join("wrangler.log")).expect("log file");
        let wrangler = wrangler(&root)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--show-interactive-dev-session=false", "--var"])
            .arg(format!("ORIGIN_URL:{}", origin.base_url()))
            .args(["--var", "ORIGIN_TIMEOUT_MS:3000"])
            .arg("--var")
            .arg(format!("REGISTRATION_SECRET:{REGISTRATION_SECRET}"))
            .args(
                vars.iter()
                    .flat_map(|(name, value)| ["--var".to_owned(), format!("{name}:{value}")]),
            )
            .arg("--persist-to")
            .arg(&state_dir)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("wrangler dev starts");
        let mut stack = Self {
            worker,
            platform,
            origin,
            state_dir,
            wrangler,
        };
        stack.wait_ready();
        stack
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(300);
        let url = format!("http://127.0.0.1:{}/.well-known/jwks.json", self.port());
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.wrangler.try_wait() {
                panic!(
                    "wrangler dev exited ({status}); see {}",
                    self.log_path().display()
                );
            }
            if agent.get(&url).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "wrangler dev did not answer in time; see {}",
            self.log_path().display()
        );
    }

    /// `wrangler kv <args> --binding <binding> --local` on the running worker's
    /// local KV; returns what it printed.
    pub fn kv(&self, binding: &str, args: &[&str]) -> String {
        let output = wrangler(&repo_root())
            .args(["kv"])
            .args(args)
            .args(["--binding", binding, "--local", "--persist-to"])
            .arg(&self.state_dir)
            .output()
            .expect("wrangler runs");
        assert!(
            output.status.success(),
            "wrangler kv {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The keys of `binding` that start with `prefix`.
    pub fn kv_keys(&self, binding: &str, prefix: &str) -> Vec<String> {
        let listed = self.kv(binding, &["key", "list", "--prefix", prefix]);
        let keys: Vec<serde_json::Value> = serde_json::from_str(&listed).expect("a JSON list");
        keys.iter()
            .filter_map(|k| k["name"].as_str().map(str::to_owned))
            .collect()
    }

    /// The port `wrangler dev` listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        let port = self.worker.rsplit(':').next().unwrap_or_default();
        port.parse().expect("the worker URL ends with its port")
    }

    pub fn log_path(&self) -> PathBuf {
        self.state_dir.join("wrangler.log")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.worker)
    }

    pub fn browser(&self) -> Browser {
        Browser::default()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // wrangler and workerd share the process group started above.
        let group = format!("-{}", self.wrangler.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !matches!(self.wrangler.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.wrangler.wait();
        let _ = fs::remove_dir_all(&self.state_dir);
    }
}
