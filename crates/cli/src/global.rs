//! What every command shares: global options, store selection, output, progress and
//! exit codes (docs/CLI.md, "Global" and "Exit codes").

use anyhow::{bail, Context};
use clap::builder::TypedValueParser;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use stormwatch_report::Format;
use stormwatch_store::{Location, Store};

/// Options accepted by every command.
#[derive(Args, Debug)]
pub struct Global {
    /// SQLite store file [env: STORMWATCH_DB; default: the platform data directory]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "database_url"
    )]
    pub db: Option<PathBuf>,

    /// PostgreSQL store, e.g. postgres://user@host/db [env: STORMWATCH_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Output format: text, json (one document), jsonl (one record a line), csv
    #[arg(long, short = 'f', global = true, default_value = "text", value_name = "FORMAT",
          value_parser = clap::builder::PossibleValuesParser::new(Format::NAMES)
              .map(|s| s.parse::<Format>().unwrap_or(Format::Text)))]
    pub format: Format,

    /// Never draw progress bars (they are drawn on stderr only when it is a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Print no warnings or summaries on stderr (errors are still printed)
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// How a command ended; maps onto the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success, nothing found.
    Clean,
    /// 1: findings (or: no search hits).
    Findings,
    /// 2: some input failed; the rest was processed and reported.
    Failed,
}

impl Global {
    /// Where the store is: flags beat environment variables; without either, the
    /// platform data directory.
    pub fn location(&self) -> anyhow::Result<Location> {
        if let Some(url) = &self.database_url {
            return Ok(Location::Postgres(url.clone()));
        }
        if let Some(p) = &self.db {
            return Ok(Location::Sqlite(p.clone()));
        }
        if let Some(url) = std::env::var_os("STORMWATCH_DATABASE_URL").filter(|v| !v.is_empty()) {
            return Ok(Location::Postgres(url.to_string_lossy().into_owned()));
        }
        if let Some(p) = std::env::var_os("STORMWATCH_DB").filter(|v| !v.is_empty()) {
            return Ok(Location::Sqlite(PathBuf::from(p)));
        }
        match dirs::data_dir() {
            Some(d) => Ok(Location::Sqlite(d.join("stormwatch").join("stormwatch.db"))),
            None => {
                bail!("no platform data directory; choose a store with --db PATH or STORMWATCH_DB")
            }
        }
    }

    /// Opens the selected store.
    pub fn open_store(&self) -> anyhow::Result<Box<dyn Store>> {
        let loc = self.location()?;
        loc.open()
            .with_context(|| format!("cannot open the store at {loc}"))
    }

    /// A progress bar on stderr, hidden when stderr is not a terminal.
    pub fn progress(&self, msg: &str) -> ProgressBar {
        let pb = if self.no_progress || self.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10))
        };
        pb.set_message(msg.to_owned());
        pb
    }

    /// A warning or summary line on stderr, unless `--quiet`.
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

/// Sets a bar up for a stage of known or unknown length.
pub fn stage(pb: &ProgressBar, name: &str, total: Option<u64>, bytes: bool) {
    match total {
        Some(t) => {
            pb.set_length(t);
            pb.set_position(0);
            let tpl = if bytes {
                "{msg} {prefix:>9} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ({eta})"
            } else {
                "{msg} {prefix:>9} [{bar:30}] {pos}/{len} ({eta})"
            };
            pb.set_style(
                ProgressStyle::with_template(tpl)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
        }
        None => pb.set_style(ProgressStyle::default_spinner()),
    }
    pb.set_prefix(name.to_owned());
}

/// Buffered stdout.
pub fn stdout() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

/// Turns a command's result into the process exit code, printing errors. A closed
/// stdout (`| head`) ends the program quietly.
pub fn finish(result: anyhow::Result<Exit>) -> ExitCode {
    match result {
        Ok(Exit::Clean) => ExitCode::from(0),
        Ok(Exit::Findings) => ExitCode::from(1),
        Ok(Exit::Failed) => ExitCode::from(2),
        Err(e) => {
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::from(0);
            }
            let _ = std::io::stdout().flush();
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
