//! base64url without padding, as JOSE uses it: base64ct, the implementation
//! jwt-compact (and pem-rfc7468) already bring (constant time, and strict: no
//! padding where none belongs, no stray trailing bits).

use base64ct::{Base64UrlUnpadded, Encoding};

pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlUnpadded::encode_string(bytes.as_ref())
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}
