//! The core's modules form layers: no module imports one that imports it
//! back, directly or through others.
//!
//! Read from the source: every path in code that names a module of the
//! crate (`use crate::a::b`, `use super::x`, a parent's `pub use child::X`,
//! and inline paths such as `crate::trace::Trace`) is an import of the module
//! that holds what it names; comments are skipped; `mod x;` is structure,
//! not an import, and so are the crate root's re-exports. An import cycle
//! fails the test and is printed.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Module = Vec<String>;

fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(name);
            modules(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if !matches!(name.as_str(), "mod" | "lib") {
                module.push(name);
            }
            out.insert(module, fs::read_to_string(&path).unwrap());
        }
    }
}

/// The code of a file without its comments.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `a::b::c` path starting at a word in `starts`, with its offset.
fn paths(code: &str, starts: &[&str]) -> Vec<(usize, Vec<String>)> {
    let bytes = code.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !word(bytes[at]) || (at > 0 && (word(bytes[at - 1]) || bytes[at - 1] == b':')) {
            at += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut end = at;
        loop {
            let begin = end;
            while end < bytes.len() && word(bytes[end]) {
                end += 1;
            }
            segments.push(code[begin..end].to_owned());
            if code[end..].starts_with("::") && end + 2 < bytes.len() && word(bytes[end + 2]) {
                end += 2;
            } else {
                break;
            }
        }
        // `a::{b, c}` names `a` at least.
        let group = code[end..].starts_with("::{");
        if (segments.len() > 1 || group) && starts.contains(&segments[0].as_str()) {
            found.push((at, segments));
        }
        at = end.max(at + 1);
    }
    found
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    // THREADYARD_SRC points it at another tree (to watch it catch a cycle).
    let src = std::env::var_os("THREADYARD_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        Into::into,
    );
    let mut files = BTreeMap::new();
    modules(&src, &[], &mut files);
    let owner = |segments: &[String]| -> Module {
        (0..=segments.len())
            .rev()
            .map(|n| segments[..n].to_vec())
            .find(|m| files.contains_key(m))
            .unwrap_or_default()
    };

    let mut imports: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, text) in &files {
        if module.is_empty() {
            continue; // the crate root: `mod` lines and re-exports only
        }
        let code = code(text);
        // Inside an inline module (`mod test { .. }`) `super` is this file.
        let inline = code.find("mod test").unwrap_or(code.len());
        let children: Vec<String> = files
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect();
        let mut starts = vec!["crate", "super", "self"];
        starts.extend(children.iter().map(String::as_str));
        for (offset, segments) in paths(&code, &starts) {
            let absolute: Vec<String> = match segments[0].as_str() {
                "crate" => segments[1..].to_vec(),
                "super" => {
                    let up = usize::from(offset < inline);
                    let base = &module[..module.len() - up];
                    let rest = segments.iter().skip_while(|s| *s == "super");
                    base.iter().cloned().chain(rest.cloned()).collect()
                }
                _ => {
                    let rest = segments.iter().skip_while(|s| *s == "self");
                    module.iter().cloned().chain(rest.cloned()).collect()
                }
            };
            let target = owner(&absolute);
            if !target.is_empty() && &target != module {
                imports.entry(module.clone()).or_default().insert(target);
            }
        }
    }

    // A depth-first search for a path back to where it started.
    fn back_to(
        start: &Module,
        at: &Module,
        imports: &BTreeMap<Module, BTreeSet<Module>>,
        seen: &mut BTreeSet<Module>,
        trail: &mut Vec<Module>,
    ) -> bool {
        for next in imports.get(at).into_iter().flatten() {
            trail.push(next.clone());
            if next == start
                || (seen.insert(next.clone()) && back_to(start, next, imports, seen, trail))
            {
                return true;
            }
            trail.pop();
        }
        false
    }
    for module in imports.keys() {
        let mut trail = vec![module.clone()];
        if back_to(module, module, &imports, &mut BTreeSet::new(), &mut trail) {
            let names: Vec<String> = trail.iter().map(|m| m.join("::")).collect();
            panic!("import cycle: {}", names.join(" -> "));
        }
    }
    // The check saw the crate's layers at all (a broken scan passes vacuously).
    assert!(
        imports.len() > 20,
        "only {} modules import others",
        imports.len()
    );
    let yard = imports[&vec!["yard".to_owned(), "manager".to_owned()]].clone();
    assert!(yard.contains(&vec!["worker".to_owned()]));
}
