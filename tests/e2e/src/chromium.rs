//! A real browser: Debian's headless Chromium (`scripts/setup.sh` installs it), one
//! fresh profile per case with the cookie settings the case needs, driven by
//! `tests/e2e/browser/drive.cjs` (puppeteer-core) over the DevTools protocol.
//!
//! Chromium runs in its own process group, killed whole when the value is dropped,
//! whatever the case did; the driver too, after at most [`CASE_LIMIT`].

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dev_platform::IMPOSTOR_HOST;

use crate::stack::repo_root;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one case may take, browser steps included.
pub const CASE_LIMIT: Duration = Duration::from_secs(45);
/// How long the driver waits for one page to reach an end state.
const STEP_WAIT_MS: u64 = 12_000;

/// The browser's cookie settings for the tool.
#[derive(Debug, Clone)]
pub enum Cookies {
    /// Chromium's default: third-party cookies allowed.
    Allowed,
    /// Chrome's "Block third-party cookies": unpartitioned third-party cookies are
    /// dropped, `Partitioned` (CHIPS) ones kept per top-level site.
    ThirdPartyBlocked,
    /// No cookie at all for `tool` while it is embedded in `lms`, partitioned or not;
    /// first-party (a new window) still allowed: what Safari does to an LMS iframe. A
    /// content setting `"<tool>,<lms>": block`, Chromium's per-site cookie blocking.
    BlockedInLms { tool: String, lms: String },
}

impl Cookies {
    fn preferences(&self) -> Value {
        match self {
            Cookies::Allowed => json!({}),
            Cookies::ThirdPartyBlocked => {
                json!({"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": true}})
            }
            Cookies::BlockedInLms { tool, lms } => json!({"profile": {"content_settings": {
                "exceptions": {"cookies": {format!("{tool},{lms}"): {"setting": 2}}}
            }}}),
        }
    }
}

pub struct Chromium {
    child: Child,
    dir: PathBuf,
    /// The DevTools browser endpoint, `ws://127.0.0.1:<port>/devtools/browser/<id>`.
    pub ws: String,
}

impl Chromium {
    pub fn start(cookies: &Cookies) -> Chromium {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)"
        );
        let dir = std::env::temp_dir().join(format!(
            "lti-edge-chromium-{}-{}",
            std::process::id(),
            unique()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("profile/Default")).expect("profile dir");
        fs::write(
            dir.join("profile/Default/Preferences"),
            cookies.preferences().to_string(),
        )
        .expect("preferences");
        let log = File::create(dir.join("chromium.log")).expect("log file");
        let child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            // The impostor's host name: another origin on the dev platform's server.
            .arg(format!(
                "--host-resolver-rules=MAP {IMPOSTOR_HOST} 127.0.0.1"
            ))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("chromium starts");
        let mut chromium = Chromium {
            child,
            dir,
            ws: String::new(),
        };
        chromium.ws = chromium.wait_endpoint();
        chromium
    }

    /// Chromium writes its DevTools port and path to `DevToolsActivePort` once it listens.
    fn wait_endpoint(&mut self) -> String {
        let file = self.dir.join("profile/DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromium exited ({status}):\n{}", self.log());
            }
            if let Ok(text) = fs::read_to_string(&file) {
                if let [port, path] = text.lines().collect::<Vec<_>>()[..] {
                    return format!("ws://127.0.0.1:{port}{path}");
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromium did not open DevTools in time:\n{}", self.log());
    }

    /// What Chromium printed, less its complaints about the missing D-Bus.
    pub fn log(&self) -> String {
        let text = fs::read_to_string(self.dir.join("chromium.log")).unwrap_or_default();
        text.lines()
            .filter(|line| !line.contains("dbus"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs the driver on one case; the report it printed, whether the case got through
    /// (`report["error"]` says where it stopped).
    pub fn drive(&self, case: Value) -> Value {
        let mut case = case;
        case["ws"] = json!(self.ws);
        case["wait_ms"] = json!(STEP_WAIT_MS);
        let out = self.dir.join("report.json");
        let mut driver = Command::new("node")
            .current_dir(repo_root())
            .arg("tests/e2e/browser/drive.cjs")
            .arg(case.to_string())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("report file"))
            .process_group(0)
            .spawn()
            .expect("node runs");
        let deadline = Instant::now() + CASE_LIMIT;
        while matches!(driver.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if matches!(driver.try_wait(), Ok(None)) {
            kill_group(driver.id());
            let _ = driver.wait();
            panic!("the browser driver took longer than {CASE_LIMIT:?}");
        }
        let text = fs::read_to_string(&out).unwrap_or_default();
        serde_json::from_str(text.trim()).unwrap_or_else(|_| {
            panic!(
                "the driver printed no report: {text}\nchromium:\n{}",
                self.log()
            )
        })
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Chromium's zygote, renderers and GPU process share the group started above.
        kill_group(self.child.id());
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn kill_group(leader: u32) {
    let group = format!("-{leader}");
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}
