//! Coverage (申领情况): of the venues a registry lists in a division, how many have their doors'
//! codes in use. A door counts as covered once a code of it verified at the records service
//! (a visitor's check-in); a district office sees the venues whose doors have none.

use serde::Serialize;
use std::collections::BTreeSet;

/// A venue as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredVenue {
    /// The registry number.
    pub venue_id: String,
    /// Its name.
    pub name: String,
    /// Its six-digit division.
    pub division: u32,
    /// Its doors, one code each (一门一码).
    pub doors: Vec<String>,
}

/// A venue with doors not covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    /// The registry number.
    pub venue_id: String,
    /// Its name.
    pub name: String,
    /// Its division, six digits.
    pub division: String,
    /// Its doors no code of which has been seen.
    pub missing: Vec<String>,
    /// Whether none of its doors has (the venue has no code in use at all).
    pub none: bool,
}

/// The coverage of a scope of divisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The scope (2, 4 or 6 digits).
    pub scope: String,
    /// Venues registered in it.
    pub venues: u64,
    /// Of them, with every door covered.
    pub venues_covered: u64,
    /// Of them, with no door covered.
    pub venues_without: u64,
    /// Doors registered.
    pub doors: u64,
    /// Doors covered.
    pub doors_covered: u64,
    /// The venues with a door not covered, by registry number.
    pub uncovered: Vec<Uncovered>,
}

impl Coverage {
    /// The coverage of `scope` given the registry and the (venue, door) pairs seen.
    pub fn of(
        scope: &str,
        registry: &[RegisteredVenue],
        seen: &BTreeSet<(String, String)>,
    ) -> Coverage {
        let scope_list = [scope.to_owned()];
        let mut c = Coverage {
            scope: scope.to_owned(),
            venues: 0,
            venues_covered: 0,
            venues_without: 0,
            doors: 0,
            doors_covered: 0,
            uncovered: Vec::new(),
        };
        let mut venues: Vec<&RegisteredVenue> = registry
            .iter()
            .filter(|v| crate::keys::trust::division_in(&scope_list, v.division))
            .collect();
        venues.sort_by(|a, b| a.venue_id.cmp(&b.venue_id));
        for v in venues {
            c.venues += 1;
            let missing: Vec<String> = v
                .doors
                .iter()
                .filter(|d| !seen.contains(&(v.venue_id.clone(), (*d).clone())))
                .cloned()
                .collect();
            let doors = v.doors.len() as u64;
            c.doors += doors;
            c.doors_covered += doors - missing.len() as u64;
            if missing.is_empty() {
                c.venues_covered += 1;
                continue;
            }
            let none = missing.len() == v.doors.len();
            c.venues_without += u64::from(none);
            c.uncovered.push(Uncovered {
                venue_id: v.venue_id.clone(),
                name: v.name.clone(),
                division: format!("{:06}", v.division),
                missing,
                none,
            });
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue(id: &str, division: u32, doors: &[&str]) -> RegisteredVenue {
        RegisteredVenue {
            venue_id: id.into(),
            name: format!("场所{id}"),
            division,
            doors: doors.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn venues_and_doors_are_counted_within_the_scope() {
        let registry = [
            venue("A", 310_106, &["东门", "西门"]),
            venue("B", 310_106, &["正门"]),
            venue("C", 310_115, &["东门"]),
            venue("D", 310_106, &["北门"]),
        ];
        let seen: BTreeSet<(String, String)> = [("A", "东门"), ("B", "正门"), ("C", "东门")]
            .iter()
            .map(|(v, d)| ((*v).to_owned(), (*d).to_owned()))
            .collect();
        let jingan = Coverage::of("310106", &registry, &seen);
        assert_eq!(
            (jingan.venues, jingan.venues_covered, jingan.venues_without),
            (3, 1, 1)
        );
        assert_eq!((jingan.doors, jingan.doors_covered), (4, 2));
        let ids: Vec<(&str, bool)> = jingan
            .uncovered
            .iter()
            .map(|u| (u.venue_id.as_str(), u.none))
            .collect();
        assert_eq!(ids, [("A", false), ("D", true)]);
        assert_eq!(jingan.uncovered[0].missing, ["西门"]);
        let shanghai = Coverage::of("31", &registry, &seen);
        assert_eq!((shanghai.venues, shanghai.doors_covered), (4, 3));
        assert_eq!(Coverage::of("11", &registry, &seen).venues, 0);
    }
}
