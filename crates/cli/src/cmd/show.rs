//! `stormwatch show`: one object (or every object a name matches), its names and
//! its relationships grouped by type.

use anyhow::Result;

use crate::global::{self, Exit, Global};
use stormwatch_report::{ShownExternalId, ShownObject};

/// Show objects by STIX id, external id (G1045, T1190, CVE-2024-3400) or name/alias.
///
/// Prints the object, its names and its relationships grouped by type with the other
/// end's name. Exit 0 when something matched, 2 when nothing did (with suggestions).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A STIX id, an external id or a name
    #[arg(value_name = "ID|EXTERNAL_ID|NAME")]
    pub key: String,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let store = g.open_store()?;
    let found = store.resolve(&a.key)?;
    if found.is_empty() {
        let sugg = store.suggest(&a.key, 5)?;
        let mut msg = format!("nothing in the store matches {:?}", a.key);
        if !sugg.is_empty() {
            msg.push_str(&format!("; did you mean: {}?", sugg.join(", ")));
        } else {
            msg.push_str("; try `stormwatch search WORDS`");
        }
        if g.format == stormwatch_report::Format::Json {
            let mut out = global::stdout();
            stormwatch_report::write_json(
                &mut out,
                &serde_json::json!({"objects": [], "suggestions": sugg}),
            )?;
            std::io::Write::flush(&mut out)?;
        }
        eprintln!("error: {msg}");
        return Ok(Exit::Failed);
    }
    let mut shown = Vec::with_capacity(found.len());
    for o in found {
        shown.push(ShownObject {
            object: o.value()?,
            names: store.names(&o.id)?,
            external_ids: store
                .external_ids(&o.id)?
                .into_iter()
                .map(|(source, id)| ShownExternalId { source, id })
                .collect(),
            relationships: store.relationships(&o.id)?,
            versions: store.versions(&o.id)?.len(),
        });
    }
    let mut out = global::stdout();
    stormwatch_report::show(&mut out, g.format, &shown)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}
