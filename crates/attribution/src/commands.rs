//! The `actor why` and `attribute` commands as functions over a store, shared by
//! the CLI and the server (which runs them on the caller's view of the store).
//! They return plain results and typed errors; rendering is `stormwatch-report`'s.

use serde_json::Value;

use crate::actors::{ActorGraph, Options, Why};
use crate::overlap::{pattern_values, Index, Observation, Params, Ranking};
use stormwatch_store::{Store, StoreError};

/// Why a command could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that no stored actor carries.
    #[error("{}", unknown_message(.name, .suggestions))]
    UnknownName {
        name: String,
        suggestions: Vec<String>,
    },
    /// Nothing was observed.
    #[error("nothing observed: give ttp, software, indicator, cve, sector or country values")]
    NothingObserved,
    /// None of the observed values is known.
    #[error("none of the {given} observed value(s) is known to the store (ignored: {}); load ATT&CK with `stormwatch import enterprise-attack.json`", .ignored.join(", "))]
    NothingKnown {
        given: usize,
        ignored: Vec<String>,
        /// The ranking (empty), for callers that print it anyway.
        ranking: Box<Ranking>,
    },
}

fn unknown_message(name: &str, suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        format!("no actor name matches {name:?} (load names with `stormwatch intel init` and `stormwatch import`)")
    } else {
        format!(
            "no actor name matches {name:?}; did you mean: {}?",
            suggestions.join(", ")
        )
    }
}

/// The answer of `actor why A B`: both names as resolved, and the claim path.
#[derive(Debug, Clone)]
pub struct WhyAnswer {
    pub a: String,
    pub b: String,
    pub why: Why,
}

fn find(graph: &ActorGraph, name: &str) -> Result<usize, CommandError> {
    graph.find(name).ok_or_else(|| CommandError::UnknownName {
        name: name.to_owned(),
        suggestions: graph.suggest(name, 5),
    })
}

/// `actor why A B`: the chain of claims between two names under `o`.
pub fn why(store: &dyn Store, a: &str, b: &str, o: Options) -> Result<WhyAnswer, CommandError> {
    let graph = ActorGraph::load(store)?;
    let (na, nb) = (find(&graph, a)?, find(&graph, b)?);
    let why = graph.why(na, nb, o);
    Ok(WhyAnswer {
        a: graph.names[na].name.clone(),
        b: graph.names[nb].name.clone(),
        why,
    })
}

/// The indicator values of every stored (non-revoked) sighting's indicator
/// (`attribute --from-sightings`).
pub fn sighting_values(store: &dyn Store) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
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
            out.extend(pattern_values(
                iv.get("pattern").and_then(Value::as_str).unwrap_or(""),
            ));
        }
    }
    Ok(out)
}

/// A ranking and what the caller should be warned about.
#[derive(Debug, Clone)]
pub struct Attributed {
    pub ranking: Ranking,
    /// The store has no actor with a known profile (ATT&CK not imported).
    pub no_profiles: bool,
}

/// `attribute`: ranks the stored actors by overlap with `obs` (at most `limit`
/// candidates), merging actors through same-as links under `o`.
pub fn attribute(
    store: &dyn Store,
    obs: &Observation,
    limit: usize,
    o: Options,
) -> Result<Attributed, CommandError> {
    if obs.is_empty() {
        return Err(CommandError::NothingObserved);
    }
    let graph = ActorGraph::load(store)?;
    let mut ix = Index::load(store, &graph, o)?;
    ix.learn(store, obs)?;
    let ranking = ix.rank(obs, &Params::default(), limit.max(1));
    if ranking.used.is_empty() {
        return Err(CommandError::NothingKnown {
            given: obs.len(),
            ignored: ranking.ignored.clone(),
            ranking: Box::new(ranking),
        });
    }
    Ok(Attributed {
        ranking,
        no_profiles: ix.groups.is_empty(),
    })
}
