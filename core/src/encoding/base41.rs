//! base41: binary to text in a subset of the QR alphanumeric set that is also safe in a URL path.
//!
//! From SPEC.md §3:
//!
//! ```text
//! alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-."      ; value = index, 0..=40
//! each 2 bytes  n = b0*256 + b1  (0..=65535)  ->  3 chars c0 c1 c2,  n = c0*1681 + c1*41 + c2
//! a last 1 byte n = b0           (0..=255)    ->  2 chars c0 c1,     n = c0*41 + c1
//! ```
//!
//! 41^3 = 68921 >= 65536, so this is as dense as base45 (1.5 characters a byte) while leaving out
//! space and `%` (not valid in a URL) and `/` and `:` (URL structure). Decoding refuses groups
//! whose value is out of range, so every byte string has exactly one spelling.

use crate::error::FormatError;

/// The 41 characters, in value order.
pub const ALPHABET: &[u8; 41] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-.";

const fn build_values() -> [u8; 256] {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        // i < 41, and From is not usable in a const fn.
        #[allow(clippy::cast_possible_truncation)]
        let value = i as u8;
        table[ALPHABET[i] as usize] = value;
        i += 1;
    }
    table
}

const VALUES: [u8; 256] = build_values();

/// The number of characters that `len` bytes encode to.
pub const fn encoded_len(len: usize) -> usize {
    len / 2 * 3 + if len % 2 == 1 { 2 } else { 0 }
}

/// Encodes bytes as base41 text.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        let n = usize::from(pair[0]) << 8 | usize::from(pair[1]);
        for d in [n / 1681, n / 41 % 41, n % 41] {
            out.push(char::from(ALPHABET[d]));
        }
    }
    if let [b] = chunks.remainder() {
        let n = usize::from(*b);
        out.push(char::from(ALPHABET[n / 41]));
        out.push(char::from(ALPHABET[n % 41]));
    }
    out
}

/// Decodes base41 text, refusing any character outside the alphabet, any length that is not
/// `3k` or `3k + 2`, and any group whose value is out of range.
pub fn decode(text: &str) -> Result<Vec<u8>, FormatError> {
    let bytes = text.as_bytes();
    if bytes.len() % 3 == 1 {
        return Err(FormatError::BadLength(bytes.len()));
    }
    let mut out = Vec::with_capacity(bytes.len() / 3 * 2 + 1);
    let digit = |position: usize| -> Result<u32, FormatError> {
        match VALUES[usize::from(bytes[position])] {
            0xFF => Err(FormatError::BadCharacter { position }),
            v => Ok(u32::from(v)),
        }
    };
    let mut position = 0;
    while position + 3 <= bytes.len() {
        let n = digit(position)? * 1681 + digit(position + 1)? * 41 + digit(position + 2)?;
        let pair = u16::try_from(n).map_err(|_| FormatError::NonCanonicalGroup { position })?;
        out.extend_from_slice(&pair.to_be_bytes());
        position += 3;
    }
    if position < bytes.len() {
        let n = digit(position)? * 41 + digit(position + 1)?;
        let b = u8::try_from(n).map_err(|_| FormatError::NonCanonicalGroup { position })?;
        out.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0x00]), "00");
        assert_eq!(encode(&[0xFF]), "69"); // 255 = 6*41 + 9
        assert_eq!(encode(&[0x00, 0x00]), "000");
        // 65535 = 38*1681 + 40*41 + 17 -> '+', '.', 'H'
        assert_eq!(encode(&[0xFF, 0xFF]), "+.H");
        assert_eq!(decode("+.H").unwrap(), vec![0xFF, 0xFF]);
    }

    #[test]
    fn refuses_second_spellings_and_strangers() {
        // 65536 = 38*1681 + 40*41 + 18 -> "+.I" is one past the largest pair.
        assert_eq!(
            decode("+.I"),
            Err(FormatError::NonCanonicalGroup { position: 0 })
        );
        // 256 = 6*41 + 10 -> "6A" is one past the largest single byte.
        assert_eq!(
            decode("0006A"),
            Err(FormatError::NonCanonicalGroup { position: 3 })
        );
        assert_eq!(decode("0"), Err(FormatError::BadLength(1)));
        assert_eq!(
            decode("00a"),
            Err(FormatError::BadCharacter { position: 2 })
        );
        assert_eq!(
            decode("0/0"),
            Err(FormatError::BadCharacter { position: 1 })
        );
        assert_eq!(
            decode("0 0"),
            Err(FormatError::BadCharacter { position: 1 })
        );
        assert_eq!(
            decode("0%0"),
            Err(FormatError::BadCharacter { position: 1 })
        );
        assert_eq!(decode("00é"), Err(FormatError::BadLength(4)));
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = encode(&bytes);
            prop_assert_eq!(text.len(), encoded_len(bytes.len()));
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn decode_is_total_and_canonical(text in "[0-9A-Z$*+\\-.]{0,60}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
