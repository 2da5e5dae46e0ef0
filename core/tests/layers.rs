//! The core's layers, bottom to top: a module may use its own layer and the layers below it,
//! never one above (issue "One door in core"). Read from the sources: every `crate::…` path
//! outside tests names its module, and that module's layer must not be higher.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Top-level modules and their layers; `lib.rs` re-exports them and is not checked.
const LAYERS: [(&str, u8); 13] = [
    ("error", 0),
    ("kid", 0),
    ("encoding", 1),
    ("keys", 2),
    ("health", 2),
    ("privacy", 3),
    ("codes", 4),
    ("lists", 5),
    ("policy", 6),
    ("record", 7),
    ("door", 8),
    ("trace", 8),
    ("qr", 9),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module of every `crate::name` path in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        found.push(name);
        rest = after;
    }
    found
}

#[test]
fn no_module_uses_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let top = top.trim_end_matches(".rs");
        if top == "lib" || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let own = layer(top).unwrap_or_else(|| panic!("{}: a module with no layer", rel.display()));
        let text = std::fs::read_to_string(file).unwrap();
        // Tests may use anything: only the code before the first test module counts, and
        // comments (doc links) are not uses.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for used in crate_paths(&code) {
            checked += 1;
            match layer(&used) {
                Some(l) if l <= own => {}
                Some(l) => violations.push(format!(
                    "{} (layer {own}) uses crate::{used} (layer {l})",
                    rel.display()
                )),
                None => violations.push(format!(
                    "{} uses crate::{used}: name the module, not a re-export",
                    rel.display()
                )),
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} paths found: is the scan broken?"
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_scan_sees_a_violation() {
    // What the check above would report, so that a broken scan cannot pass silently.
    let paths = crate_paths("use crate::door::Gate;\nuse crate::{Error, Prefix};");
    assert_eq!(paths, ["door", "{Error"]);
    assert!(layer("door").unwrap() > layer("record").unwrap());
    assert_eq!(layer("{Error"), None);
}
