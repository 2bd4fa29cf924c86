//! `stormwatch attribute`: rank the stored intrusion sets by overlap with what was
//! observed (docs/CLI.md, `attribute`).

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_attribution::actors::{ActorGraph, Options};
use stormwatch_attribution::overlap::{pattern_values, Index, Observation, Params};

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
        let mut n = 0usize;
        for s in store.objects_of_type(&["sighting"])? {
            if s.revoked {
                continue;
            }
            let v = s.value()?;
            let Some(ind) = v.get("sighting_of_ref").and_then(Value::as_str) else {
                continue;
            };
            if let Some(io) = store.get(ind)? {
                let iv = io.value()?;
                for val in pattern_values(iv.get("pattern").and_then(Value::as_str).unwrap_or("")) {
                    obs.indicator.push(val);
                    n += 1;
                }
            }
        }
        g.note(&format!("{n} indicator value(s) from stored sightings"));
    }
    if obs.is_empty() {
        anyhow::bail!("nothing observed: give --ttp, --software, --indicator, --cve, --sector, --country, a FILE or --from-sightings");
    }
    let o = Options {
        min_confidence: a.min_confidence,
        include_disputed: a.include_disputed,
    };
    let graph = ActorGraph::load(store.as_ref()).context("reading actors from the store")?;
    let mut ix =
        Index::load(store.as_ref(), &graph, o).context("reading actor profiles from the store")?;
    ix.learn(store.as_ref(), &obs)
        .context("looking up observed values in the store")?;
    let r = ix.rank(&obs, &Params::default(), a.limit.max(1));
    for i in &r.ignored_detail {
        g.note(&format!(
            "warning: ignored {} {:?}: {}",
            i.kind.name(),
            i.value,
            i.reason
        ));
    }
    if r.used.is_empty() {
        let mut out = global::stdout();
        stormwatch_report::attribution::ranking(&mut out, g.format, &r)?;
        std::io::Write::flush(&mut out)?;
        anyhow::bail!(
            "none of the {} observed value(s) is known to the store (ignored: {}); load ATT&CK with `stormwatch import enterprise-attack.json`",
            obs.len(),
            r.ignored.join(", ")
        );
    }
    if ix.groups.is_empty() {
        g.note("warning: the store has no actor with a known profile (import ATT&CK first)");
    }
    let mut out = global::stdout();
    stormwatch_report::attribution::ranking(&mut out, g.format, &r)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}
