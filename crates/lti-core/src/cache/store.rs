//! Stores read through the isolate's [`MemoryCache`]: which store, for how
//! long, and whether absences count, is decided here once for every flow.

use std::rc::Rc;

use super::{listing_key, MemoryCache};
use crate::ports::{KeyValue, Ports, Runtime, StorageError};

/// Seconds an isolate remembers that no registration matched.
pub const ABSENT_TTL: u64 = 10;

impl<'a, R: Runtime> Ports<'a, R> {
    /// Registrations through the memory cache: operator edits show within a
    /// minute, and a new registration within [`ABSENT_TTL`] seconds.
    /// Absences are remembered because any client can name an issuer: logins
    /// for unknown platforms cost one KV read per isolate and window, not one each.
    pub fn cached_platforms(&self) -> Cached<'a, R::Store> {
        Cached {
            inner: self.platforms,
            cache: self.cache,
            ttl: 60,
            absent_ttl: ABSENT_TTL,
            now: self.now,
        }
    }

    /// Long-lived store entries (keys) through the memory cache. Absences are
    /// not remembered: an entry written by another isolate must be seen.
    pub fn cached_store(&self) -> Cached<'a, R::Store> {
        Cached {
            inner: self.store,
            cache: self.cache,
            ttl: 300,
            absent_ttl: 0,
            now: self.now,
        }
    }
}

/// A store read through the memory cache for `ttl` seconds; writes go through.
pub struct Cached<'a, K> {
    pub(crate) inner: &'a K,
    pub cache: &'a MemoryCache,
    pub ttl: u64,
    /// How long a read or listing that found nothing is remembered; 0 for never.
    pub(crate) absent_ttl: u64,
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
