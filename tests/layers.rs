//! The crate's modules form layers, and each uses only those below it: a change to a lower
//! layer can be reasoned about without the ones above. The order is declared here once;
//! a `use` or path that reaches up (or a module missing from the order) fails the test.

use std::path::Path;

/// Lowest first. `ffi::sys` (operating-system calls, the only `unsafe` outside the C
/// membrane's own functions) sits at the bottom; `ffi` itself, the C ABI, on top.
const LAYERS: &[&str] = &[
    "signing",
    "ssrf",
    "clock",
    "ffi::sys",
    "spool::frame",
    "error",
    "settings",
    "config",
    "retry",
    "spool::segment",
    "spool",
    "delivery",
    "results",
    "worker::scheduler",
    "worker::state_log",
    "worker",
    "engine",
    "ffi::status",
    "ffi",
    "fuzzing",
    "lib",
    "bin",
];

/// The module a source file is, e.g. `src/worker/scheduler.rs` → `worker::scheduler`.
fn module_of(rel: &str) -> String {
    let m = rel.trim_end_matches(".rs").trim_end_matches("/mod").replace('/', "::");
    if m.starts_with("bin::") {
        "bin".into()
    } else {
        m
    }
}

/// The crate modules `code` refers to (`crate::a::b`, `super::b`), comments and unit tests left out.
fn references(module: &str, code: &str) -> Vec<String> {
    let code = code.split("#[cfg(test)]\nmod tests").next().unwrap_or(code);
    let parent = module.rsplit_once("::").map(|(p, _)| p.to_string());
    let mut out = Vec::new();
    for line in code.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        let line = line.split("//").next().unwrap_or(line);
        for (prefix, base) in [("crate::", None), ("super::", parent.as_deref())] {
            let mut rest = line;
            while let Some(i) = rest.find(prefix) {
                rest = &rest[i + prefix.len()..];
                let path: Vec<&str> = rest
                    .split(|c: char| !(c.is_ascii_lowercase() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .take(2)
                    .collect();
                let Some(first) = path.first() else { continue };
                let (a, b) = match base {
                    Some(p) => (p.to_string(), Some(first.to_string())),
                    None if prefix == "super::" => continue,
                    None => (first.to_string(), path.get(1).map(|s| s.to_string())),
                };
                let nested = b.map(|b| format!("{a}::{b}"));
                out.push(match nested {
                    Some(n) if LAYERS.contains(&n.as_str()) => n,
                    _ => a,
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn rank(m: &str) -> usize {
    LAYERS.iter().position(|l| *l == m).unwrap_or_else(|| panic!("module {m} is not in LAYERS: place it there"))
}

#[test]
fn no_module_uses_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut checked = 0;
    let mut upward = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let module = module_of(&rel);
            let code = std::fs::read_to_string(&path).unwrap();
            for r in references(&module, &code) {
                if r != module && !r.starts_with(&format!("{module}::")) && rank(&r) >= rank(&module) {
                    upward.push(format!("{module} uses {r}"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} files");
    assert!(upward.is_empty(), "uses that reach up a layer: {upward:?}");
}

#[test]
fn the_check_sees_what_it_must() {
    assert_eq!(
        references("worker::state_log", "use super::scheduler::{Job};\nuse crate::spool::{self, frame};"),
        ["spool", "worker::scheduler"]
    );
    assert_eq!(
        references(
            "delivery",
            "// crate::engine in a comment\nuse crate::spool::frame::Cursor; let x = crate::engine::global();"
        ),
        ["engine", "spool::frame"]
    );
    assert_eq!(references("worker", "crate::ffi::background_thread();"), ["ffi"]);
    assert_eq!(
        references("clock", "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::engine::Engine;\n}"),
        Vec::<String>::new()
    );
}
