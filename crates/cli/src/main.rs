//! The `stormwatch` binary: argument parsing, store selection, output format and exit
//! codes, in one place so that every command inherits them (see `docs/CLI.md`). The
//! work itself is done by the library crates; each command module is a thin adapter.

mod cmd;
mod global;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use global::Global;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.global.format.is_common() && !matches!(&cli.command, Command::Actor(_)) {
        eprintln!("error: --format navigator is only for `stormwatch actor show`");
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
    };
    global::finish(result)
}
