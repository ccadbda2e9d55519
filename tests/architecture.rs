//! The shape of `src/` as a test (see docs/ARCHITECTURE.md, "The house"):
//! - no module reaches into another feature's `store` (cross-feature work goes through the
//!   other feature's `mod.rs`);
//! - modules depend on each other without circles (the few accepted ones, if any, are listed
//!   below: one that grows fails, and so does one that is gone, so that the list only shrinks).
//!
//! A module is a folder under `src/` (a feature) or a top-level `src/*.rs` file; `A` depends on
//! `B` when code in `A` names `crate::B` (directly or in a `use crate::{...}` group). Comments
//! are not code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Circles still to break (each a strongly connected set of modules, sorted). None: the modules
/// form layers. Should one ever have to be accepted for a while, list it here with the plan to
/// break it; the test then fails when it grows, and when it is gone (so the list shrinks).
const KNOWN_CIRCLES: &[&[&str]] = &[];

struct Module {
    files: Vec<PathBuf>,
    is_feature: bool,
}

fn modules() -> BTreeMap<String, Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut files = Vec::new();
            collect_rs(&path, &mut files);
            let is_feature = path.join("mod.rs").exists();
            out.insert(name, Module { files, is_feature });
        } else if path.extension().is_some_and(|e| e == "rs") && name != "main" && name != "lib" {
            out.insert(
                name,
                Module {
                    files: vec![path],
                    is_feature: false,
                },
            );
        }
    }
    out
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file without `//` comments (doc comments included).
fn code_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            // Keep `//` inside string literals on the line (URLs): only cut when no quote
            // precedes it.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first path segments named after `crate::` in `code`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before_ok = rest[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        rest = &rest[i + "crate::".len()..];
        if !before_ok {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}`: the first segment of each top-level item.
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    let first: String = item.trim().chars().take_while(|&c| is_ident(c)).collect();
                    if !first.is_empty() {
                        out.insert(first);
                    }
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    item.push(c);
                }
            }
        } else {
            let first: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !first.is_empty() {
                out.insert(first);
            }
        }
    }
    out
}

fn graph(modules: &BTreeMap<String, Module>) -> BTreeMap<String, BTreeSet<String>> {
    modules
        .iter()
        .map(|(name, m)| {
            let deps = m
                .files
                .iter()
                .flat_map(|f| crate_refs(&code_of(f)))
                .filter(|d| d != name && modules.contains_key(d))
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

/// Strongly connected sets of more than one module (Tarjan), each sorted.
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: BTreeSet<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.g[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                set.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                set.sort();
                s.out.insert(set);
            }
        }
    }
    let mut s = State {
        g,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: BTreeSet::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_module_reaches_into_another_features_store() {
    let modules = modules();
    let features: Vec<&String> = modules
        .iter()
        .filter(|(_, m)| m.is_feature)
        .map(|(n, _)| n)
        .collect();
    let mut found = Vec::new();
    for (name, m) in &modules {
        for file in &m.files {
            let code = code_of(file);
            for other in features.iter().filter(|f| **f != name) {
                let needle = format!("{other}::store");
                let mut rest = code.as_str();
                while let Some(i) = rest.find(&needle) {
                    let before_ok = rest[..i].chars().next_back().is_none_or(|c| !is_ident(c));
                    let after = rest[i + needle.len()..].chars().next();
                    if before_ok && after.is_none_or(|c| !is_ident(c)) {
                        found.push(format!("{} uses {needle}", file.display()));
                    }
                    rest = &rest[i + needle.len()..];
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "go through the feature's mod.rs instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_dependency_circles_are_the_known_ones() {
    let found = circles(&graph(&modules()));
    let known: BTreeSet<Vec<String>> = KNOWN_CIRCLES
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "module circles changed.\nnew or grown (break them: a leaf module, or go through one \
         feature's mod.rs): {new:?}\nno longer there (remove them from KNOWN_CIRCLES): {gone:?}"
    );
}

#[test]
fn the_circle_finder_finds_a_circle_and_the_parser_reads_use_groups() {
    let refs =
        crate_refs("use crate::{a, b::c, d::{e, f}};\nfn x() { crate::g::h(); notcrate::i(); }");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        vec!["a", "b", "d", "g"]
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        circles(&g).into_iter().collect::<Vec<_>>(),
        vec![vec!["a".to_string(), "b".into(), "c".into()]]
    );
}
