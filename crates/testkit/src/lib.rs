//! Test support shared by Stormwatch's crates (a dev-dependency only).
//!
//! Owns the rules for finding test data and oracles: big real data lives in
//! `shared/` beside the workspace root (never relative to a crate); when it is
//! absent, tests skip with a clear message, except under `CI=true`, where its
//! absence is a failure. The same holds for the Python oracle tools that `.ci/run`
//! installs.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// True when running under CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A file or folder of the workspace's bundled example data (`examples/`).
pub fn example(rel: &str) -> PathBuf {
    workspace_root().join("examples").join(rel)
}

/// A path under `shared/data` beside the workspace root, or `None` (after printing
/// why the test is skipped) when it is absent. Under `CI=true` absence panics.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = workspace_root().join("../shared/data").join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "shared test data {} is absent (expected shared/ beside the workspace root)",
        p.display()
    );
    if in_ci() {
        panic!("{msg}; under CI=true this is a failure");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// An oracle tool whose path `.ci/run` exports in the environment variable `var`
/// (e.g. `STORMWATCH_STIX2_VALIDATOR`), or `None` (after printing why) when unset.
/// Under `CI=true` absence panics.
pub fn oracle(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var).map(PathBuf::from) {
        Some(p) if p.exists() => Some(p),
        _ => {
            let msg = format!("oracle {var} is not set or missing (bash .ci/run installs it)");
            if in_ci() {
                panic!("{msg}; under CI=true this is a failure");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}
