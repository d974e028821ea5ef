//! What a route works with: the request as it came in, and the runtime's
//! ports for it (configuration, stores, HTTP, crypto, the isolate's cache).

use std::cell::OnceCell;
use std::rc::Rc;

use lti_core::assertion::{issue_assertion, AssertedLaunch, AssertionConfig};
use lti_core::cache::MemoryCache;
use lti_core::keys::{origin_key, signing_keys};
use lti_core::ports::Ports;
use lti_core::Error;
use url::Url;
use worker::{Env, Headers, Method};

use crate::body::{read_capped, BodyError};
use crate::config::{Config, LoginStore, LOGINS, LTI_STATE, PLATFORMS};
use crate::forward::Origin;
use crate::platform::{self, FetchClient, KvNamespace, OsRng, Store, WebCrypto, Workers};
use crate::response::Failure;

/// Login and launch bodies are a few KB; anything far larger is not one.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The runtime's ports for one request.
pub struct Runtime {
    isolate: Rc<Isolate>,
    pub tool: Url,
    /// Requests to platforms, with a `User-Agent` naming this worker.
    http: FetchClient,
}

/// What stays the same for an isolate's life: vars, secrets and bindings
/// (a change to any of them deploys new isolates). Read from `env` once,
/// since each read crosses into JavaScript several times.
pub struct Isolate {
    pub config: Config,
    platforms: Store,
    store: Store,
    logins: Store,
}

impl Isolate {
    fn from_env(env: &Env) -> Result<Self, Failure> {
        let config = Config::from_env(env)?;
        let store = KvNamespace::from_env(env, LTI_STATE)?;
        Ok(Self {
            platforms: Store::Kv(KvNamespace::from_env(env, PLATFORMS)?),
            logins: match config.login_store {
                LoginStore::Kv => Store::Kv(store.clone()),
                LoginStore::DurableObject => Store::Objects(env.durable_object(LOGINS)?),
            },
            store: Store::Kv(store),
            config,
        })
    }

    fn get(env: &Env) -> Result<Rc<Self>, Failure> {
        if let Some(isolate) = ISOLATE.with(|i| i.get().cloned()) {
            return Ok(isolate);
        }
        let isolate = Rc::new(Self::from_env(env)?);
        ISOLATE.with(|i| i.set(isolate.clone()).ok());
        Ok(isolate)
    }
}

thread_local! {
    // One per isolate: wasm is single-threaded, and the cache outlives requests.
    static CACHE: &'static MemoryCache = Box::leak(Box::default());
    static ISOLATE: OnceCell<Rc<Isolate>> = const { OnceCell::new() };
}

impl Runtime {
    pub fn new(env: &Env, url: &Url) -> Result<Self, Failure> {
        // The origin of `url`, as a URL with the path `/` (no reparsing).
        let mut tool = url.clone();
        let _ = (tool.set_username(""), tool.set_password(None));
        tool.set_path("/");
        tool.set_query(None);
        tool.set_fragment(None);
        Ok(Self {
            isolate: Isolate::get(env)?,
            http: FetchClient::new(&tool),
            tool,
        })
    }

    pub fn config(&self) -> &Config {
        &self.isolate.config
    }

    pub fn ports(&self) -> Ports<'_, Workers> {
        let isolate = &*self.isolate;
        Ports {
            platforms: &isolate.platforms,
            store: &isolate.store,
            logins: &isolate.logins,
            http: &self.http,
            crypto: &WebCrypto,
            rng: &OsRng,
            cache: CACHE.with(|c| *c),
            now: platform::now(),
        }
    }

    pub fn origin(&self, req: &Incoming) -> worker::Result<Origin<'_>> {
        Ok(Origin {
            base: &self.config().origin,
            tool: &self.tool,
            timeout_ms: self.config().origin_timeout_ms,
            client_ip: req.headers.get("cf-connecting-ip")?,
        })
    }

    pub fn assertion_config(&self) -> AssertionConfig {
        AssertionConfig {
            issuer: self.tool.as_str().trim_end_matches('/').to_owned(),
            audience: self.config().audience.clone(),
        }
    }

    /// A fresh assertion for a verified launch.
    pub async fn assertion(
        &self,
        ports: &Ports<'_, Workers>,
        launch: AssertedLaunch<'_>,
    ) -> Result<String, Failure> {
        let keys = signing_keys(ports, self.config().private_key.as_deref()).await?;
        let config = self.assertion_config();
        Ok(issue_assertion(
            ports.crypto,
            origin_key(&keys),
            &config,
            launch,
            ports.rng,
            ports.now,
        )
        .await?)
    }
}

/// The incoming request. The runtime's object is read directly: wrapping it in
/// `worker::Request` would copy properties (such as `cf`) no route reads.
pub struct Incoming {
    pub raw: web_sys::Request,
    pub method: Method,
    pub headers: Headers,
    /// The `Cookie` header, read once.
    pub cookie: Option<String>,
}

impl Incoming {
    pub fn new(raw: web_sys::Request) -> worker::Result<Self> {
        let headers = Headers(raw.headers());
        Ok(Self {
            method: raw.method().into(),
            cookie: headers.get("cookie")?,
            headers,
            raw,
        })
    }

    /// The body, if it holds at most `limit` bytes (`what` names it in the 413).
    pub async fn body(&self, limit: usize, what: &'static str) -> Result<Vec<u8>, Failure> {
        let declared = self.headers.get("content-length")?;
        read_capped(self.raw.body(), declared.as_deref(), limit)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => Error::BodyTooLarge { what, limit }.into(),
                BodyError::Failed(e) => e.into(),
            })
    }
}

/// The parameters of a GET query or of an urlencoded POST body.
pub async fn params(req: &Incoming, url: &Url) -> Result<Vec<(String, String)>, Failure> {
    if req.method == Method::Get {
        return Ok(url.query_pairs().into_owned().collect());
    }
    let content_type = req.headers.get("content-type")?.unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        let reason = "must be application/x-www-form-urlencoded".into();
        return Err(Error::InvalidParameter {
            name: "content-type",
            reason,
        }
        .into());
    }
    let body = req.body(MAX_FORM_BYTES, "request body").await?;
    Ok(url::form_urlencoded::parse(&body).into_owned().collect())
}

/// The parameters as borrowed name-value pairs, as the core's parsers take them.
pub fn pairs(params: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
