//! RS256 and ES256 with WebCrypto, which workerd runs natively: far cheaper
//! than either in wasm. Imported keys are kept per isolate, so each is
//! imported once.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect, Uint8Array};
use lti_core::jwk::PublicJwk;
use lti_core::ports::{Alg, Crypto, CryptoError, PrivateKey};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};

use super::object;

pub struct WebCrypto;

thread_local! {
    static IMPORTED: RefCell<HashMap<Vec<u8>, CryptoKey>> = RefCell::new(HashMap::new());
    // Built once: every call crossing into JS costs more than the work it does.
    static SUBTLE: Result<SubtleCrypto, JsValue> = js_sys::global()
        .unchecked_into::<WorkerGlobalScope>()
        .crypto()
        .map(|c| c.subtle());
    static RS256: Object = object(&[
        ("name", "RSASSA-PKCS1-v1_5".into()),
        ("hash", "SHA-256".into()),
    ]);
    static P256: Object = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]);
    static ES256: Object = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]);
}

fn err(e: JsValue) -> CryptoError {
    CryptoError(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    SUBTLE.with(|s| s.clone().map_err(err))
}

/// The parameters to import a key for `alg`.
fn key_algorithm(alg: Alg) -> Object {
    match alg {
        Alg::Rs256 => RS256.with(Object::clone),
        Alg::Es256 => P256.with(Object::clone),
    }
}

/// The parameters to sign or verify with `alg`.
fn algorithm(alg: Alg) -> Object {
    match alg {
        Alg::Rs256 => RS256.with(Object::clone),
        Alg::Es256 => ES256.with(Object::clone),
    }
}

fn usages(names: &[&str]) -> Array {
    names.iter().map(|n| JsValue::from_str(n)).collect()
}

async fn call(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, CryptoError> {
    JsFuture::from(promise.map_err(err)?).await.map_err(err)
}

/// An imported key from the per-isolate cache, or imported now.
async fn imported(
    cache_key: &[u8],
    import: impl std::future::Future<Output = Result<JsValue, CryptoError>>,
) -> Result<CryptoKey, CryptoError> {
    if let Some(key) = IMPORTED.with(|keys| keys.borrow().get(cache_key).cloned()) {
        return Ok(key);
    }
    let key: CryptoKey = import.await?.unchecked_into();
    IMPORTED.with(|keys| {
        let mut keys = keys.borrow_mut();
        if keys.len() >= 256 {
            keys.clear();
        }
        keys.insert(cache_key.to_vec(), key.clone());
    });
    Ok(key)
}

async fn import_pkcs8(der: &[u8], alg: Alg, extractable: bool) -> Result<JsValue, CryptoError> {
    let data: Object = Uint8Array::from(der).into();
    let promise = subtle()?.import_key_with_object(
        "pkcs8",
        &data,
        &key_algorithm(alg),
        extractable,
        &usages(&["sign"]),
    );
    call(promise).await
}

/// A public key as a JWK object, imported for verification.
async fn import_jwk(fields: &[(&str, JsValue)], alg: Alg) -> Result<JsValue, CryptoError> {
    let promise = subtle()?.import_key_with_object(
        "jwk",
        &object(fields),
        &key_algorithm(alg),
        false,
        &usages(&["verify"]),
    );
    call(promise).await
}

async fn verify_with_key(
    alg: Alg,
    key: &CryptoKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let promise = subtle()?.verify_with_object_and_u8_array_and_u8_array(
        &algorithm(alg),
        key,
        signature,
        message,
    );
    Ok(call(promise).await?.as_bool().unwrap_or(false))
}

/// The exported JWK of `key` imported for `alg`, as members by name.
async fn exported(key: &PrivateKey, alg: Alg) -> Result<JsValue, CryptoError> {
    let private: CryptoKey = import_pkcs8(&key.0, alg, true).await?.unchecked_into();
    call(subtle()?.export_key("jwk", &private)).await
}

impl Crypto for WebCrypto {
    async fn verify(
        &self,
        alg: Alg,
        key: &PublicJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        // The key's own members name it in the cache.
        let members = [&key.n, &key.e, &key.x, &key.y];
        let cache_key: Vec<&str> = members.into_iter().flatten().map(String::as_str).collect();
        let import = async {
            // Built only on a cache miss: each member is a string copied into JS.
            let member = |m: &Option<String>| m.as_deref().unwrap_or("").into();
            let fields = match alg {
                Alg::Rs256 => vec![
                    ("kty", "RSA".into()),
                    ("n", member(&key.n)),
                    ("e", member(&key.e)),
                ],
                Alg::Es256 => vec![
                    ("kty", "EC".into()),
                    ("crv", "P-256".into()),
                    ("x", member(&key.x)),
                    ("y", member(&key.y)),
                ],
            };
            import_jwk(&fields, alg).await
        };
        let key = imported(cache_key.join(".").as_bytes(), import).await?;
        verify_with_key(alg, &key, message, signature).await
    }

    async fn sign(
        &self,
        alg: Alg,
        key: &PrivateKey,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let key = imported(&key.0, import_pkcs8(&key.0, alg, false)).await?;
        let promise = subtle()?.sign_with_object_and_u8_array(&algorithm(alg), &key, message);
        Ok(Uint8Array::new(&call(promise).await?).to_vec())
    }

    async fn generate(&self, alg: Alg) -> Result<PrivateKey, CryptoError> {
        let params = match alg {
            Alg::Rs256 => object(&[
                ("name", "RSASSA-PKCS1-v1_5".into()),
                ("modulusLength", 2048.into()),
                ("publicExponent", Uint8Array::from(&[1u8, 0, 1][..]).into()),
                ("hash", "SHA-256".into()),
            ]),
            Alg::Es256 => key_algorithm(Alg::Es256),
        };
        let pair =
            call(subtle()?.generate_key_with_object(&params, true, &usages(&["sign", "verify"])))
                .await?;
        let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())
            .map_err(err)?
            .unchecked_into();
        let der = call(subtle()?.export_key("pkcs8", &private)).await?;
        Ok(PrivateKey(Uint8Array::new(&der).to_vec()))
    }

    async fn public_jwk(&self, key: &PrivateKey) -> Result<PublicJwk, CryptoError> {
        // A PKCS#8 key says what it is: try RSA, then P-256.
        let (alg, jwk) = match exported(key, Alg::Rs256).await {
            Ok(jwk) => (Alg::Rs256, jwk),
            Err(_) => (Alg::Es256, exported(key, Alg::Es256).await?),
        };
        let field = |name: &str| {
            Reflect::get(&jwk, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| CryptoError(format!("exported JWK has no {name}")))
        };
        Ok(match alg {
            Alg::Rs256 => PublicJwk::rsa(field("n")?, field("e")?),
            Alg::Es256 => PublicJwk::p256(field("x")?, field("y")?),
        })
    }
}
