//! `stormwatch attribute`: rank the stored intrusion sets by overlap with what was
//! observed (docs/CLI.md, `attribute`).

use anyhow::{Context, Result};
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_attribution::actors::Options;
use stormwatch_attribution::commands::{self, CommandError};
use stormwatch_attribution::overlap::Observation;

/// Rank known intrusion sets by overlap with observed techniques, software,
/// indicators, CVEs, sectors and countries (rarer items weigh more). Exit 0 when
/// ranked, 2 when no observed item is known.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// ATT&CK technique ids, comma-separated (e.g. T1190,T1059.008)
    #[arg(long, value_delimiter = ',')]
    pub ttp: Vec<String>,
    /// Software ids or names (e.g. S1206, JumbledPath)
    #[arg(long, value_delimiter = ',')]
    pub software: Vec<String>,
    /// Indicator values (matched against indicators attributed to stored actors)
    #[arg(long, value_delimiter = ',')]
    pub indicator: Vec<String>,
    /// CVE ids
    #[arg(long, value_delimiter = ',')]
    pub cve: Vec<String>,
    /// Targeted sector (repeatable)
    #[arg(long)]
    pub sector: Vec<String>,
    /// Targeted country (ISO code or name, repeatable)
    #[arg(long)]
    pub country: Vec<String>,
    /// Also use the indicators of every sighting recorded in the store (`hunt --record`)
    #[arg(long)]
    pub from_sightings: bool,
    /// Number of candidates shown
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Merge stored actors only through same-as links with at least this confidence
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_confidence: u8,
    /// Also merge through disputed same-as links
    #[arg(long)]
    pub include_disputed: bool,
    /// Observations file: JSON ({"ttp": [...], "software": [...], ...} or a list),
    /// hunt JSON lines, CSV `kind,value`, or one value a line; `-` for stdin
    pub file: Option<PathBuf>,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let mut obs = Observation {
        ttp: a.ttp.clone(),
        software: a.software.clone(),
        indicator: a.indicator.clone(),
        cve: a.cve.clone(),
        sector: a.sector.clone(),
        country: a.country.clone(),
    };
    if let Some(f) = &a.file {
        let bytes = if f.as_os_str() == "-" {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)?;
            b
        } else {
            std::fs::read(f).with_context(|| format!("{}: cannot read", f.display()))?
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not UTF-8 text (byte {})",
                f.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        let more =
            Observation::parse_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        obs.ttp.extend(more.ttp);
        obs.software.extend(more.software);
        obs.indicator.extend(more.indicator);
        obs.cve.extend(more.cve);
        obs.sector.extend(more.sector);
        obs.country.extend(more.country);
    }
    let store = g.open_store()?;
    if a.from_sightings {
        let values = commands::sighting_values(store.as_ref())?;
        g.note(&format!(
            "{} indicator value(s) from stored sightings",
            values.len()
        ));
        obs.indicator.extend(values);
    }
    let o = Options {
        min_confidence: a.min_confidence,
        include_disputed: a.include_disputed,
    };
    let r = match commands::attribute(store.as_ref(), &obs, a.limit, o) {
        Ok(r) => r,
        Err(CommandError::NothingObserved) => {
            anyhow::bail!("nothing observed: give --ttp, --software, --indicator, --cve, --sector, --country, a FILE or --from-sightings")
        }
        Err(CommandError::NothingKnown { ranking, .. }) => {
            warn_ignored(g, &ranking);
            let mut out = global::stdout();
            stormwatch_report::attribution::ranking(&mut out, g.format, &ranking)?;
            std::io::Write::flush(&mut out)?;
            anyhow::bail!(
                "none of the {} observed value(s) is known to the store (ignored: {}); load ATT&CK with `stormwatch import enterprise-attack.json`",
                obs.len(),
                ranking.ignored.join(", ")
            );
        }
        Err(CommandError::Store(e)) => {
            return Err(anyhow::Error::new(e).context("reading actor profiles from the store"))
        }
        Err(e) => return Err(e.into()),
    };
    warn_ignored(g, &r.ranking);
    if r.no_profiles {
        g.note("warning: the store has no actor with a known profile (import ATT&CK first)");
    }
    let mut out = global::stdout();
    stormwatch_report::attribution::ranking(&mut out, g.format, &r.ranking)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}

fn warn_ignored(g: &Global, r: &stormwatch_attribution::overlap::Ranking) {
    for i in &r.ignored_detail {
        g.note(&format!(
            "warning: ignored {} {:?}: {}",
            i.kind.name(),
            i.value,
            i.reason
        ));
    }
}
