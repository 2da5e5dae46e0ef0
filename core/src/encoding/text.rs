//! Packed text: the text fields of a code, with Chinese in two bytes a character and no tables.
//!
//! From SPEC.md §4 (a character takes the first form that can hold it):
//!
//! ```text
//! 0x20..=0x7E                 1 byte   printable ASCII
//! 0x80..=0xD1  b              2 bytes  U+4E00 + (((lead - 0x80) << 8 | b))   CJK Unified Ideographs
//! 0xD2  b                     2 bytes  U+3000 + b                          CJK punctuation, kana
//! 0xD3  b                     2 bytes  U+FF00 + b                          full-width forms
//! 0xD4  b                     2 bytes  U+0080 + b                          Latin-1, Latin Extended-A (·)
//! 0xD5  b                     2 bytes  U+2000 + b                          general punctuation
//! 0xFE  hi lo                 3 bytes  any other BMP scalar
//! 0xFF  x y z                 4 bytes  a supplementary scalar (U+10000..=U+10FFFF)
//! ```
//!
//! Other lead bytes are invalid. As dense as GB 18030 for names and addresses (see
//! docs/adr/0001-text-encoding.md) but without its tables, which would swell a verify-only wasm
//! build. A character encoded in a longer form than its first fitting one is refused, so a text
//! has one encoding. Characters that can hide or reorder what staff read (controls, bidi
//! overrides, zero-width characters) are refused in every text field, as are leading and trailing
//! white space.

use crate::error::FormatError;

/// Whether a character may appear in a text field. Refused: controls; characters that hide,
/// reorder or alter what staff read (bidi controls, zero-width and other format characters,
/// fillers that render as nothing, variation selectors, tags); private-use characters, which
/// render differently on every device; and compatibility forms of ideographs (Kangxi and CJK
/// radicals, CJK compatibility ideographs), which look like ordinary ones but compare unequal,
/// so that two labels that look alike are alike.
pub fn is_allowed(c: char) -> bool {
    !(c.is_control()
        || matches!(c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{0600}'..='\u{0605}'       // Arabic number signs (format)
            | '\u{061C}'                    // Arabic letter mark
            | '\u{06DD}' | '\u{070F}' | '\u{08E2}' // Arabic, Syriac format characters
            | '\u{115F}' | '\u{1160}'       // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels (invisible)
            | '\u{180B}'..='\u{180F}'       // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'       // line/paragraph separators, bidi embeddings
            | '\u{2060}'..='\u{206F}'       // word joiner, bidi isolates, deprecated formats
            | '\u{2800}'                    // braille pattern blank
            | '\u{2E80}'..='\u{2FDF}'       // CJK radicals supplement, Kangxi radicals
            | '\u{3164}'                    // Hangul filler
            | '\u{E000}'..='\u{F8FF}'       // private use
            | '\u{F900}'..='\u{FAFF}'       // CJK compatibility ideographs
            | '\u{FE00}'..='\u{FE0F}'       // variation selectors
            | '\u{FEFF}'                    // zero-width no-break space
            | '\u{FFA0}'                    // halfwidth Hangul filler
            | '\u{FFF0}'..='\u{FFFC}'       // specials: annotations, object replacement
            | '\u{110BD}' | '\u{110CD}'     // Kaithi number signs (format)
            | '\u{13430}'..='\u{1343F}'     // Egyptian hieroglyph format controls
            | '\u{1BCA0}'..='\u{1BCA3}'     // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}'     // musical symbol format controls
            | '\u{2F800}'..='\u{2FA1F}'     // CJK compatibility ideographs supplement
            | '\u{E0000}'..='\u{E0FFF}'     // tags, variation selectors supplement
            | '\u{F0000}'..='\u{10FFFF}'    // supplementary private use
        ))
}

/// A text for a terminal or a log line: every character a field may not hold (controls,
/// escape sequences, bidi and invisible characters) is shown as `\u{XXXX}`, so a decoded QR
/// code cannot set a window title, move the cursor or hide what follows.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(is_allowed) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_allowed(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A CSV cell that a spreadsheet will not run: one starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return gets a leading `'` (OWASP's advice against formula injection).
pub fn for_csv(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A text for HTML or XML, as element content or a quoted attribute: `&<>"'` escaped.
pub fn for_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Why a text cannot be a field value. The reasons never include the text.
pub fn check(text: &str, max_bytes: usize) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("must not be empty");
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err("must not begin or end with white space");
    }
    if !text.chars().all(is_allowed) {
        return Err("contains a control, bidi, invisible or compatibility character");
    }
    if encoded_len(text) > max_bytes {
        return Err("too long");
    }
    Ok(())
}

/// The packed length of a text, in bytes.
pub fn encoded_len(text: &str) -> usize {
    text.chars().map(char_len).sum()
}

fn char_len(c: char) -> usize {
    match form(c) {
        Form::Ascii => 1,
        Form::Short(..) => 2,
        Form::Bmp => 3,
        Form::Supplementary => 4,
    }
}

enum Form {
    Ascii,
    Short(u8, u8),
    Bmp,
    Supplementary,
}

/// The first form that can hold `c`.
fn form(c: char) -> Form {
    let u = u32::from(c);
    let short = |lead: u8, offset: u32| {
        // Each range below spans at most 0x52 leads, so lead + hi stays within a byte.
        let [_, _, hi, lo] = (u - offset).to_be_bytes();
        Form::Short(lead + hi, lo)
    };
    match u {
        0x20..=0x7E => Form::Ascii,
        0x4E00..=0x9FFF => short(0x80, 0x4E00),
        0x3000..=0x30FF => short(0xD2, 0x3000),
        0xFF00..=0xFFFF => short(0xD3, 0xFF00),
        0x0080..=0x017F => short(0xD4, 0x0080),
        0x2000..=0x20FF => short(0xD5, 0x2000),
        0..=0xFFFF => Form::Bmp,
        _ => Form::Supplementary,
    }
}

/// Appends the packed form of `text`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        let u = u32::from(c);
        match form(c) {
            Form::Ascii => out.push(u.to_be_bytes()[3]),
            Form::Short(lead, b) => out.extend_from_slice(&[lead, b]),
            Form::Bmp => {
                out.push(0xFE);
                out.extend_from_slice(&u.to_be_bytes()[2..]);
            }
            Form::Supplementary => {
                out.push(0xFF);
                out.extend_from_slice(&u.to_be_bytes()[1..]);
            }
        }
    }
}

/// Decodes packed text, refusing invalid lead bytes, truncated characters, non-scalars, longer
/// forms than needed, and characters that are not allowed in a field.
pub fn decode(bytes: &[u8], field: &'static str) -> Result<String, FormatError> {
    let bad = |reason| FormatError::Field { field, reason };
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        let (u, used) = match lead {
            0x20..=0x7E => (u32::from(lead), 1),
            0x80..=0xD5 => {
                let b = u32::from(*bytes.get(i + 1).ok_or(bad("truncated character"))?);
                let u = match lead {
                    0x80..=0xD1 => 0x4E00 + ((u32::from(lead) - 0x80) << 8 | b),
                    0xD2 => 0x3000 + b,
                    0xD3 => 0xFF00 + b,
                    0xD4 => 0x0080 + b,
                    _ => 0x2000 + b,
                };
                (u, 2)
            }
            0xFE => {
                let rest = bytes.get(i + 1..i + 3).ok_or(bad("truncated character"))?;
                (u32::from(rest[0]) << 8 | u32::from(rest[1]), 3)
            }
            0xFF => {
                let rest = bytes.get(i + 1..i + 4).ok_or(bad("truncated character"))?;
                let u = u32::from(rest[0]) << 16 | u32::from(rest[1]) << 8 | u32::from(rest[2]);
                (u, 4)
            }
            _ => return Err(bad("invalid lead byte")),
        };
        let c = char::from_u32(u).ok_or(bad("not a Unicode scalar value"))?;
        if char_len(c) != used {
            return Err(bad("character not in its shortest form"));
        }
        if !is_allowed(c) {
            return Err(bad(
                "contains a control, bidi, invisible or compatibility character",
            ));
        }
        out.push(c);
        i += used;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_is_escaped_for_markup() {
        assert_eq!(
            for_markup("<a href=\"x\">'&'</a> 东门"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; 东门"
        );
    }

    fn enc(s: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode_into(s, &mut v);
        v
    }

    #[test]
    fn chinese_takes_two_bytes() {
        // 东 U+4E1C -> lead 0x80, 0x1C; 门 U+95E8 -> 0x80 + 0x47 = 0xC7, 0xE8.
        assert_eq!(enc("东门"), [0x80, 0x1C, 0xC7, 0xE8]);
        assert_eq!(enc("安远路170号").len(), 11);
        assert_eq!(enc("上海玉佛禅寺").len(), 12);
    }

    #[test]
    fn other_forms() {
        assert_eq!(enc("A"), [0x41]);
        assert_eq!(enc("·"), [0xD4, 0x37]); // U+00B7, as in 买买提·艾力
        assert_eq!(enc("（"), [0xD3, 0x08]); // U+FF08
        assert_eq!(enc("、"), [0xD2, 0x01]); // U+3001
        assert_eq!(enc("—"), [0xD5, 0x14]); // U+2014
        assert_eq!(enc("한"), [0xFE, 0xD5, 0x5C]); // U+D55C
        assert_eq!(enc("𠮷"), [0xFF, 0x02, 0x0B, 0xB7]); // U+20BB7, a rare surname character
    }

    #[test]
    fn refuses_longer_forms_and_bad_bytes() {
        let err = |b: &[u8]| decode(b, "name").unwrap_err();
        // "A" spelled in the three-byte form.
        assert!(matches!(
            err(&[0xFE, 0x00, 0x41]),
            FormatError::Field {
                reason: "character not in its shortest form",
                ..
            }
        ));
        // 东 spelled in the three-byte form.
        assert!(matches!(
            err(&[0xFE, 0x4E, 0x1C]),
            FormatError::Field {
                reason: "character not in its shortest form",
                ..
            }
        ));
        // A BMP character in the four-byte form.
        assert!(matches!(
            err(&[0xFF, 0x00, 0xD5, 0x5C]),
            FormatError::Field {
                reason: "character not in its shortest form",
                ..
            }
        ));
        assert!(matches!(
            err(&[0xFE, 0xD8, 0x00]),
            FormatError::Field {
                reason: "not a Unicode scalar value",
                ..
            }
        ));
        assert!(matches!(
            err(&[0xFF, 0x11, 0x00, 0x00]),
            FormatError::Field {
                reason: "not a Unicode scalar value",
                ..
            }
        ));
        assert!(matches!(
            err(&[0x80]),
            FormatError::Field {
                reason: "truncated character",
                ..
            }
        ));
        assert!(matches!(
            err(&[0xD6, 0x00]),
            FormatError::Field {
                reason: "invalid lead byte",
                ..
            }
        ));
        assert!(matches!(
            err(&[0x0A]),
            FormatError::Field {
                reason: "invalid lead byte",
                ..
            }
        ));
        // U+202E RIGHT-TO-LEFT OVERRIDE in the 0xD5 form.
        assert!(matches!(
            err(&[0xD5, 0x2E]),
            FormatError::Field {
                reason: "contains a control, bidi, invisible or compatibility character",
                ..
            }
        ));
        // U+0085 NEXT LINE (a C1 control) in the 0xD4 form.
        assert!(matches!(err(&[0xD4, 0x05]), FormatError::Field { .. }));
    }

    #[test]
    fn field_rules() {
        assert_eq!(check("", 10), Err("must not be empty"));
        assert_eq!(
            check(" 东门", 10),
            Err("must not begin or end with white space")
        );
        assert_eq!(
            check("东门\u{3000}", 10),
            Err("must not begin or end with white space")
        );
        assert_eq!(
            check("东\u{202E}门", 10),
            Err("contains a control, bidi, invisible or compatibility character")
        );
        assert_eq!(check("东门", 3), Err("too long"));
        // Each looks like nothing, or like an ordinary character, and is refused.
        for hidden in [
            '\u{00AD}',
            '\u{034F}',
            '\u{115F}',
            '\u{180E}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{2800}',
            '\u{E0041}',
            '\u{FE0F}',
            '\u{F900}',
            '\u{2F00}',
            '\u{2FA1D}',
            '\u{E000}',
        ] {
            let text = format!("东{hidden}门");
            assert!(check(&text, 20).is_err(), "U+{:04X}", u32::from(hidden));
            let mut packed = Vec::new();
            encode_into(&text, &mut packed);
            assert!(
                decode(&packed, "door").is_err(),
                "U+{:04X}",
                u32::from(hidden)
            );
        }
        // Ordinary text still passes: 大 (U+5927), not the Kangxi radical ⼤ (U+2F24).
        assert_eq!(check("大门·南", 20), Ok(()));
        assert_eq!(check("东门", 4), Ok(()));
    }

    #[test]
    fn terminal_and_csv_output_is_neutralised() {
        assert_eq!(for_terminal("东门"), "东门");
        assert_eq!(
            for_terminal("A\u{1b}]0;owned\u{7}B\u{202E}C"),
            "A\\u{001B}]0;owned\\u{0007}B\\u{202E}C"
        );
        assert!(!for_terminal("\u{1b}[2K\r").contains(['\u{1b}', '\r']));
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(for_csv(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(for_csv("东门"), "东门");
        assert_eq!(for_csv("a=b"), "a=b");
    }

    proptest! {
        #[test]
        fn round_trip(s in "\\PC{0,40}") {
            let s: String = s.chars().filter(|&c| is_allowed(c)).collect();
            let bytes = enc(&s);
            prop_assert_eq!(bytes.len(), encoded_len(&s));
            prop_assert_eq!(decode(&bytes, "t").unwrap(), s);
        }

        #[test]
        fn decode_is_total_and_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(s) = decode(&bytes, "t") {
                prop_assert_eq!(enc(&s), bytes);
            }
        }
    }
}
