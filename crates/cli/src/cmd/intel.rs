//! `stormwatch intel`: the built-in intel pack.

use anyhow::Result;

use crate::global::{self, Exit, Global};
use stormwatch_intel::NoProgress;

/// The built-in Salt Typhoon intel pack (embedded in the binary).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Load the pack into the store: CISA's AA25-239A STIX file, the Salt Typhoon
    /// names with every vendor's alias claims and disputes, the named companies and
    /// the sourced attribution claims. Idempotent.
    Init(InitArgs),
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    match &a.command {
        Sub::Init(_) => {
            let mut store = g.open_store()?;
            let reports = stormwatch_intel::init_pack(store.as_mut(), &mut NoProgress);
            let mut out = global::stdout();
            stormwatch_report::import(&mut out, g.format, &reports)?;
            std::io::Write::flush(&mut out)?;
            Ok(if reports.iter().any(|r| r.is_rejected()) {
                Exit::Failed
            } else {
                Exit::Clean
            })
        }
    }
}
