//! The files a command reads: paths as given, directories walked recursively (sorted,
//! symlinks followed) with optional include/exclude globs; `-` is stdin. Shared by
//! `hunt`, `detect`, `audit` and `exposure`. Paths in output are as given on the
//! command line, joined with the path found inside a directory (docs/CLI.md).

use anyhow::{Context, Result};
use std::path::PathBuf;

/// An input: its path and the name used in records.
pub type Input = (PathBuf, String);

/// A directory entry that could not be read: the path (or the directory) and why.
pub type WalkError = (String, String);

/// The input arguments `hunt` and `detect` share (flattened into their own).
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Files or directories to read ("-" reads stdin)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In directories, only files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// In directories, skip files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Year for timestamps without one (RFC 3164 syslog); default: the current year
    #[arg(long)]
    pub year: Option<i32>,
    /// Longest line accepted; a longer one stops that input with an error
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_line_bytes: usize,
    /// Write the JSON summary here (useful with --format jsonl)
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl InputArgs {
    /// The inputs named, walked with the include/exclude globs.
    pub fn collect(&self) -> Result<(Vec<Input>, Vec<WalkError>)> {
        let filter = Filter::new(&self.include, &self.exclude)?;
        Ok(collect(&self.paths, &filter))
    }

    /// `--year`, else the current year.
    pub fn year(&self) -> i32 {
        self.year.unwrap_or_else(|| {
            stormwatch_model::Timestamp::now().to_string()[..4]
                .parse()
                .unwrap_or(2026)
        })
    }
}

/// Globs for files found inside directories (files named directly always count).
#[derive(Default)]
pub struct Filter {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
}

impl Filter {
    /// Builds the filter from `--include` / `--exclude` globs.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter> {
        let set = |globs: &[String], flag: &str| -> Result<Option<globset::GlobSet>> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = globset::GlobSetBuilder::new();
            for g in globs {
                b.add(globset::Glob::new(g).with_context(|| format!("{flag} {g:?}"))?);
            }
            Ok(Some(b.build()?))
        };
        Ok(Filter {
            include: set(include, "--include")?,
            exclude: set(exclude, "--exclude")?,
        })
    }

    fn admits(&self, p: &std::path::Path) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(p))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(p))
    }
}

/// Expands `paths` into the files to read, in order; unreadable directory entries are
/// returned beside them so that the command reports them and goes on.
pub fn collect(paths: &[PathBuf], filter: &Filter) -> (Vec<Input>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" || !p.is_dir() {
            files.push((p.clone(), p.display().to_string()));
            continue;
        }
        let mut found: Vec<PathBuf> = Vec::new();
        for e in walkdir::WalkDir::new(p).follow_links(true) {
            match e {
                Ok(e) if e.file_type().is_file() => {
                    let path = e.into_path();
                    if filter.admits(&path) {
                        found.push(path);
                    }
                }
                Ok(_) => {}
                Err(err) => errors.push((
                    err.path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string()),
                    err.to_string(),
                )),
            }
        }
        found.sort();
        files.extend(found.into_iter().map(|f| {
            let d = f.display().to_string();
            (f, d)
        }));
    }
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_with_globs() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        for f in ["b.log", "a.log", "sub/c.log", "skip.txt"] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        let filter = Filter::new(&[], &["*.txt".into()]).unwrap();
        let (files, errs) = collect(&[d.path().to_path_buf(), "-".into()], &filter);
        assert!(errs.is_empty());
        let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names.len(), 4);
        assert!(names[0].ends_with("a.log") && names[1].ends_with("b.log"));
        assert!(names[2].ends_with("sub/c.log"));
        assert_eq!(names[3], "-");
        assert!(Filter::new(&["[".into()], &[]).is_err());
    }
}
