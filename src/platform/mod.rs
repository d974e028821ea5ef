//! The core's ports, implemented with the Workers runtime.

mod crypto;
mod http;
mod kv;

pub use crypto::WebCrypto;
pub use http::{timeout, FetchClient};
pub use kv::{KvNamespace, Store};

use lti_core::ports::{Rng, Runtime};

/// The Workers runtime, as the core names its ports.
pub struct Workers;

impl Runtime for Workers {
    type Store = Store;
    type Http = FetchClient;
    type Crypto = WebCrypto;
}

/// `crypto.getRandomValues`, through getrandom.
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, dest: &mut [u8]) {
        getrandom::getrandom(dest).expect("the runtime provides crypto.getRandomValues");
    }
}

/// A plain object `{name: value, ...}`.
fn object(fields: &[(&str, wasm_bindgen::JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&object, &(*name).into(), value)
            .expect("setting a field on a plain object");
    }
    object
}

/// Unix seconds.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
