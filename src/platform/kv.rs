use lti_core::ports::{KeyValue, StorageError};
use worker::kv::KvStore;

/// Workers KV. Expirations under 60 s are raised to 60 s, KV's minimum.
pub struct Kv(pub KvStore);

fn err(e: impl std::fmt::Display) -> StorageError {
    StorageError(e.to_string())
}

impl KeyValue for Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.0.get(key).text().await.map_err(err)
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError> {
        let mut put = self.0.put(key, value).map_err(err)?;
        if let Some(ttl) = ttl {
            put = put.expiration_ttl(ttl.max(60));
        }
        put.execute().await.map_err(err)
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.0.delete(key).await.map_err(err)
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        let list = self.0.list().prefix(prefix.to_owned()).limit(limit as u64);
        let response = list.execute().await.map_err(err)?;
        Ok(response.keys.into_iter().map(|k| k.name).collect())
    }
}
