use js_sys::{Array, Object, Promise, Reflect};

use super::object;
use crate::login_state::RELEASE;
use lti_core::ports::{get_then_delete, KeyValue, StorageError};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::{Env, Method, ObjectNamespace};

#[wasm_bindgen]
extern "C" {
    /// A Workers KV namespace, called directly: one call into JavaScript per
    /// operation, where `worker::kv` makes several.
    #[derive(Clone)]
    pub type KvNamespace;
    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn put(this: &KvNamespace, key: &str, value: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = put)]
    fn put_with(
        this: &KvNamespace,
        key: &str,
        value: &str,
        options: &Object,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn delete(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn list(this: &KvNamespace, options: &Object) -> Result<Promise, JsValue>;
}

impl KvNamespace {
    /// The KV binding called `name`.
    pub fn from_env(env: &Env, name: &str) -> worker::Result<Self> {
        let binding = Reflect::get(env, &name.into())?;
        if !binding.is_object() {
            return Err(format!("KV binding `{name}` is missing").into());
        }
        Ok(binding.unchecked_into())
    }
}

async fn settle(promise: Result<Promise, JsValue>) -> Result<JsValue, StorageError> {
    let promise = promise.map_err(js_err)?;
    JsFuture::from(promise).await.map_err(js_err)
}

fn js_err(e: JsValue) -> StorageError {
    StorageError(worker::Error::from(e).to_string())
}

/// Where the worker keeps its entries.
pub enum Store {
    /// Workers KV. Expirations under 60 s are raised to 60 s, KV's minimum.
    Kv(KvNamespace),
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
            Store::Kv(kv) => Ok(settle(kv.get(key)).await?.as_string()),
            Store::Objects(objects) => call_object(objects, key, Method::Get, None).await,
        }
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StorageError> {
        match self {
            Store::Kv(kv) => {
                let put = match ttl {
                    Some(ttl) => {
                        let options = object(&[("expirationTtl", (ttl.max(60) as f64).into())]);
                        kv.put_with(key, value, &options)
                    }
                    None => kv.put(key, value),
                };
                settle(put).await.map(drop)
            }
            Store::Objects(objects) => {
                let body = serde_json::json!({ "value": value, "ttl": ttl }).to_string();
                call_object(objects, key, Method::Put, Some(body))
                    .await
                    .map(drop)
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self {
            Store::Kv(kv) => settle(kv.delete(key)).await.map(drop),
            Store::Objects(objects) => call_object(objects, key, Method::Delete, None)
                .await
                .map(drop),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StorageError> {
        match self {
            // One request to the key's object, which reads and deletes in one turn.
            Store::Objects(objects) => call_object(objects, key, Method::Post, None).await,
            Store::Kv(_) => get_then_delete(self, key).await,
        }
    }

    async fn claim(&self, key: &str) -> Result<Option<String>, StorageError> {
        match self {
            // One request to the key's object, which reads and marks in one turn.
            Store::Objects(objects) => call_object(objects, key, Method::Patch, None).await,
            Store::Kv(_) => self.get(key).await,
        }
    }

    async fn release(&self, key: &str) -> Result<(), StorageError> {
        match self {
            Store::Objects(objects) => {
                let release = Some(RELEASE.to_owned());
                call_object(objects, key, Method::Patch, release)
                    .await
                    .map(drop)
            }
            Store::Kv(_) => Ok(()),
        }
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        match self {
            Store::Kv(kv) => {
                let options =
                    object(&[("prefix", prefix.into()), ("limit", (limit as f64).into())]);
                let listed = settle(kv.list(&options)).await?;
                let keys: Array = Reflect::get(&listed, &"keys".into())
                    .map_err(js_err)?
                    .unchecked_into();
                Ok(keys
                    .iter()
                    .filter_map(|k| Reflect::get(&k, &"name".into()).ok()?.as_string())
                    .collect())
            }
            Store::Objects(_) => Err(StorageError("Durable Objects are not listed".into())),
        }
    }
}

/// One request to the object named `key`: GET reads, PUT writes, DELETE
/// deletes, POST takes, PATCH claims (or releases). `None` when it
/// holds nothing (or nothing unclaimed).
async fn call_object(
    namespace: &ObjectNamespace,
    key: &str,
    method: Method,
    body: Option<String>,
) -> Result<Option<String>, StorageError> {
    let stub = namespace
        .id_from_name(key)
        .and_then(|id| id.get_stub())
        .map_err(err)?;
    // Built with web_sys: worker's RequestInit carries `cf` options whose
    // conversion links a serializer and its tables into the worker for nothing.
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let request =
        web_sys::Request::new_with_str_and_init("https://login-state/", &init).map_err(js_err)?;
    let mut response = stub.fetch_with_request(request.into()).await.map_err(err)?;
    match response.status_code() {
        200 => response.text().await.map(Some).map_err(err),
        204 | 404 => Ok(None),
        status => Err(StorageError(format!("login store answered {status}"))),
    }
}
