//! `stormwatch ach`: Analysis of Competing Hypotheses on a case file (docs/CLI.md, `ach`).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_attribution::ach::{self, Case};
use stormwatch_model::Timestamp;

/// The Salt Typhoon example case (examples/ach-salt-typhoon.toml).
const EXAMPLE: &str = include_str!("../../../../examples/ach-salt-typhoon.toml");

/// Analysis of Competing Hypotheses: score a case file's hypotheses against its
/// evidence (least inconsistent first), with diagnosticity and a sensitivity check.
/// Formats: text (matrix), md, html, json.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// The case file (TOML) to score
    pub case: Option<PathBuf>,
    /// Also store the case and its scores in the store as STIX (a grouping with an
    /// extension), so that `export` carries it; prints its id on stderr
    #[arg(long)]
    pub store: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Write a case file to edit (never overwrites).
    Init {
        case: PathBuf,
        /// Start from the Salt Typhoon example (public reporting, cited) instead of a blank template
        #[arg(long)]
        example: bool,
    },
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    if let Some(Sub::Init { case, example }) = &a.command {
        if case.exists() {
            bail!(
                "{}: already exists; choose another name (init never overwrites)",
                case.display()
            );
        }
        let text = if *example { EXAMPLE } else { ach::TEMPLATE };
        std::fs::write(case, text).with_context(|| format!("{}: cannot write", case.display()))?;
        g.note(&format!(
            "wrote {}; edit it, then run `stormwatch ach {}`",
            case.display(),
            case.display()
        ));
        return Ok(Exit::Clean);
    }
    let Some(path) = &a.case else {
        bail!("give a case file (`stormwatch ach CASE.toml`) or create one with `stormwatch ach init CASE.toml`");
    };
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.len() > 16 << 20 {
        bail!(
            "{}: larger than 16 MiB; a case file is a short TOML document",
            path.display()
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let case = Case::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let analysis = case.analyse();
    if g.format != stormwatch_report::Format::Text {
        for w in &analysis.warnings {
            g.note(&format!("warning: {}: {w}", path.display()));
        }
    }
    if a.store {
        let mut store = g.open_store()?;
        let who = case
            .analyst
            .clone()
            .unwrap_or_else(|| "Stormwatch analyst".into());
        let ident = stormwatch_intel::formats::source_identity(&who, "individual");
        let ident_id = ident["id"].as_str().unwrap_or_default().to_owned();
        let mut objs = Vec::new();
        if store.existing_ids(&[&ident_id])?.is_empty() {
            objs.push(ident);
        }
        objs.push(ach::extension_definition(&ident_id));
        let grouping = ach::to_stix(&case, &analysis, &ident_id, &Timestamp::now().to_string());
        let id = grouping["id"].as_str().unwrap_or_default().to_owned();
        objs.push(grouping);
        stormwatch_intel::write_objects(store.as_mut(), objs).map_err(anyhow::Error::msg)?;
        g.note(&format!("stored the case as {id}"));
    }
    let mut out = global::stdout();
    stormwatch_report::attribution::ach(&mut out, g.format, &analysis)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}
