//! `stormwatch timing`: time of activity against working hours per UTC offset
//! (docs/CLI.md, `timing`).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_attribution::timing::{self, Events};

/// Which UTC offsets make these timestamps look like office hours? Likelihood
/// ratios per offset (and per hypothesised country, with daylight saving and public
/// holidays), never a verdict. Formats: text, json, csv, svg (heatmap).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CSV with a `time` column, JSON lines with a `time` key (hunt/detect output),
    /// hunt `--format json`, or one timestamp a line; `-` for stdin
    pub file: PathBuf,
    /// A country (CN, US, RU, KP, IR, GB, ...) or IANA zone to test with its
    /// daylight saving and bundled holidays (repeatable)
    #[arg(long)]
    pub hypothesis: Vec<String>,
    /// Share of events assumed to be background at any hour (0-0.9)
    #[arg(long, default_value_t = timing::NOISE)]
    pub noise: f64,
    /// Refuse inputs larger than this many bytes
    #[arg(long, default_value_t = 1 << 30)]
    pub max_input_bytes: u64,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    if !(0.0..=0.9).contains(&a.noise) {
        bail!("--noise {}: use a share between 0 and 0.9", a.noise);
    }
    let name = a.file.display().to_string();
    let bytes = if a.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), a.max_input_bytes + 1),
            &mut b,
        )?;
        b
    } else {
        let len = std::fs::metadata(&a.file)
            .with_context(|| format!("{name}: cannot read"))?
            .len();
        if len > a.max_input_bytes {
            bail!(
                "{name}: {len} bytes is over --max-input-bytes {}",
                a.max_input_bytes
            );
        }
        std::fs::read(&a.file).with_context(|| format!("{name}: cannot read"))?
    };
    if bytes.len() as u64 > a.max_input_bytes {
        bail!("{name}: over --max-input-bytes {}", a.max_input_bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let ev = Events::parse(&text);
    for e in ev.errors.iter().take(20) {
        eprintln!("error: {name}:{}: {:?}: {}", e.line, e.value, e.error);
    }
    if ev.errors.len() > 20 {
        eprintln!(
            "error: {name}: {} more malformed records",
            ev.errors.len() - 20
        );
    }
    if ev.times.is_empty() {
        bail!(
            "{name}: no usable timestamp ({} malformed)",
            ev.errors.len()
        );
    }
    let mut r = timing::analyse(&ev.times, &a.hypothesis, a.noise)?;
    let mut notes = ev.notes.clone();
    notes.append(&mut r.notes);
    r.notes = notes;
    if g.format != stormwatch_report::Format::Text {
        for n in &r.notes {
            g.note(&format!("note: {n}"));
        }
    }
    let mut out = global::stdout();
    stormwatch_report::attribution::timing(&mut out, g.format, &r)?;
    std::io::Write::flush(&mut out)?;
    Ok(if ev.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::Failed
    })
}
