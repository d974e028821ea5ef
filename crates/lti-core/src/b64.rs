//! base64url without padding, as JOSE uses it, and padded standard base64
//! for PEM: base64ct, the implementation jwt-compact already brings (constant
//! time, and strict: no padding where none belongs, no stray trailing bits).

use base64ct::{Base64UrlUnpadded, Encoding};

pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlUnpadded::encode_string(bytes.as_ref())
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}

/// Padded standard base64 (RFC 4648 §4), as in a PEM block's body: mapped
/// onto the base64url alphabet and decoded as such, so the worker carries
/// one decoder.
pub fn decode_standard(text: &str) -> Option<Vec<u8>> {
    let unpadded = text
        .strip_suffix("==")
        .or_else(|| text.strip_suffix('='))
        .unwrap_or(text);
    if unpadded.contains(['-', '_']) || (unpadded.len() != text.len() && text.len() & 3 != 0) {
        return None;
    }
    let url: String = unpadded
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    decode(&url)
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_standard_base64_with_padding() {
        assert_eq!(super::decode_standard("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(super::decode_standard("YQ==").unwrap(), b"a");
        assert_eq!(super::decode_standard("YWJj").unwrap(), b"abc");
        assert!(
            super::decode_standard("-_8=").is_none(),
            "base64url is not PEM"
        );
        assert!(
            super::decode_standard("YQ=").is_none(),
            "padding to a multiple of 4"
        );
    }
}
