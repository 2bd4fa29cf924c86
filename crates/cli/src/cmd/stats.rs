//! `stormwatch stats`: what the store holds.

use anyhow::Result;

use crate::global::{self, Exit, Global};

/// Show counts per object type, versions and the store's size on disk.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(g: &Global, _: &Args) -> Result<Exit> {
    let store = g.open_store()?;
    let s = store.stats()?;
    let mut out = global::stdout();
    stormwatch_report::stats(&mut out, g.format, &s)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}
