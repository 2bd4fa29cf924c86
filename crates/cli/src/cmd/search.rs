//! `stormwatch search`: full-text search over names, aliases, ids and descriptions.

use anyhow::Result;

use crate::global::{self, Exit, Global};
use stormwatch_store::SearchQuery;

/// Search names, aliases, external ids and descriptions (every word must match, as a
/// prefix; best matches first). Exit 0 with hits, 1 with none.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Words to search for
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,

    /// Only objects of this STIX type (repeatable), e.g. intrusion-set
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub types: Vec<String>,

    /// At most this many hits
    #[arg(long, default_value_t = 50)]
    pub limit: usize,

    /// Include revoked and deprecated objects
    #[arg(long)]
    pub include_revoked: bool,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let store = g.open_store()?;
    let hits = store.search(&SearchQuery {
        text: a.query.join(" "),
        types: a.types.clone(),
        limit: a.limit,
        include_revoked: a.include_revoked,
    })?;
    let mut out = global::stdout();
    stormwatch_report::search(&mut out, g.format, &hits)?;
    std::io::Write::flush(&mut out)?;
    Ok(if hits.is_empty() {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
