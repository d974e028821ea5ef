//! A per-isolate memory layer over the key-value store, so a warm worker reads
//! registrations, platform keys and its own keys without a KV round trip, and
//! parses each of them once rather than on every request. Where asked, it also
//! remembers for a short while that an entry is absent, so unauthenticated
//! requests naming unknown platforms do not each cost a KV read.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::ports::{KeyValue, StorageError};

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

    fn remove(&self, key: &str) {
        self.entries.borrow_mut().remove(key);
        self.absent.borrow_mut().remove(key);
    }

    /// Whether `key` was found absent, and that answer still stands.
    pub fn is_absent(&self, key: &str, now: u64) -> bool {
        self.absent
            .borrow()
            .get(key)
            .is_some_and(|until| now < *until)
    }

    /// Remembers until `until` that `key` holds nothing.
    pub fn insert_absent(&self, key: &str, until: u64) {
        let mut absent = self.absent.borrow_mut();
        if absent.len() >= LIMIT {
            absent.clear();
        }
        absent.insert(key.to_owned(), until);
    }

    /// Forgets what this isolate knows of `key` (its value, or that it was
    /// absent) and every listing `key` now belongs to, for an entry written
    /// straight to the store: the next read asks the store.
    pub fn forget(&self, key: &str) {
        let stale =
            |k: &String| k == key || listed_prefix(k).is_some_and(|prefix| key.starts_with(prefix));
        self.entries.borrow_mut().retain(|k, _| !stale(k));
        self.absent.borrow_mut().retain(|k, _| !stale(k));
    }
}

/// The cache key of a listing of `prefix`.
fn listing_key(prefix: &str, limit: usize) -> String {
    format!("list:{limit}:{prefix}")
}

/// The prefix a listing's cache key stands for.
fn listed_prefix(cache_key: &str) -> Option<&str> {
    let (_limit, prefix) = cache_key.strip_prefix("list:")?.split_once(':')?;
    Some(prefix)
}

/// A store read through the memory cache for `ttl` seconds; writes go through.
pub struct Cached<'a, K> {
    pub inner: &'a K,
    pub cache: &'a MemoryCache,
    pub ttl: u64,
    /// How long a read or listing that found nothing is remembered; 0 for never.
    pub absent_ttl: u64,
    pub now: u64,
}

impl<K> Cached<'_, K> {
    /// Only a layer that remembers absences consults them: the layers share
    /// one cache, and another layer's absence says nothing about this store.
    fn known_absent(&self, key: &str) -> bool {
        self.absent_ttl > 0 && self.cache.is_absent(key, self.now)
    }

    fn remember_absent(&self, key: &str) {
        if self.absent_ttl > 0 {
            self.cache.insert_absent(key, self.now + self.absent_ttl);
        }
    }
}

impl<K: KeyValue> KeyValue for Cached<'_, K> {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        if let Some(value) = self.cache.get::<String>(key, self.now) {
            return Ok(Some(value.as_ref().clone()));
        }
        if self.known_absent(key) {
            return Ok(None);
        }
        let value = self.inner.get(key).await?;
        match &value {
            Some(value) => self
                .cache
                .insert(key, Rc::new(value.clone()), self.now + self.ttl),
            None => self.remember_absent(key),
        }
        Ok(value)
    }

    /// The parsed value replaces the text in the cache: later reads skip parsing.
    async fn get_parsed<T: 'static, E: From<StorageError>>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<Rc<T>>, E> {
        if let Some(parsed) = self.cache.get::<T>(key, self.now) {
            return Ok(Some(parsed));
        }
        let Some(text) = self.get(key).await? else {
            return Ok(None);
        };
        let parsed = Rc::new(parse(&text)?);
        self.cache.insert(key, parsed.clone(), self.now + self.ttl);
        Ok(Some(parsed))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError> {
        self.inner.put(key, value, ttl).await?;
        // Forgets a remembered absence too.
        self.cache.remove(key);
        self.cache
            .insert(key, Rc::new(value.to_owned()), self.now + self.ttl);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.cache.remove(key);
        self.inner.delete(key).await
    }

    /// Listings are kept too: a login without `client_id` costs no KV list
    /// on a warm isolate. Empty ones count as absent.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        let key = listing_key(prefix, limit);
        if let Some(keys) = self.cache.get::<Vec<String>>(&key, self.now) {
            return Ok(keys.as_ref().clone());
        }
        if self.known_absent(&key) {
            return Ok(Vec::new());
        }
        let keys = self.inner.list(prefix, limit).await?;
        if keys.is_empty() {
            self.remember_absent(&key);
        } else {
            let until = self.now + self.ttl;
            self.cache.insert(&key, Rc::new(keys.clone()), until);
        }
        Ok(keys)
    }
}
