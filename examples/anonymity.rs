//! How many people share the quasi-identifiers of a venue's records, on a synthetic population
//! shaped like Shanghai's (surname frequencies, districts and their sizes, people registered
//! elsewhere, birth years): for the masks of the desk view, for a surname with the division, and
//! for the export (the ID division alone). `core/tests/anonymity.rs` asserts the export's figure.
//!
//!     cargo run --release -p venuecode-examples --example anonymity [-- PEOPLE]
//!
//! Deterministic (a fixed seed). Prints, for each, the smallest class, the share of people in
//! classes below 100, and the median class.

use std::collections::HashMap;
use venuecode::mask::{mask_id_number, mask_name};

#[path = "../core/tests/support/population.rs"]
#[allow(dead_code, unreachable_pub)]
mod population;

/// Smallest class, people in classes below 100 (per cent), median class (of people).
fn classes(keys: &[String]) -> (usize, f64, usize) {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for k in keys {
        *sizes.entry(k).or_default() += 1;
    }
    let mut per_person: Vec<usize> = keys.iter().map(|k| sizes[k.as_str()]).collect();
    per_person.sort_unstable();
    let below = per_person.iter().filter(|&&n| n < 100).count();
    (
        per_person[0],
        100.0 * below as f64 / per_person.len() as f64,
        per_person[per_person.len() / 2],
    )
}

fn main() {
    let people: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let (mut desk, mut surname_district, mut district) = (Vec::new(), Vec::new(), Vec::new());
    for p in population::population(people, 0x5348_2022) {
        let masked_id = mask_id_number(&p.id);
        desk.push(format!("{}|{masked_id}", mask_name(&p.name)));
        surname_district.push(format!("{}|{}", p.surname, &masked_id[..6]));
        district.push(masked_id[..6].to_owned());
    }
    println!("synthetic population: {} people", desk.len());
    println!(
        "{:<46} {:>8} {:>14} {:>8}",
        "quasi-identifiers of a record", "min", "in class <100", "median"
    );
    for (label, keys) in [
        ("masked name + masked ID (张*丰, 110105********00**)", &desk),
        ("surname + ID division (张, 110105)", &surname_district),
        ("ID division alone (110105), as exported", &district),
    ] {
        let (min, below, median) = classes(keys);
        println!("{label:<46} {min:>8} {below:>13.1}% {median:>8}");
    }
}
