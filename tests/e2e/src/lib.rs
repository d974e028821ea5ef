//! The end-to-end stack: the worker under `wrangler dev` (workerd, local KV),
//! the dev platform, and an origin that records every request it receives.

mod browser;
mod origin;
mod stack;

pub use browser::{Browser, Reply};
pub use origin::{Recorded, RecordingOrigin};
pub use stack::Stack;
