//! Health types: the colour of a health code (健康码), the latest nucleic-acid test (核酸检测)
//! and a holder's status. Their byte codes and names are defined here and nowhere else: the
//! personal-code body (SPEC.md §9), status lists (§10), rule sets (§11) and records use these.
//!
//! | type | byte | name | 中文 |
//! |---|---|---|---|
//! | colour | 0 | `green` | 绿码 |
//! | colour | 1 | `yellow` | 黄码 |
//! | colour | 2 | `red` | 红码 |
//! | test | 0 | (none) | 无 |
//! | test | 1 | `negative` | 阴性 |
//! | test | 2 | `positive` | 阳性 |

use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Health-code colour.
///
/// Deliberately not `#[non_exhaustive]`: every rule set, gate and face must say what each colour
/// means at the door, so a new colour would be a breaking change, in a new major version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    /// 绿码.
    Green,
    /// 黄码.
    Yellow,
    /// 红码.
    Red,
}

const COLOURS: [(Colour, u8, &str, &str); 3] = [
    (Colour::Green, 0, "green", "绿码"),
    (Colour::Yellow, 1, "yellow", "黄码"),
    (Colour::Red, 2, "red", "红码"),
];

impl Colour {
    /// Every colour, in byte-code order.
    pub const ALL: [Colour; 3] = [Colour::Green, Colour::Yellow, Colour::Red];

    fn entry(self) -> &'static (Colour, u8, &'static str, &'static str) {
        // Every colour has an entry (the table lists all three).
        &COLOURS[self as usize]
    }

    /// The byte code.
    pub fn code(self) -> u8 {
        self.entry().1
    }

    /// The colour of a byte code, if it is one.
    pub fn from_code(code: u8) -> Option<Colour> {
        COLOURS.iter().find(|c| c.1 == code).map(|c| c.0)
    }

    /// The name in JSON, rule sets and the command line (`green`).
    pub fn name(self) -> &'static str {
        self.entry().2
    }

    /// The Chinese name (绿码).
    pub fn name_zh(self) -> &'static str {
        self.entry().3
    }
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Colour {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        COLOURS
            .iter()
            .find(|c| c.2 == s)
            .map(|c| c.0)
            .ok_or_else(|| invalid("colour", "expected green, yellow or red"))
    }
}

/// A nucleic-acid test result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NatResult {
    /// 阴性.
    Negative,
    /// 阳性.
    Positive,
}

impl NatResult {
    /// The byte code of a test result, 0 for no test.
    pub fn code_of(result: Option<NatResult>) -> u8 {
        match result {
            None => 0,
            Some(NatResult::Negative) => 1,
            Some(NatResult::Positive) => 2,
        }
    }

    /// The test result of a byte code (`Some(None)`: no test), if it is one.
    pub fn from_code(code: u8) -> Option<Option<NatResult>> {
        match code {
            0 => Some(None),
            1 => Some(Some(NatResult::Negative)),
            2 => Some(Some(NatResult::Positive)),
            _ => None,
        }
    }

    /// The name in JSON, rule sets and the command line (`negative`).
    pub fn name(self) -> &'static str {
        match self {
            NatResult::Negative => "negative",
            NatResult::Positive => "positive",
        }
    }

    /// The Chinese name (阴性).
    pub fn name_zh(self) -> &'static str {
        match self {
            NatResult::Negative => "阴性",
            NatResult::Positive => "阳性",
        }
    }
}

impl std::fmt::Display for NatResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for NatResult {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "negative" => Ok(NatResult::Negative),
            "positive" => Ok(NatResult::Positive),
            _ => Err(invalid("nat", "expected negative or positive")),
        }
    }
}

/// The latest nucleic-acid test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NatTest {
    /// Its result.
    pub result: NatResult,
    /// When the sample was taken.
    pub sampled_at: Timestamp,
}

impl NatTest {
    /// Whole hours from the sample to `at` (0 for a sample dated after `at`).
    pub fn age_hours(&self, at: Timestamp) -> u32 {
        u32::try_from((at.unix() - self.sampled_at.unix()).max(0) / 3600).unwrap_or(u32::MAX)
    }
}

/// A holder's health status as of some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HealthStatus {
    /// The colour.
    pub colour: Colour,
    /// The latest test, if any.
    pub nat: Option<NatTest>,
}

fn invalid(field: &'static str, reason: &str) -> Error {
    Error::InvalidInput {
        field,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::from_code(c.code()), Some(c));
            assert_eq!(c.name().parse::<Colour>().ok(), Some(c));
            assert_eq!(serde_json::to_string(&c).ok(), Some(format!("\"{c}\"")));
        }
        assert_eq!(Colour::from_code(3), None);
        for r in [None, Some(NatResult::Negative), Some(NatResult::Positive)] {
            assert_eq!(NatResult::from_code(NatResult::code_of(r)), Some(r));
        }
        assert_eq!(NatResult::from_code(3), None);
        assert_eq!(Colour::Red.name_zh(), "红码");
    }
}
