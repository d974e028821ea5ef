//! A per-isolate memory layer over the key-value store, so a warm worker reads
//! registrations, platform keys and its own keys without a KV round trip.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::ports::{KeyValue, StorageError};

/// Entries with their expiry (unix seconds). Single-threaded, as wasm is.
#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: RefCell<HashMap<String, (String, u64)>>,
}

impl MemoryCache {
    pub fn get(&self, key: &str, now: u64) -> Option<String> {
        let entries = self.entries.borrow();
        entries
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(v, _)| v.clone())
    }

    pub fn insert(&self, key: &str, value: &str, until: u64) {
        let mut entries = self.entries.borrow_mut();
        // Bounded: a flood of distinct keys cannot grow the isolate without limit.
        if entries.len() >= 1024 {
            entries.clear();
        }
        entries.insert(key.to_owned(), (value.to_owned(), until));
    }
}

/// A store read through the memory cache for `ttl` seconds; writes go through.
pub struct Cached<'a, K> {
    pub inner: &'a K,
    pub cache: &'a MemoryCache,
    pub ttl: u64,
    pub now: u64,
}

impl<K: KeyValue> KeyValue for Cached<'_, K> {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        if let Some(value) = self.cache.get(key, self.now) {
            return Ok(Some(value));
        }
        let value = self.inner.get(key).await?;
        if let Some(value) = &value {
            self.cache.insert(key, value, self.now + self.ttl);
        }
        Ok(value)
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError> {
        self.inner.put(key, value, ttl).await?;
        self.cache.insert(key, value, self.now + self.ttl);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.cache.entries.borrow_mut().remove(key);
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        self.inner.list(prefix, limit).await
    }
}
