//! Citizen identity numbers (公民身份号码) by GB 11643-1999: 18 characters, a 6-digit division
//! code, the birth date (YYYYMMDD), a 3-digit sequence (odd for men, even for women) and an
//! ISO 7064 MOD 11-2 check character (`0`-`9` or `X`).
//!
//! A validated number exists only in memory: [`IdNumber`] has no `Display` and its `Debug`
//! shows nothing of it, so it cannot reach a log by accident.

use crate::error::Error;

/// The weights of the first 17 digits in the check character (ISO 7064 MOD 11-2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// A validated 18-character citizen identity number.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber([u8; 18]);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdNumber(<redacted>)")
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidInput {
        field: "id_number",
        reason: reason.into(),
    }
}

/// The check character of the first 17 digits.
pub fn check_character(first17: &[u8; 17]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

impl IdNumber {
    /// The number of 17 digits and the check character they call for, validated (a generator's
    /// helper: test populations, demos).
    pub fn complete(first17: &str) -> Result<Self, Error> {
        let digits: &[u8; 17] = first17
            .as_bytes()
            .try_into()
            .map_err(|_| invalid("the first part of an ID number is 17 digits"))?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(invalid("the first part of an ID number is 17 digits"));
        }
        let check = char::from(check_character(digits));
        Self::parse(&format!("{first17}{check}"))
    }

    /// Validates a number: 17 digits and a check character (`x` read as `X`), a division whose
    /// province part is 11 to 82, a real calendar date from 1900 to 2099, and the right check
    /// character. Errors never include the number.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bytes = text.trim().as_bytes();
        let Ok(mut id) = <[u8; 18]>::try_from(bytes) else {
            return Err(invalid("must be 18 characters"));
        };
        if id[17] == b'x' {
            id[17] = b'X';
        }
        if !id[..17].iter().all(u8::is_ascii_digit) || !(id[17].is_ascii_digit() || id[17] == b'X')
        {
            return Err(invalid("must be 17 digits and a digit or X"));
        }
        let number = |range: std::ops::Range<usize>| {
            id[range]
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
        };
        if !(11..=82).contains(&number(0..2)) {
            return Err(invalid("the division code is not a GB/T 2260 code"));
        }
        let (year, month, day) = (number(6..10), number(10..12), number(12..14));
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(year) => 29,
            2 => 28,
            _ => 0,
        };
        if !(1900..=2099).contains(&year) || day == 0 || day > days_in_month {
            return Err(invalid("the birth date is not a real date"));
        }
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(&id[..17]);
        if check_character(&first17) != id[17] {
            return Err(invalid("the check character does not match"));
        }
        Ok(IdNumber(id))
    }

    /// The 18 characters, upper-case `X`. Handle with care: this is the raw number.
    pub fn expose(&self) -> &str {
        // Only ASCII digits and X are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number with a correct check character, for tests: 11010519491231002X is the standard's
    /// own example.
    pub(crate) const EXAMPLE: &str = "11010519491231002X";

    #[test]
    fn complete_adds_the_check_character() {
        assert_eq!(
            IdNumber::complete(&EXAMPLE[..17]).unwrap().expose(),
            EXAMPLE
        );
        assert!(IdNumber::complete("1101051949123100").is_err());
        assert!(IdNumber::complete("11010519491231X02").is_err());
        assert!(IdNumber::complete("11010519491331002").is_err()); // month 13
    }

    #[test]
    fn the_standard_example_validates() {
        let id = IdNumber::parse(EXAMPLE).unwrap();
        assert_eq!(id.expose(), EXAMPLE);
        assert_eq!(IdNumber::parse("11010519491231002x").unwrap(), id);
        assert_eq!(format!("{id:?}"), "IdNumber(<redacted>)");
    }

    #[test]
    fn each_rule_is_checked_without_echoing_the_number() {
        for (text, reason) in [
            ("1101051949123100", "must be 18 characters"),
            ("11010519491231002Y", "must be 17 digits"),
            ("99010519491231002X", "division"),
            ("11010519491331002X", "birth date"),
            ("11010519490229002X", "birth date"), // 1949 is not a leap year
            ("110105194912310021", "check character"),
        ] {
            let err = IdNumber::parse(text).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert!(err.to_string().contains(reason), "{text}: {err}");
            assert!(
                !err.to_string().contains(&text[6..14]),
                "{err} echoes the number"
            );
        }
        // 2000 is a leap year: 20000229 is a real date.
        let mut first17 = *b"11010520000229002";
        let check = check_character(&first17);
        let id: String = first17
            .iter_mut()
            .map(|b| char::from(*b))
            .chain([char::from(check)])
            .collect();
        assert!(IdNumber::parse(&id).is_ok());
    }
}
