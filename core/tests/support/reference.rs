// The reference venue of SPEC.md §5. Included by path into the unit tests, the integration tests
// and the benchmark; it takes `Venue`, `VenueType`, `Division` and `Timestamp` from the including
// module.

use super::*;

/// 上海玉佛禅寺, 东门: issued 2022-04-01T08:00:00+08:00, valid until 2023-04-01T00:00:00+08:00.
pub(crate) fn reference_venue() -> Venue {
    Venue::new(
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        Division::new(310_107).unwrap(),
        "东门",
        Timestamp::from_unix(1_648_771_200),
    )
    .with_address("安远路170号")
    .with_valid_until(Timestamp::from_unix(1_680_278_400))
}

/// The issuer prefix of the tests (the reference authority's): `HTTPS://VC.SH.GOV.CN/1/`.
#[allow(dead_code)] // not every includer issues codes
pub(crate) fn test_prefix() -> Prefix {
    Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap()
}
