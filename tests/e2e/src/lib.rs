//! The end-to-end stack: the worker under `wrangler dev` (workerd, local KV),
//! the dev platform, and an origin that records every request it receives.

mod browser;
pub mod browser_case;
mod chromium;
pub mod forge;
mod login;
mod origin;
mod stack;

pub use browser::{Browser, Reply};
pub use chromium::{Chromium, Cookies, CHROMIUM};
pub use login::Login;
pub use origin::{session_token, Recorded, RecordingOrigin};
pub use stack::Stack;
