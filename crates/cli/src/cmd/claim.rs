//! `stormwatch claim`: record and list graded attribution claims (docs/CLI.md,
//! "Claims (the claim model)").

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::global::{self, Exit, Global};
use stormwatch_attribution::claims::{self, GROUP_PROPERTY};
use stormwatch_model::claim::{is_partial_date, Admiralty, ClaimKind, ClaimSpec, CLAIM_PROPERTY};
use stormwatch_model::Timestamp;
use stormwatch_store::Store;

/// Graded claims: who says what about whom, when, how reliably, how independently.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Record a claim: SUBJECT KIND OBJECT, e.g. `"Salt Typhoon" attributed-to
    /// "People's Republic of China (state)"`. Prints the claim's id alone on stdout.
    Add {
        /// Who or what the claim is about (name, external id or STIX id)
        subject: String,
        /// attributed-to, not-attributed-to, fabricated, same-as, overlaps-with, distinct-from
        kind: String,
        /// The other end (for `fabricated`: by whom it is said to be fabricated)
        object: String,
        /// Who makes the claim
        #[arg(long)]
        source: String,
        /// Admiralty grade: reliability A-F then credibility 1-6, e.g. B2 [default:
        /// the source table's grade, F6 for unknown sources]
        #[arg(long)]
        grade: Option<String>,
        /// When the source made it: YYYY, YYYY-MM or YYYY-MM-DD (omit if unknown)
        #[arg(long)]
        date: Option<String>,
        /// Citation: publisher, date, title
        #[arg(long)]
        reference: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Independence group of the source (sources in one group do not corroborate
        /// each other) [default: the source table's group, else the source itself]
        #[arg(long)]
        group: Option<String>,
        /// Create the subject or object as an organisation when no stored object has that name
        #[arg(long)]
        create: bool,
    },
    /// List claims, and per proposition the number of independent source groups.
    List {
        /// Only claims whose subject or object name contains this text
        #[arg(long)]
        about: Option<String>,
        /// Only this kind (e.g. attributed-to)
        #[arg(long)]
        kind: Option<String>,
        /// Only claims by this source
        #[arg(long)]
        source: Option<String>,
        /// Also list retracted (revoked) claims
        #[arg(long)]
        include_revoked: bool,
    },
}

fn resolve(
    store: &dyn Store,
    key: &str,
    create: bool,
    out: &mut Vec<serde_json::Map<String, Value>>,
) -> Result<String> {
    let found = store.resolve(key)?;
    if let Some(o) = found.iter().find(|o| !o.revoked).or(found.first()) {
        return Ok(o.id.clone());
    }
    if create {
        let id = stormwatch_model::deterministic_id("Stormwatch analyst", "identity", key);
        let ts = Timestamp::now().to_string();
        if let Value::Object(m) = json!({"type": "identity", "spec_version": "2.1", "id": id,
            "created": ts, "modified": ts, "name": key, "identity_class": "organization"})
        {
            out.push(m);
        }
        return Ok(id);
    }
    let s = store.suggest(key, 5)?;
    if s.is_empty() {
        bail!("no stored object is named {key:?}; add --create to record it as a new organisation")
    }
    bail!(
        "no stored object is named {key:?}; did you mean: {}? (or add --create)",
        s.join(", ")
    )
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    match &a.command {
        Sub::Add {
            subject,
            kind,
            object,
            source,
            grade,
            date,
            reference,
            url,
            note,
            group,
            create,
        } => {
            let kind_v = ClaimKind::from_relationship_type(kind).with_context(|| {
                format!("claim kind {kind:?}: use attributed-to, not-attributed-to, fabricated, same-as, overlaps-with or distinct-from")
            })?;
            let grade = match grade {
                Some(s) => Admiralty::parse(s).with_context(|| {
                    format!("--grade {s:?}: use reliability A-F then credibility 1-6, e.g. B2")
                })?,
                None => stormwatch_intel::sources::grade(source),
            };
            if let Some(d) = date {
                if !is_partial_date(d) {
                    bail!("--date {d:?}: use YYYY, YYYY-MM or YYYY-MM-DD (omit it when unknown)");
                }
            }
            if reference.trim().is_empty() {
                bail!("--reference is empty: cite the publisher, date and title");
            }
            let mut store = g.open_store()?;
            let mut objs = Vec::new();
            let s = resolve(store.as_ref(), subject, *create, &mut objs)?;
            let t = resolve(store.as_ref(), object, *create, &mut objs)?;
            let mut ident = stormwatch_intel::formats::source_identity(source, "organization");
            let ident_id = ident["id"].as_str().unwrap_or_default().to_owned();
            let stored_group = store
                .get(&ident_id)?
                .and_then(|o| o.value().ok())
                .and_then(|v| {
                    v.get(GROUP_PROPERTY)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
            let grp = group
                .clone()
                .or(stored_group.clone())
                .unwrap_or_else(|| claims::group_of_source(source));
            if store.existing_ids(&[&ident_id])?.is_empty() {
                ident.insert(GROUP_PROPERTY.into(), json!(grp));
                objs.push(ident);
            } else if stored_group.as_deref().is_some_and(|sg| sg != grp) {
                g.note(&format!(
                    "note: {source} is in group {:?} on its identity; this claim records group {grp:?}",
                    stored_group.unwrap_or_default()
                ));
            }
            let ts = Timestamp::now().to_string();
            let mut claim = ClaimSpec {
                kind: kind_v,
                source_ref: &s,
                target_ref: &t,
                created_by_ref: &ident_id,
                source_name: source,
                date: date.as_deref(),
                grade,
                reference,
                url: url.as_deref(),
                note: note.as_deref(),
                timestamp: &ts,
            }
            .to_stix();
            if let Some(Value::Object(c)) = claim.get_mut(CLAIM_PROPERTY) {
                c.insert("independence_group".into(), json!(grp));
            }
            let id = claim["id"].as_str().unwrap_or_default().to_owned();
            objs.push(claim);
            stormwatch_intel::write_objects(store.as_mut(), objs).map_err(anyhow::Error::msg)?;
            println!("{id}");
            Ok(Exit::Clean)
        }
        Sub::List {
            about,
            kind,
            source,
            include_revoked,
        } => {
            let store = g.open_store()?;
            let mut all = claims::load(store.as_ref(), *include_revoked)?;
            let lc = |s: &Option<String>| s.as_deref().unwrap_or("").to_lowercase();
            if let Some(x) = about {
                let x = x.to_lowercase();
                all.retain(|c| lc(&c.subject).contains(&x) || lc(&c.object).contains(&x));
            }
            if let Some(k) = kind {
                all.retain(|c| &c.kind == k);
            }
            if let Some(s) = source {
                let s = s.to_lowercase();
                all.retain(|c| lc(&c.source) == s);
            }
            let props = claims::propositions(&all);
            let mut out = global::stdout();
            stormwatch_report::attribution::claims(&mut out, g.format, &all, &props)?;
            std::io::Write::flush(&mut out)?;
            Ok(Exit::Clean)
        }
    }
}
