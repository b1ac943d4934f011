//! The layout holds: no import cycle among the app's modules, and the plain
//! logic imports nothing of the browser part. Read from the source itself
//! (`use` lines and paths through `crate::`, `super::` or a child module), so
//! `cargo test` fails when a change brings a circle back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: `src/browser/components/table.rs` is
/// `browser::components::table`, `src/main.rs` is `` (the crate).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => base.to_owned(),
        _ => format!("{base}::{rest}"),
    }
}

/// The text without comments (a path in a doc comment is no import).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths in `use` statements, braces expanded: `a::{b, c::d}` gives
/// `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.trim_end_matches("::self").to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_owned()
            } else {
                join(prefix, &p)
            }
        })
        .collect()
}

/// Every path the file at `module` names through `crate::`, `super::` or one
/// of `children`, resolved to a path from the crate's root.
fn paths(module: &str, children: &BTreeSet<String>, text: &str) -> Vec<String> {
    let parent = |m: &str| {
        m.rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_owned())
    };
    // `super` is the parent module, for a mod.rs and a leaf file alike.
    let sup = parent(module);
    let resolve = |p: &str| -> Option<String> {
        let p = p.trim();
        if let Some(rest) = p.strip_prefix("crate::") {
            Some(rest.to_owned())
        } else if let Some(rest) = p.strip_prefix("super::") {
            Some(join(&sup, rest))
        } else {
            let first = p.split("::").next()?;
            children.contains(first).then(|| join(module, p))
        }
    };
    let text = code(text);
    let mut out = Vec::new();
    for stmt in text.split(';') {
        let stmt = stmt.trim();
        let body = stmt
            .strip_prefix("pub use ")
            .or_else(|| stmt.strip_prefix("use "))
            .or_else(|| stmt.find("\nuse ").map(|i| &stmt[i + 5..]))
            .or_else(|| stmt.find("\npub use ").map(|i| &stmt[i + 9..]));
        if let Some(body) = body {
            out.extend(expand(body).iter().filter_map(|p| resolve(p)));
        }
    }
    // Paths written inline, not imported: `crate::a::b(...)`, `super::x::Y`,
    // `child::f()`.
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut rest = text.as_str();
    while let Some(i) = rest.find("::") {
        let start = rest[..i].rfind(|c: char| !is_ident(c)).map_or(0, |s| s + 1);
        let end = rest[i..]
            .find(|c: char| !is_ident(c))
            .map_or(rest.len(), |e| i + e);
        if let Some(p) = resolve(&rest[start..end]) {
            out.push(p);
        }
        rest = &rest[end.max(i + 2)..];
    }
    out
}

/// Module → the modules it imports from (the longest module each path
/// names; itself and the crate root left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut list = Vec::new();
    files(&src, &mut list);
    let modules: BTreeMap<String, PathBuf> = list
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let is_mod_file = file.file_stem().is_some_and(|s| s == "mod" || s == "main");
        let children: BTreeSet<String> = modules
            .keys()
            .filter_map(|m| {
                let rest = if module.is_empty() {
                    Some(m.as_str())
                } else {
                    m.strip_prefix(&format!("{module}::"))
                };
                rest.filter(|r| !r.is_empty() && !r.contains("::"))
                    .map(str::to_owned)
            })
            .collect();
        let children = if is_mod_file {
            children
        } else {
            BTreeSet::new()
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        let targets = paths(module, &children, &text)
            .into_iter()
            .filter_map(|p| {
                let segments: Vec<&str> = p.split("::").collect();
                (1..=segments.len())
                    .rev()
                    .map(|n| segments[..n].join("::"))
                    .find(|m| modules.contains_key(m))
            })
            .filter(|t| t != module && !t.is_empty())
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut found = path[i..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_reader_sees_imports_children_and_inline_paths() {
    let children: BTreeSet<String> = ["app".to_owned(), "renders".to_owned()].into();
    let text = "use super::{connection::{self, Yard}, script::Script as S};\nuse crate::state::Action;\n// use crate::ignored;\nfn f() { app::App; crate::model::list(&[]); renders::count(\"x\") }";
    let found = paths("browser", &children, text);
    for expected in [
        "connection",
        "connection::Yard",
        "script::Script",
        "state::Action",
        "browser::app::App",
        "model::list",
        "browser::renders::count",
    ] {
        assert!(
            found.iter().any(|p| p == expected),
            "{expected} in {found:?}"
        );
    }
    assert!(!found.iter().any(|p| p.contains("ignored")));
    let mut g = BTreeMap::new();
    g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    g.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycle(&g),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
}

#[test]
fn no_module_of_the_app_imports_itself_back_through_others() {
    let graph = graph();
    assert!(
        graph.contains_key("browser::components::table"),
        "the reader found the modules: {graph:?}"
    );
    assert!(
        graph["browser::app"].contains("browser::components"),
        "the reader found the app's imports: {:?}",
        graph["browser::app"]
    );
    assert_eq!(
        cycle(&graph),
        None,
        "an import cycle; the graph: {graph:#?}"
    );
}

#[test]
fn the_plain_logic_imports_nothing_of_the_browser() {
    let graph = graph();
    for module in ["model", "history", "narration", "clock", "input", "state"] {
        let browser: Vec<&String> = graph[module]
            .iter()
            .filter(|m| m.starts_with("browser"))
            .collect();
        assert!(browser.is_empty(), "{module} imports {browser:?}");
    }
    for (module, imports) in &graph {
        if module.starts_with("browser::components") {
            let reach: Vec<&String> = imports
                .iter()
                .filter(|m| {
                    [
                        "browser::app",
                        "browser::commands",
                        "browser::connection",
                        "browser::script",
                    ]
                    .contains(&m.as_str())
                })
                .collect();
            assert!(reach.is_empty(), "the component {module} reaches {reach:?}");
        }
    }
}
