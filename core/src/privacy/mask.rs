//! Desensitisation (脱敏): the forms of names, ID numbers and phone numbers that may be shown to
//! staff, printed on a code, or kept in a scan log.
//!
//! Defaults (docs/adr/0004-masking.md):
//! - **Name**: the surname is kept, the given name hidden but for its last character:
//!   张三丰 → 张*丰, 张三 → 张*, 欧阳娜娜 → 欧阳*娜. Names with a middle dot keep the first
//!   character of each part: 买买提·艾力 → 买**·艾*.
//! - **ID number**: the division (digits 1-6) and digits 15-16 are kept; the birth date, the
//!   gender digit (17) and the check character (18) are hidden: 110105********00**. The check
//!   character is computed from every other digit, so showing it would narrow the hidden ones.
//! - **Mobile number**: 3 + 4: 138****5678.
//! - **Address**: down to the street; what follows (number, building, room) is hidden:
//!   上海市普陀区安远路170号 → 上海市普陀区安远路**.
//!
//! Names and ID numbers have other profiles ([`NameMask`], [`IdMask`]) for stricter uses, such
//! as statistics shared beyond a venue.

use crate::error::Error;
use crate::privacy::id::IdNumber;

/// Two-character surnames (复姓) that the name mask keeps whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶",
    "太史", "申屠", "闻人", "赫连", "万俟", "司空", "濮阳", "淳于", "单于", "仲孙", "东郭", "拓跋",
    "第五", "左丘", "梁丘", "谷梁", "宰父", "公羊", "漆雕", "乐正", "壤驷", "公良", "巫马", "南门",
];

const MASK: char = '*';

/// Middle dots used between the parts of transliterated names.
fn is_name_separator(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | '‧' | '.')
}

/// How much of a name to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NameMask {
    /// The surname and the given name's last character: 张*丰 (the default).
    #[default]
    SurnameAndLast,
    /// The surname only: 张**.
    SurnameOnly,
}

/// A name masked by a profile.
pub fn mask_name_with(name: &str, profile: NameMask) -> String {
    let masked = mask_name(name);
    match profile {
        NameMask::SurnameAndLast => masked,
        NameMask::SurnameOnly => {
            // Hide the one character SurnameAndLast keeps at the end of a one-part name.
            let mut chars: Vec<char> = masked.chars().collect();
            let surname = if chars.len() > 2
                && COMPOUND_SURNAMES.iter().any(|s| name.trim().starts_with(s))
            {
                2
            } else {
                1
            };
            if !masked.contains(['·', ' ']) && chars.len() > surname {
                chars[surname..].iter_mut().for_each(|c| *c = MASK);
            }
            chars.into_iter().collect()
        }
    }
}

/// The masked form of a person's name (see the module docs). Empty in, empty out.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    if name.contains(is_name_separator) {
        return name
            .split(is_name_separator)
            .map(|part| keep_first(part.trim()))
            .collect::<Vec<_>>()
            .join("·");
    }
    if name.contains(char::is_whitespace) {
        // A Latin-script name: the first letter of each word.
        return name
            .split_whitespace()
            .map(keep_first)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let chars: Vec<char> = name.chars().collect();
    let surname_len = if chars.len() > 2 && COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) {
        2
    } else {
        1
    };
    match chars.len() {
        0 => String::new(),
        1 => MASK.to_string(),
        n if n - surname_len == 1 => chars[..surname_len].iter().chain([&MASK]).collect(),
        n => chars[..surname_len]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(MASK, n - surname_len - 1))
            .chain([chars[n - 1]])
            .collect(),
    }
}

fn keep_first(part: &str) -> String {
    let mut chars = part.chars();
    chars
        .next()
        .into_iter()
        .chain(chars.map(|_| MASK))
        .collect()
}

/// Which of an ID number's 18 characters to show, as bits (bit 0: the first character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMask(u32);

impl IdMask {
    /// The default: the division (1-6) and digits 15-16: 110105********00**.
    pub const DEFAULT: IdMask = IdMask(0b11 << 14 | 0b11_1111);
    /// The division only: 110105************.
    pub const DIVISION: IdMask = IdMask(0b11_1111);
    /// Nothing shown.
    pub const NONE: IdMask = IdMask(0);

    /// A mask showing the characters at these zero-based positions. Refused: positions past 17,
    /// more than 10 characters shown, and the check character (17) shown, since it is computed
    /// from all the others and narrows what is hidden.
    pub fn showing(positions: &[usize]) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidInput {
            field: "id_mask",
            reason: reason.into(),
        };
        let mut bits = 0u32;
        for &p in positions {
            if p > 17 {
                return Err(invalid("positions are 0 to 17"));
            }
            bits |= 1 << p;
        }
        if bits.count_ones() > 10 {
            return Err(invalid("show at most 10 characters"));
        }
        if bits & 1 << 17 != 0 {
            return Err(invalid("the check character narrows the hidden digits"));
        }
        Ok(IdMask(bits))
    }

    fn shows(self, i: usize) -> bool {
        self.0 & 1 << i != 0
    }
}

/// The masked form of an ID number (see the module docs): 6 + 8 hidden + 2 + 2 hidden.
pub fn mask_id_number(id: &IdNumber) -> String {
    mask_id_number_with(id, IdMask::DEFAULT)
}

/// An ID number masked by a profile.
pub fn mask_id_number_with(id: &IdNumber, mask: IdMask) -> String {
    id.expose()
        .char_indices()
        .map(|(i, c)| if mask.shows(i) { c } else { MASK })
        .collect()
}

/// Whether a masked ID number could have come from [`mask_id_number`]: 18 characters, digits
/// where it keeps them and `*` where it hides them. A code carrying anything else is refused.
pub fn is_masked_id_number(text: &str) -> bool {
    text.len() == 18
        && text.bytes().enumerate().all(|(i, b)| {
            if IdMask::DEFAULT.shows(i) {
                b.is_ascii_digit()
            } else {
                b == b'*'
            }
        })
}

/// Whether a name is in a mask's own shape: masking leaves it as it is (the surname and last
/// character, or the surname only), it shows at least one `*`, and it holds no character that
/// hides or reorders text. `张*丰` is; `张三丰`, `*张三*` and `张*丰丰` are not.
pub fn is_masked_name(name: &str) -> bool {
    name.chars().count() <= 64
        && name.contains('*')
        && name.chars().all(crate::encoding::text::is_allowed)
        && [NameMask::SurnameAndLast, NameMask::SurnameOnly]
            .into_iter()
            .any(|m| mask_name_with(name, m) == name)
}

/// Street-level markers: an address is shown up to the last of these.
const STREET_MARKERS: &[char] = &['路', '街', '道', '巷', '弄', '里', '村', '镇', '乡'];
/// Division-level markers, for addresses with no street, from the district up.
const DIVISION_MARKERS: [&[char]; 3] = [&['区', '县', '旗'], &['市', '州'], &['省']];

/// An address down to the street (see the module docs); with no street, down to the district
/// (the first 区, 县 or 旗, so that a compound such as 某小区 is cut), else the city, else the
/// province; with none of these, nothing. What is cut becomes `**`.
pub fn mask_address(address: &str) -> String {
    let address = address.trim();
    // Byte offsets just past each marker, in order.
    let ends = |markers: &[char]| -> Vec<usize> {
        address
            .char_indices()
            .filter(|(_, c)| markers.contains(c))
            .map(|(i, c)| i + c.len_utf8())
            .collect()
    };
    let keep = ends(STREET_MARKERS)
        .last()
        .copied()
        .or_else(|| {
            DIVISION_MARKERS
                .iter()
                .find_map(|m| ends(m).first().copied())
        })
        .unwrap_or(0);
    if keep == address.len() {
        address.to_owned()
    } else {
        format!("{}**", &address[..keep])
    }
}

/// The masked form of a mainland mobile number (11 digits starting with 1, spaces, dashes and
/// a +86 or 86 prefix allowed): 138****5678.
pub fn mask_phone(phone: &str) -> Result<String, Error> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        13 if digits.starts_with("86") => &digits[2..],
        _ => &digits[..],
    };
    let plausible = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " -+()".contains(c));
    if !plausible || digits.len() != 11 || !digits.starts_with('1') {
        return Err(Error::InvalidInput {
            field: "phone",
            reason: "expected an 11-digit mainland mobile number".into(),
        });
    }
    Ok(format!("{}****{}", &digits[..3], &digits[7..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        for (name, masked) in [
            ("张三丰", "张*丰"),
            ("张三", "张*"),
            ("王", "*"),
            ("欧阳娜娜", "欧阳*娜"),
            ("欧阳修", "欧阳*"),
            ("欧阳", "欧*"), // a two-character name is surname + given name, not a compound surname
            ("司马相如", "司马*如"),
            ("诸葛亮", "诸葛*"),
            ("李小龙", "李*龙"),
            ("爱新觉罗溥仪", "爱****仪"),
            ("买买提·艾力", "买**·艾*"),
            ("阿依古丽•吐尔逊", "阿***·吐**"),
            ("John Smith", "J*** S****"),
            ("", ""),
        ] {
            assert_eq!(mask_name(name), masked, "{name}");
        }
    }

    #[test]
    fn id_numbers() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let masked = mask_id_number(&id);
        assert_eq!(masked, "110105********00**");
        assert!(is_masked_id_number(&masked));
        assert!(!is_masked_id_number("11010519491231002X"));
        assert!(!is_masked_id_number("110105********002X"));
        assert!(!is_masked_id_number("110105********00*"));
    }

    #[test]
    fn profiles() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(
            mask_id_number_with(&id, IdMask::DIVISION),
            "110105************"
        );
        assert_eq!(mask_id_number_with(&id, IdMask::NONE), "******************");
        assert_eq!(
            mask_id_number_with(&id, IdMask::showing(&[0, 1]).unwrap()),
            "11****************"
        );
        assert!(IdMask::showing(&[17]).is_err());
        assert!(IdMask::showing(&[18]).is_err());
        assert!(IdMask::showing(&(0..11).collect::<Vec<_>>()).is_err());
        assert_eq!(mask_name_with("张三丰", NameMask::SurnameOnly), "张**");
        assert_eq!(mask_name_with("欧阳娜娜", NameMask::SurnameOnly), "欧阳**");
        assert_eq!(mask_name_with("张三丰", NameMask::default()), "张*丰");
    }

    #[test]
    fn addresses() {
        for (address, masked) in [
            ("上海市普陀区安远路170号", "上海市普陀区安远路**"),
            ("安远路170号", "安远路**"),
            (
                "北京市东城区东华门街道景山前街4号故宫",
                "北京市东城区东华门街道景山前街**",
            ),
            ("上海市浦东新区", "上海市浦东新区"),
            ("上海市浦东新区某小区3号楼", "上海市浦东新区**"),
            ("170号", "**"),
        ] {
            assert_eq!(mask_address(address), masked, "{address}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13812345678").unwrap(), "138****5678");
        assert_eq!(mask_phone("+86 138-1234-5678").unwrap(), "138****5678");
        for bad in [
            "1381234567",
            "23812345678",
            "138123456789",
            "138abc45678",
            "",
        ] {
            assert_eq!(
                mask_phone(bad).unwrap_err().code(),
                "invalid_input",
                "{bad}"
            );
        }
        assert!(
            !mask_phone("1381234567x")
                .unwrap_err()
                .to_string()
                .contains("1381234567")
        );
    }

    proptest! {
        /// No digit after the street survives in a masked address.
        #[test]
        fn masked_addresses_hide_the_number(street in "[\u{4E00}-\u{9FFF}]{1,4}(路|街|弄)", number in "[0-9]{1,4}号[0-9]{0,3}室?") {
            let masked = mask_address(&format!("上海市普陀区{street}{number}"));
            prop_assert!(!masked.chars().any(|c| c.is_ascii_digit()), "{}", masked);
            prop_assert!(masked.ends_with("**"));
        }

        /// A masked name is as long as the name and shows at most two characters of it, one of
        /// each part for names in parts; the hidden ones never appear where they were.
        #[test]
        fn masked_names_hide_the_given_name(name in "[\\u{4E00}-\\u{9FFF}]{1,6}") {
            let masked = mask_name(&name);
            let (n, m): (Vec<char>, Vec<char>) = (name.chars().collect(), masked.chars().collect());
            prop_assert_eq!(n.len(), m.len());
            let shown = m.iter().filter(|&&c| c != MASK).count();
            prop_assert!(shown <= 3 && (n.len() < 2 || shown < n.len()));
            for (i, (&a, &b)) in n.iter().zip(&m).enumerate() {
                prop_assert!(b == MASK || b == a, "position {} changed", i);
            }
            // The middle of the given name is always hidden.
            for &c in m.iter().take(n.len().saturating_sub(1)).skip(2) {
                prop_assert_eq!(c, MASK);
            }
        }

        /// The birth date, gender digit and check character never show.
        #[test]
        fn masked_ids_hide_the_birth_date(division in 110_000u32..=829_999, days in 0u32..36_000, seq in 0u32..1000) {
            let date = time::Date::from_julian_day(2_415_021 + i32::try_from(days).unwrap()).unwrap(); // from 1900-01-01
            let first17 = format!("{division}{:04}{:02}{:02}{seq:03}", date.year(), u8::from(date.month()), date.day());
            let check = char::from(crate::privacy::id::check_character(first17.as_bytes().try_into().unwrap()));
            let id = IdNumber::parse(&format!("{first17}{check}")).unwrap();
            let masked = mask_id_number(&id);
            prop_assert!(is_masked_id_number(&masked));
            prop_assert_eq!(&masked[..6], &first17[..6]);
            prop_assert_eq!(&masked[6..14], "********");
            prop_assert_eq!(&masked[16..], "**");
        }
    }
}
