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
    #[arg(required_unless_present = "from_sightings")]
    pub file: Option<PathBuf>,
    /// Use the first and last seen times of every sighting stored in the store
    /// (`hunt --record`) instead of a file
    #[arg(long, conflicts_with = "file")]
    pub from_sightings: bool,
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
    let ev = match &a.file {
        Some(f) => read_file(f, a.max_input_bytes)?,
        None => sightings(g)?,
    };
    let name = a
        .file
        .as_ref()
        .map_or_else(|| "store sightings".to_owned(), |f| f.display().to_string());
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

/// First and last seen times of the stored sightings.
fn sightings(g: &Global) -> Result<Events> {
    let store = g.open_store()?;
    let mut ev = Events::default();
    for (n, s) in store
        .objects_of_type(&["sighting"])?
        .into_iter()
        .enumerate()
    {
        if s.revoked {
            continue;
        }
        let v = s.value()?;
        for k in ["first_seen", "last_seen"] {
            if let Some(t) = v.get(k).and_then(serde_json::Value::as_str) {
                match timing::parse_time(t) {
                    Ok((t, _)) => ev.times.push(t),
                    Err(e) => ev.errors.push(timing::TimeError {
                        line: n + 1,
                        value: format!("{} {k} {t}", s.id),
                        error: e,
                    }),
                }
            }
        }
    }
    ev.times.sort_unstable();
    ev.times.dedup();
    ev.notes.push("sightings of indicators are machine activity (IOC hits, beacons), not operator actions; their first and last seen times say little about working hours".into());
    Ok(ev)
}

fn read_file(file: &std::path::Path, max: u64) -> Result<Events> {
    let name = file.display().to_string();
    let bytes = if file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(std::io::stdin(), max + 1), &mut b)?;
        b
    } else {
        let len = std::fs::metadata(file)
            .with_context(|| format!("{name}: cannot read"))?
            .len();
        if len > max {
            bail!("{name}: {len} bytes is over --max-input-bytes {max}");
        }
        std::fs::read(file).with_context(|| format!("{name}: cannot read"))?
    };
    if bytes.len() as u64 > max {
        bail!("{name}: over --max-input-bytes {max}");
    }
    Ok(Events::parse(&String::from_utf8_lossy(&bytes)))
}
