//! The `hunt --format json` document and the choice of indicators, shared by the
//! CLI and the server's `POST /api/hunt` (docs/CLI.md, `hunt` and `intel init`).

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Read};

use crate::indicators::{self, Built, IndicatorDef, Unsweepable};
use crate::iocs::{Ioc, IocSet, PlainList, Source};
use crate::sweep::{self, InputReport, Match, Options};

/// What a match means, printed with every hunt.
pub const CAVEAT: &str = "A match is a lead, not proof: many indicator addresses are rented or shared infrastructure (CISA warns some are compromised third-party hosts); check the time window.";

/// Where the indicators came from, as reported in JSON output.
#[derive(Serialize, Clone, Debug)]
pub struct IndicatorInfo {
    pub source: String,
    pub indicators: usize,
    pub values: usize,
}

/// The compiled indicator set and a description of its origin.
pub struct Selected {
    pub built: Built,
    pub info: IndicatorInfo,
    /// The built-in pack was used because nothing else was given.
    pub used_pack: bool,
}

/// Values of plain lists (from `--iocs` files), with the lists their
/// [`Label::Plain`](crate::iocs::Label::Plain) labels name by index.
#[derive(Debug, Default)]
pub struct PlainValues {
    pub lists: Vec<PlainList>,
    pub values: Vec<(Ioc, Source)>,
}

/// The indicators a command sweeps for: `stored` (the store's, or what the caller
/// may see of it) plus `extra` definitions and `plain` values (from `--iocs`
/// files); when all are empty, the indicators of `pack` (the built-in pack's
/// AA25-239A bundle, `stormwatch_intel::pack::ADVISORY_STIX`).
pub fn select(
    stored: Vec<IndicatorDef>,
    extra: Vec<IndicatorDef>,
    plain: PlainValues,
    pack: &str,
) -> Selected {
    let PlainValues { lists, values } = plain;
    let from_store = stored.len();
    let mut defs = stored;
    defs.extend(extra);
    let mut source = format!(
        "{from_store} from the store, {} from --iocs",
        defs.len() - from_store + values.len()
    );
    let mut used_pack = false;
    if defs.is_empty() && values.is_empty() {
        defs = pack_defs(pack);
        source = "the built-in pack (AA25-239A)".into();
        used_pack = true;
    }
    let mut built = indicators::build(&defs);
    built.swept += values.len();
    for l in lists {
        built.set.add_list(l);
    }
    built.set.add_all(values);
    let info = IndicatorInfo {
        source,
        indicators: built.swept,
        values: built.set.len(),
    };
    Selected {
        built,
        info,
        used_pack,
    }
}

/// The indicator definitions of a STIX bundle's text (none when it is not one).
pub fn pack_defs(bundle: &str) -> Vec<IndicatorDef> {
    let v: Value = serde_json::from_str(bundle).unwrap_or(Value::Null);
    v["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(IndicatorDef::from_stix)
        .collect()
}

/// One indicator's hits over the sweep.
#[derive(Serialize, Default, Debug, Clone)]
pub struct Summary {
    pub indicator: String,
    pub indicator_value: String,
    pub hits: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub files: Vec<String>,
}

/// An input that could not be read (to its end).
#[derive(Serialize, Debug, Clone)]
pub struct HuntError {
    pub file: String,
    pub position: Option<u64>,
    pub error: String,
}

/// Per-indicator summaries, accumulated match by match.
#[derive(Default, Debug)]
pub struct Summaries(BTreeMap<String, Summary>);

impl Summaries {
    /// Counts one match.
    pub fn add(&mut self, m: &Match) {
        let s = self
            .0
            .entry(m.indicator.clone())
            .or_insert_with(|| Summary {
                indicator: m.indicator.clone(),
                indicator_value: m.indicator_value.clone(),
                ..Default::default()
            });
        s.hits += 1;
        if let Some(t) = &m.time {
            if s.first_seen.as_ref().is_none_or(|f| t < f) {
                s.first_seen = Some(t.clone());
            }
            if s.last_seen.as_ref().is_none_or(|l| t > l) {
                s.last_seen = Some(t.clone());
            }
        }
        if !s.files.contains(&m.file) {
            s.files.push(m.file.clone());
        }
    }

    /// The summaries, by indicator id.
    pub fn into_vec(self) -> Vec<Summary> {
        self.0.into_values().collect()
    }
}

/// The `hunt --format json` document.
#[derive(Serialize, Debug)]
pub struct HuntDoc {
    pub matches: Vec<Match>,
    pub summary: Vec<Summary>,
    pub inputs: Vec<InputReport>,
    pub errors: Vec<HuntError>,
    pub unsweepable: Vec<Unsweepable>,
    pub indicators: IndicatorInfo,
    pub caveat: &'static str,
}

impl HuntDoc {
    /// Total matches.
    pub fn total(&self) -> u64 {
        self.summary.iter().map(|s| s.hits).sum()
    }
}

/// Sweeps one input named `display` for `set` and returns the json document.
pub fn sweep_one(
    set: &IocSet,
    unsweepable: Vec<Unsweepable>,
    info: IndicatorInfo,
    display: &str,
    reader: impl Read + Send,
    opts: &Options,
) -> io::Result<HuntDoc> {
    let mut matches = Vec::new();
    let mut summaries = Summaries::default();
    let mut sink = |m: &Match| -> io::Result<()> {
        summaries.add(m);
        matches.push(m.clone());
        Ok(())
    };
    let rep = sweep::sweep(set, display, reader, opts, &mut sink)?;
    let errors = rep
        .error
        .iter()
        .map(|e| HuntError {
            file: display.to_owned(),
            position: Some(e.position),
            error: e.error.clone(),
        })
        .collect();
    Ok(HuntDoc {
        matches,
        summary: summaries.into_vec(),
        inputs: vec![rep],
        errors,
        unsweepable,
        indicators: info,
        caveat: CAVEAT,
    })
}
