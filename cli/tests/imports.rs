//! The faces' modules import one another without a loop: for the command line's and the
//! service's sources, the graph of `crate::module` references between their modules has no
//! cycle (core keeps its layers with `core/tests/layers.rs`). A loop is named, with its modules.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of a crate's flat `src/` and the other modules it names as `crate::module`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: BTreeMap<String, String> = std::fs::read_dir(src)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e
                .file_name()
                .to_string_lossy()
                .strip_suffix(".rs")?
                .to_owned();
            Some((name, std::fs::read_to_string(e.path()).unwrap()))
        })
        .collect();
    files
        .iter()
        .map(|(module, text)| {
            let named = text
                .split("crate::")
                .skip(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect::<String>()
                })
                .filter(|m| m != module && files.contains_key(m))
                .collect();
            (module.clone(), named)
        })
        .collect()
}

/// A cycle of the graph, if it has one (depth-first, colouring modules on the path).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            return Some(path[i..].to_vec());
        }
        if !done.insert(m.to_owned()) {
            return None;
        }
        path.push(m.to_owned());
        for next in &graph[m] {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_command_line_and_the_service_have_no_import_loop() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("src"), root.join("../server/src")] {
        let g = graph(&src);
        assert!(g.len() > 5, "{}: {} modules", src.display(), g.len());
        assert_eq!(cycle(&g), None, "{}", src.display());
    }
    // The check finds a loop where there is one.
    let mut looped = graph(&root.join("src"));
    looped.get_mut("output").unwrap().insert("demo".into());
    looped.get_mut("demo").unwrap().insert("output".into());
    assert!(cycle(&looped).is_some());
}
