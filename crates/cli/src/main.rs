//! The `stormwatch` binary: argument parsing, store selection, output format and exit
//! codes, in one place so that every command inherits them (see `docs/CLI.md`). The
//! work itself is done by the library crates; each command module is a thin adapter.

mod cmd;
mod global;
mod indicators;
mod inputs;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use global::Global;
use stormwatch_report::Format;

/// Stormwatch: find Salt Typhoon class intrusions in telecom networks.
///
/// A STIX 2.1 knowledge base with hunting, detection, configuration audit and
/// attribution tools for network defenders. Works offline; one binary.
///
/// Exit codes: 0 = success / nothing found, 1 = findings (or no search hits),
/// 2 = error (failed inputs are reported after the rest was processed).
#[derive(Parser)]
#[command(
    name = "stormwatch",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Import(cmd::import::Args),
    Export(cmd::export::Args),
    Search(cmd::search::Args),
    Show(cmd::show::Args),
    Stats(cmd::stats::Args),
    Intel(cmd::intel::Args),
    Actor(cmd::actor::Args),
    Hunt(cmd::hunt::Args),
    Audit(cmd::audit::Args),
    Exposure(cmd::exposure::Args),
    Detect(cmd::detect::Args),
    Serve(cmd::serve::Args),
    Admin(cmd::admin::Args),
    Attribute(cmd::attribute::Args),
    Claim(cmd::claim::Args),
    Ach(cmd::ach::Args),
    Timing(cmd::timing::Args),
}

impl Command {
    /// The formats beyond text/json/jsonl/csv that this command accepts
    /// (docs/CLI.md, "Global").
    fn extra_formats(&self) -> &'static [Format] {
        match self {
            Command::Actor(_) => &[Format::Navigator],
            Command::Audit(_) => &[Format::Sarif],
            Command::Ach(_) => &[Format::Md, Format::Html],
            Command::Timing(_) => &[Format::Svg],
            _ => &[],
        }
    }
}

/// jemalloc (as ruff uses on Linux): the server's pages allocate many short-lived strings
/// and one large body each, and glibc's malloc spent a quarter of the server's CPU on
/// them (BENCHMARKS.md, TAXII server).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.global.format;
    if !format.is_common() && !cli.command.extra_formats().contains(&format) {
        eprintln!(
            "error: --format {} is not available for this command (text, json, jsonl, csv{})",
            format.name(),
            cli.command
                .extra_formats()
                .iter()
                .map(|f| format!(", {}", f.name()))
                .collect::<String>()
        );
        return ExitCode::from(2);
    }
    let result = match &cli.command {
        Command::Import(a) => cmd::import::run(&cli.global, a),
        Command::Export(a) => cmd::export::run(&cli.global, a),
        Command::Search(a) => cmd::search::run(&cli.global, a),
        Command::Show(a) => cmd::show::run(&cli.global, a),
        Command::Stats(a) => cmd::stats::run(&cli.global, a),
        Command::Intel(a) => cmd::intel::run(&cli.global, a),
        Command::Actor(a) => cmd::actor::run(&cli.global, a),
        Command::Hunt(a) => cmd::hunt::run(&cli.global, a),
        Command::Audit(a) => cmd::audit::run(&cli.global, a),
        Command::Exposure(a) => cmd::exposure::run(&cli.global, a),
        Command::Detect(a) => cmd::detect::run(&cli.global, a),
        Command::Serve(a) => cmd::serve::run(&cli.global, a),
        Command::Admin(a) => cmd::admin::run(&cli.global, a),
        Command::Attribute(a) => cmd::attribute::run(&cli.global, a),
        Command::Claim(a) => cmd::claim::run(&cli.global, a),
        Command::Ach(a) => cmd::ach::run(&cli.global, a),
        Command::Timing(a) => cmd::timing::run(&cli.global, a),
    };
    global::finish(result)
}
