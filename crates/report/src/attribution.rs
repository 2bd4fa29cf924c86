//! Rendering of the attribution workbench: overlap rankings (`attribute`), claims
//! (`claim list`), competing-hypotheses matrices (`ach`) and time-of-activity
//! reports (`timing`, with an SVG heatmap).

use serde::Serialize;
use std::io::{self, Write};

use crate::{clean, write_csv, write_json, write_jsonl, Format, Table};
use stormwatch_attribution::claims::{Claim, Proposition};
use stormwatch_attribution::overlap::{Candidate, Ranking};

// ---------------------------------------------------------------- attribute

#[derive(Serialize)]
struct RankingDoc<'a> {
    candidates: &'a [Candidate],
    ignored: &'a [String],
    ignored_detail: &'a [stormwatch_attribution::overlap::Ignored],
    observed: &'a [String],
    candidates_total: usize,
    caveat: &'static str,
}

/// What the probability means, printed with every ranking.
pub const RANKING_CAVEAT: &str = "probability assumes the actor is one of the stored candidates \
(an actor not in the store cannot be recognised); overlap is a lead, not proof: tools and \
techniques are shared, sold and copied";

/// Renders an overlap ranking.
pub fn ranking(out: &mut dyn Write, fmt: Format, r: &Ranking) -> io::Result<()> {
    match fmt {
        Format::Jsonl => write_jsonl(out, &r.candidates),
        Format::Csv => {
            let rows: Vec<Vec<String>> = r
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        (i + 1).to_string(),
                        c.external_id.clone().unwrap_or_default(),
                        c.name.clone(),
                        format!("{:.3}", c.score),
                        format!("{:.4}", c.probability),
                        c.shared
                            .iter()
                            .map(|s| s.id.clone())
                            .collect::<Vec<_>>()
                            .join(" "),
                        c.id.clone(),
                    ]
                })
                .collect();
            write_csv(
                out,
                &[
                    "rank",
                    "external_id",
                    "name",
                    "score",
                    "probability",
                    "shared",
                    "id",
                ],
                &rows,
            )
        }
        Format::Text => {
            if r.candidates.is_empty() {
                writeln!(out, "no stored actor shares any of the observed items")?;
            }
            let mut t = Table::new(&[
                "#",
                "ACTOR",
                "ID",
                "SCORE",
                "PROB",
                "SHARED (strongest first)",
            ]);
            for (i, c) in r.candidates.iter().enumerate() {
                let shared: Vec<String> = c
                    .shared
                    .iter()
                    .take(8)
                    .map(|s| {
                        if s.matched == "exact" {
                            s.id.clone()
                        } else {
                            format!("~{}", s.id)
                        }
                    })
                    .collect();
                let more = c.shared.len().saturating_sub(8);
                t.row(vec![
                    (i + 1).to_string(),
                    clean(&c.name),
                    c.external_id.clone().unwrap_or_else(|| "-".into()),
                    format!("{:.2}", c.score),
                    format!("{:.0}%", c.probability * 100.0),
                    format!(
                        "{}/{}: {}{}",
                        c.shared.iter().filter(|s| s.matched == "exact").count(),
                        r.used.len(),
                        clean(&shared.join(" ")),
                        if more > 0 {
                            format!(" +{more}")
                        } else {
                            String::new()
                        }
                    ),
                ]);
            }
            if !t.is_empty() {
                t.write(out)?;
            }
            writeln!(
                out,
                "\n{} observed item(s) known, {} ignored; {} candidates ranked (~ = related technique only)",
                r.used.len(),
                r.ignored.len(),
                r.candidates_total
            )?;
            writeln!(out, "note: {RANKING_CAVEAT}")
        }
        _ => write_json(
            out,
            &RankingDoc {
                candidates: &r.candidates,
                ignored: &r.ignored,
                ignored_detail: &r.ignored_detail,
                observed: &r.used,
                candidates_total: r.candidates_total,
                caveat: RANKING_CAVEAT,
            },
        ),
    }
}

// ---------------------------------------------------------------- claim list

#[derive(Serialize)]
struct ClaimsDoc<'a> {
    claims: &'a [Claim],
    propositions: &'a [Proposition],
}

/// Renders `claim list`.
pub fn claims(
    out: &mut dyn Write,
    fmt: Format,
    cs: &[Claim],
    props: &[Proposition],
) -> io::Result<()> {
    match fmt {
        Format::Jsonl => write_jsonl(out, cs),
        Format::Csv => {
            let rows: Vec<Vec<String>> = cs
                .iter()
                .map(|c| {
                    vec![
                        c.subject.clone().unwrap_or_default(),
                        c.kind.clone(),
                        c.object.clone().unwrap_or_default(),
                        c.source.clone().unwrap_or_default(),
                        c.independence_group.clone(),
                        c.date.clone().unwrap_or_default(),
                        c.admiralty.clone().unwrap_or_default(),
                        c.confidence.map(|x| x.to_string()).unwrap_or_default(),
                        c.reference.clone().unwrap_or_default(),
                        c.id.clone(),
                    ]
                })
                .collect();
            write_csv(
                out,
                &[
                    "subject",
                    "kind",
                    "object",
                    "source",
                    "group",
                    "date",
                    "admiralty",
                    "confidence",
                    "reference",
                    "id",
                ],
                &rows,
            )
        }
        Format::Text => {
            let mut t = Table::new(&[
                "SUBJECT",
                "CLAIM",
                "OBJECT",
                "SOURCE [GROUP]",
                "DATE",
                "GRADE",
                "DISPUTED",
            ]);
            for c in cs {
                t.row(vec![
                    crate::ellipsize(c.subject.as_deref().unwrap_or(&c.subject_id), 40),
                    c.kind.clone(),
                    crate::ellipsize(c.object.as_deref().unwrap_or(&c.object_id), 40),
                    format!(
                        "{} [{}]",
                        clean(c.source.as_deref().unwrap_or("unknown")),
                        clean(&c.independence_group)
                    ),
                    c.date.clone().unwrap_or_else(|| "unknown".into()),
                    format!(
                        "{} ({})",
                        c.admiralty.clone().unwrap_or_else(|| "-".into()),
                        c.confidence.map_or("-".into(), |x| x.to_string())
                    ),
                    if c.revoked {
                        "retracted".into()
                    } else if c.disputed_by.is_empty() {
                        String::new()
                    } else {
                        format!("by {}", c.disputed_by.len())
                    },
                ]);
            }
            t.write(out)?;
            writeln!(
                out,
                "\nCorroboration (independent source groups, not documents):"
            )?;
            let mut p = Table::new(&["GROUPS", "CLAIMS", "PROPOSITION", "WHO"]);
            for x in props {
                p.row(vec![
                    x.independent_groups.to_string(),
                    x.claims.to_string(),
                    crate::ellipsize(&format!("{} {} {}", x.subject, x.kind, x.object), 90),
                    clean(&x.groups.join("; ")),
                ]);
            }
            p.write(out)
        }
        _ => write_json(
            out,
            &ClaimsDoc {
                claims: cs,
                propositions: props,
            },
        ),
    }
}
