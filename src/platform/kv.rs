use lti_core::ports::{get_then_delete, KeyValue, StorageError};
use worker::kv::KvStore;
use worker::{Method, ObjectNamespace, Request, RequestInit};

/// Where the worker keeps its entries.
pub enum Store {
    /// Workers KV. Expirations under 60 s are raised to 60 s, KV's minimum.
    Kv(KvStore),
    /// One Durable Object per key (`LoginState`), for entries that must be
    /// taken exactly once: logins.
    Objects(ObjectNamespace),
}

fn err(e: impl std::fmt::Display) -> StorageError {
    StorageError(e.to_string())
}

impl KeyValue for Store {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        match self {
            Store::Kv(kv) => kv.get(key).text().await.map_err(err),
            Store::Objects(objects) => object(objects, key, Method::Get, None).await,
        }
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError> {
        match self {
            Store::Kv(kv) => {
                let mut put = kv.put(key, value).map_err(err)?;
                if let Some(ttl) = ttl {
                    put = put.expiration_ttl(ttl.max(60));
                }
                put.execute().await.map_err(err)
            }
            Store::Objects(objects) => {
                let body = serde_json::json!({ "value": value, "ttl": ttl }).to_string();
                object(objects, key, Method::Put, Some(body))
                    .await
                    .map(drop)
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self {
            Store::Kv(kv) => kv.delete(key).await.map_err(err),
            Store::Objects(objects) => object(objects, key, Method::Delete, None).await.map(drop),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StorageError> {
        match self {
            // One request to the key's object, which reads and deletes in one turn.
            Store::Objects(objects) => object(objects, key, Method::Post, None).await,
            Store::Kv(_) => get_then_delete(self, key).await,
        }
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        match self {
            Store::Kv(kv) => {
                let list = kv.list().prefix(prefix.to_owned()).limit(limit as u64);
                let response = list.execute().await.map_err(err)?;
                Ok(response.keys.into_iter().map(|k| k.name).collect())
            }
            Store::Objects(_) => Err(StorageError("Durable Objects are not listed".into())),
        }
    }
}

/// One request to the object named `key`: GET reads, PUT writes, DELETE
/// deletes, POST takes. `None` when it holds nothing.
async fn object(
    namespace: &ObjectNamespace,
    key: &str,
    method: Method,
    body: Option<String>,
) -> Result<Option<String>, StorageError> {
    let stub = namespace
        .id_from_name(key)
        .and_then(|id| id.get_stub())
        .map_err(err)?;
    let mut init = RequestInit::new();
    init.with_method(method).with_body(body.map(Into::into));
    let request = Request::new_with_init("https://login-state/", &init).map_err(err)?;
    let mut response = stub.fetch_with_request(request).await.map_err(err)?;
    match response.status_code() {
        200 => response.text().await.map(Some).map_err(err),
        204 | 404 => Ok(None),
        status => Err(StorageError(format!("login store answered {status}"))),
    }
}
