//! A per-isolate memory layer over the key-value store, so a warm worker reads
//! registrations, platform keys and its own keys without a KV round trip, and
//! parses each of them once rather than on every request. Where asked, it also
//! remembers for a short while that an entry is absent, so unauthenticated
//! requests naming unknown platforms do not each cost a KV read.
//!
//! [`MemoryCache`] is the memory; [`store::Cached`] reads a store through it.

pub mod store;

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A value of any type and its expiry (unix seconds).
type Entry = (Rc<dyn Any>, u64);

/// At most this many entries, and apart, this many absences: a flood of
/// distinct keys cannot grow the isolate without limit.
const LIMIT: usize = 1024;

/// Entries by key. Single-threaded, as wasm is.
#[derive(Default)]
pub struct MemoryCache {
    entries: RefCell<HashMap<String, Entry>>,
    /// Keys known to be absent, until when. Kept apart from `entries`, so a
    /// flood of unknown keys (any client can name one) never evicts them.
    absent: RefCell<HashMap<String, u64>>,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryCache({} entries)", self.entries.borrow().len())
    }
}

impl MemoryCache {
    /// The live entry under `key`, if it holds a `T`.
    pub fn get<T: 'static>(&self, key: &str, now: u64) -> Option<Rc<T>> {
        let entries = self.entries.borrow();
        let (value, _) = entries.get(key).filter(|(_, until)| now < *until)?;
        value.clone().downcast().ok()
    }

    pub fn insert<T: 'static>(&self, key: &str, value: Rc<T>, until: u64) {
        self.insert_any(key, value, until);
    }

    /// The body of `insert`, compiled once rather than once per `T`.
    fn insert_any(&self, key: &str, value: Rc<dyn Any>, until: u64) {
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= LIMIT {
            entries.clear();
        }
        entries.insert(key.to_owned(), (value, until));
    }

    pub(crate) fn remove(&self, key: &str) {
        self.entries.borrow_mut().remove(key);
        self.absent.borrow_mut().remove(key);
    }

    /// Whether `key` was found absent, and that answer still stands.
    pub(crate) fn is_absent(&self, key: &str, now: u64) -> bool {
        self.absent
            .borrow()
            .get(key)
            .is_some_and(|until| now < *until)
    }

    /// Remembers until `until` that `key` holds nothing.
    pub(crate) fn insert_absent(&self, key: &str, until: u64) {
        let mut absent = self.absent.borrow_mut();
        if absent.len() >= LIMIT {
            absent.clear();
        }
        absent.insert(key.to_owned(), until);
    }

    /// Forgets what this isolate knows of `key` (its value, or that it was
    /// absent) and every listing `key` now belongs to, for an entry written
    /// straight to the store: the next read asks the store.
    pub(crate) fn forget(&self, key: &str) {
        let stale =
            |k: &String| k == key || listed_prefix(k).is_some_and(|prefix| key.starts_with(prefix));
        self.entries.borrow_mut().retain(|k, _| !stale(k));
        self.absent.borrow_mut().retain(|k, _| !stale(k));
    }
}

/// The cache key of a listing of `prefix`.
pub(crate) fn listing_key(prefix: &str, limit: usize) -> String {
    format!("list:{limit}:{prefix}")
}

/// The prefix a listing's cache key stands for.
fn listed_prefix(cache_key: &str) -> Option<&str> {
    let (_limit, prefix) = cache_key.strip_prefix("list:")?.split_once(':')?;
    Some(prefix)
}
