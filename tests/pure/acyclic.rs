//! No import circle inside any crate of the workspace: for every crate, the graph of which
//! source file names which other file of the same crate (`use` trees and `crate::`/`super::`/
//! `self::` paths, comments left out) has no cycle. Between crates Cargo already forbids one.
//!
//! Written here rather than taken from a tool: `cargo modules` needs rust-analyzer's crates (a
//! long build) and reports module-level cycles only; `cargo cycles` is not on crates.io. A
//! file-level graph over `use` lines is a few dozen lines and catches what a reader trips on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// A crate's source files by module path (`["backup", "restore"]`), and their text.
struct Crate {
    name: String,
    files: BTreeMap<Vec<String>, (PathBuf, String)>,
}

fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_string()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn load(name: &str, src: &Path) -> Crate {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    let mut files = BTreeMap::new();
    for p in paths {
        // The binary's main.rs is a crate of its own beside the library.
        if p.file_name().is_some_and(|n| n == "main.rs") && src.join("lib.rs").exists() {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("readable source");
        files.insert(
            module_path(src, &p),
            (p, without_test_modules(&strip_comments(&text))),
        );
    }
    Crate {
        name: name.into(),
        files,
    }
}

/// The code alone: comments (doc comments name paths too), the insides of string literals
/// (plain and raw) and character literals (a `'{'` must not count as a brace) left out; line
/// breaks kept.
fn strip_comments(text: &str) -> String {
    let char_literal =
        regex::Regex::new(r"'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^'\\\n])'").expect("valid regex");
    let text = char_literal.replace_all(text, "'_'");
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
            }
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|c| **c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                if b[i] == b'\n' {
                    out.push(b'\n');
                }
                i += 1;
            }
            out.extend_from_slice(b"\"\"");
            i += close.len();
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                } else if b[i] == b'\n' {
                    out.push(b'\n');
                }
                i += 1;
            }
            out.extend_from_slice(b"\"\"");
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text without its `#[cfg(test)]` modules and functions: a test may use anything it
/// tests, it is not part of the layering.
fn without_test_modules(text: &str) -> String {
    let re =
        regex::Regex::new(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?(?:mod|fn)\s+\w+[^{;]*\{")
            .expect("valid regex");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(m) = re.find(rest) {
        out.push_str(&rest[..m.start()]);
        let mut depth = 1;
        let mut end = rest.len();
        for (i, c) in rest[m.end()..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = m.end() + i + 1;
                break;
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Every path a file names: `use` trees expanded, and `crate::`/`super::`/`self::` paths
/// anywhere in the code.
fn paths_named(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = find_use(rest) {
        let after = &rest[i..];
        let end = after.find(';').unwrap_or(after.len());
        expand(&after[..end], &mut Vec::new(), &mut out);
        rest = &after[end..];
    }
    let path = regex::Regex::new(r"\b(?:crate|super|self)(?:::(?:[A-Za-z_][A-Za-z0-9_]*))+")
        .expect("valid regex");
    for m in path.find_iter(text) {
        out.push(m.as_str().split("::").map(str::to_string).collect());
    }
    out
}

/// Where the next `use` tree starts (after `use `), skipping `pub`/`pub(crate)` prefixes.
fn find_use(text: &str) -> Option<usize> {
    static USE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))?\s+)?use\s+").expect("valid regex")
    });
    USE.find(text).map(|m| m.end())
}

fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let close = tree.rfind('}').unwrap_or(tree.len());
        let inner = &tree[open + 1..close];
        let len = prefix.len();
        prefix.extend(head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], prefix, out);
        prefix.truncate(len);
    } else if !tree.is_empty() {
        let mut p = prefix.clone();
        let first = tree.split(" as ").next().unwrap_or(tree);
        p.extend(
            first
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "*")
                .map(str::to_string),
        );
        if p.last().is_some_and(|s| s == "self") {
            p.pop();
        }
        out.push(p);
    }
}

/// The file of this crate a path names, if any: its longest prefix that is a module here.
fn resolve(krate: &Crate, from: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut at: Vec<String> = from.to_vec();
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            at.clear();
            segs.next();
        }
        Some("super") | Some("self") => {
            while let Some(s) = segs.peek() {
                match s.as_str() {
                    "super" => {
                        at.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                segs.next();
            }
        }
        Some(first) => {
            // A relative path: to a child module of this file, else nothing of this crate.
            let mut child = from.to_vec();
            child.push(first.to_string());
            if !krate.files.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    let mut found = None;
    for s in segs {
        at.push(s.clone());
        if krate.files.contains_key(&at) {
            found = Some(at.clone());
        } else {
            break;
        }
    }
    found.filter(|f| f.as_slice() != from)
}

fn graph(krate: &Crate) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut g = BTreeMap::new();
    for (module, (_, text)) in &krate.files {
        let edges: BTreeSet<Vec<String>> = paths_named(text)
            .iter()
            .filter_map(|p| resolve(krate, module, p))
            .collect();
        g.insert(module.clone(), edges);
    }
    g
}

/// One cycle of the graph, as the files in order, if there is one.
fn cycle(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark: BTreeMap<&Vec<String>, Mark> = g.keys().map(|k| (k, Mark::New)).collect();
    for start in g.keys() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(&Vec<String>, Vec<&Vec<String>>)> =
            vec![(start, g[start].iter().collect())];
        mark.insert(start, Mark::Open);
        while let Some((node, next)) = stack.last_mut() {
            match next.pop() {
                Some(n) if mark.get(n) == Some(&Mark::Open) => {
                    let from = stack.iter().position(|(m, _)| *m == n).unwrap_or(0);
                    let mut c: Vec<Vec<String>> =
                        stack[from..].iter().map(|(m, _)| (*m).clone()).collect();
                    c.push(n.clone());
                    return Some(c);
                }
                Some(n) if mark.get(n) == Some(&Mark::New) => {
                    mark.insert(n, Mark::Open);
                    stack.push((n, g[n].iter().collect()));
                }
                Some(_) => {}
                None => {
                    let done = *node;
                    mark.insert(done, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    None
}

/// A file's path from the repository's root.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn crates() -> Vec<Crate> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec![load("flotilla", &root.join("src"))];
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/ exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        all.push(load(&name, &d.join("src")));
    }
    all
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut circles = Vec::new();
    for krate in crates() {
        assert!(
            !krate.files.is_empty(),
            "{}: no source files found",
            krate.name
        );
        let mut g = graph(&krate);
        // Each circle once: after reporting one, its closing arrow is taken out.
        while let Some(c) = cycle(&g) {
            let files: Vec<String> = c.iter().map(|m| relative(&krate.files[m].0)).collect();
            circles.push(format!("{}: {}", krate.name, files.join(" -> ")));
            if let [.., from, to] = c.as_slice()
                && let Some(edges) = g.get_mut(from)
            {
                edges.remove(to);
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles (each file names the next):\n{}",
        circles.join("\n")
    );
}

#[test]
fn a_circle_is_found() {
    let krate = Crate {
        name: "sample".into(),
        files: [
            (vec![], "pub mod a;\npub mod b;\n"),
            (vec!["a".to_string()], "use crate::b::Thing;\n"),
            (
                vec!["b".to_string()],
                "// crate::a::Other in a comment is not an import\nfn f() { super::a::g() }\n",
            ),
            (
                vec!["c".to_string()],
                "#[cfg(test)]\nmod tests {\n    use crate::a::Thing;\n}\n",
            ),
        ]
        .into_iter()
        .map(|(k, t)| {
            let text = without_test_modules(&strip_comments(t));
            (k, (PathBuf::from("x.rs"), text))
        })
        .collect(),
    };
    let g = graph(&krate);
    assert!(
        g[&vec!["c".to_string()]].is_empty(),
        "a test module is no import"
    );
    let c = cycle(&g).expect("a -> b -> a");
    assert_eq!(c.len(), 3, "{c:?}");
}
