//! Untrusted bodies, read through one cap: a body that grows past its limit is
//! refused as soon as it does, declared length or not, and the rest is never
//! buffered. A chunked upload of any size costs at most `limit` bytes.

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader, ReadableStreamReadResult};

pub enum BodyError {
    /// Past the limit (declared, or counted while reading).
    TooLarge,
    /// The stream failed (the client went away).
    Failed(JsValue),
}

/// The whole body, if it holds at most `limit` bytes. `declared` is the
/// `Content-Length` header, which refuses an oversized body before any read.
pub async fn read_capped(
    body: Option<ReadableStream>,
    declared: Option<&str>,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let Some(body) = body else {
        return Ok(Vec::new());
    };
    if declared
        .and_then(|l| l.trim().parse::<usize>().ok())
        .is_some_and(|l| l > limit)
    {
        return Err(BodyError::TooLarge);
    }
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let read = JsFuture::from(reader.read())
            .await
            .map_err(BodyError::Failed)?;
        let read: ReadableStreamReadResult = read.unchecked_into();
        if read.get_done().unwrap_or(true) {
            return Ok(bytes);
        }
        let chunk: Uint8Array = read.get_value().unchecked_into();
        let start = bytes.len();
        let end = start + chunk.length() as usize;
        if end > limit {
            // Not cancelled: the runtime discards the rest, and a cancelled
            // request stream would cut the answer off as well.
            return Err(BodyError::TooLarge);
        }
        bytes.resize(end, 0);
        chunk.copy_to(&mut bytes[start..]);
    }
}
