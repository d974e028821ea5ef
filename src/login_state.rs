//! `LoginState`: a Durable Object holding one login, so that one launch
//! claims it everywhere. A Durable Object runs one event at a time, so the
//! read and the mark of a claim (or the read and the delete of a take)
//! cannot interleave with another.

use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, State, Storage,
};

const VALUE: &str = "value";
const CLAIMED: &str = "claimed";
/// The body of a PATCH that releases a claim; any other claims.
pub const RELEASE: &str = "release";

#[durable_object]
pub struct LoginState {
    state: State,
}

#[derive(Deserialize)]
struct Put {
    value: String,
    ttl: Option<u64>,
}

impl DurableObject for LoginState {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        match req.method() {
            Method::Put => {
                // Parsed by serde_json, which the worker has anyway: `req.json()`
                // would link a second deserializer (serde_wasm_bindgen) for this struct.
                let put: Put = serde_json::from_slice(req.text().await?.as_bytes())?;
                storage.put_raw(VALUE, put.value).await?;
                if let Some(ttl) = put.ttl {
                    // Unused logins expire: the alarm wipes the object.
                    storage.set_alarm((ttl * 1000) as i64).await?;
                }
                Response::empty().map(|r| r.with_status(204))
            }
            Method::Get => answer(read(&storage).await?.0),
            Method::Post => {
                let (value, _) = read(&storage).await?;
                storage.delete_all().await?;
                answer(value)
            }
            Method::Patch if req.text().await? == RELEASE => {
                storage.delete(CLAIMED).await?;
                Response::empty().map(|r| r.with_status(204))
            }
            // A claim: the value, to one caller, until released.
            Method::Patch => {
                let (value, claimed) = read(&storage).await?;
                if value.is_some() && !claimed {
                    storage.put_raw(CLAIMED, true).await?;
                }
                answer(value.filter(|_| !claimed))
            }
            Method::Delete => {
                storage.delete_all().await?;
                Response::empty().map(|r| r.with_status(204))
            }
            _ => Response::error("method not allowed", 405),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

/// The login and whether it is claimed, in one read. Storage's typed `get`
/// and `put` would go through serde_wasm_bindgen (1.2 KB gzip of wasm) for a
/// string and a flag.
async fn read(storage: &Storage) -> Result<(Option<String>, bool)> {
    let stored = storage.get_multiple(vec![VALUE, CLAIMED]).await?;
    let value = stored.get(&VALUE.into()).as_string();
    let claimed = stored.get(&CLAIMED.into()).as_bool().unwrap_or(false);
    Ok((value, claimed))
}

fn answer(value: Option<String>) -> Result<Response> {
    match value {
        Some(value) => Response::ok(value),
        None => Response::empty().map(|r| r.with_status(404)),
    }
}
