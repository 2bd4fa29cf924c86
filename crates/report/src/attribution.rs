//! Rendering of the attribution workbench: overlap rankings (`attribute`), claims
//! (`claim list`), competing-hypotheses matrices (`ach`) and time-of-activity
//! reports (`timing`, with an SVG heatmap).

use serde::Serialize;
use std::io::{self, Write};

use crate::{clean, write_csv, write_json, write_jsonl, Format, Table};
use stormwatch_attribution::ach::Analysis;
use stormwatch_attribution::claims::{Claim, Proposition};
use stormwatch_attribution::overlap::{Candidate, Ranking};
use stormwatch_attribution::timing::TimingReport;

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

// ---------------------------------------------------------------- ach

/// Escapes text for HTML.
fn html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text for a Markdown table cell.
fn md(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

fn removal_lines(a: &Analysis) -> Vec<String> {
    let s = &a.sensitivity;
    let mut v = Vec::new();
    let leader = a.ranking.first().cloned().unwrap_or_default();
    if !s.tied.is_empty() {
        v.push(format!("tied for the lead: {}", s.tied.join(", ")));
    }
    let changes: Vec<String> = s
        .removals
        .iter()
        .filter(|r| r.changes_leader)
        .map(|r| {
            format!(
                "without {} {} the leader is {}",
                r.kind, r.removed, r.leader
            )
        })
        .collect();
    if s.robust {
        v.push(format!(
            "robust: {leader} stays first after removing any one of {} items or any one of {} source groups",
            s.removals.iter().filter(|r| r.kind == "item").count(),
            s.removals.iter().filter(|r| r.kind == "group").count()
        ));
    } else {
        v.push(format!("NOT robust: {leader} is not first in every check"));
    }
    v.extend(changes);
    v
}

/// Renders an ACH analysis: a matrix in the terminal, Markdown, HTML or JSON.
pub fn ach(out: &mut dyn Write, fmt: Format, a: &Analysis) -> io::Result<()> {
    let hs = &a.hypotheses;
    match fmt {
        Format::Text => {
            writeln!(out, "{}", clean(&a.title))?;
            if let Some(q) = &a.question {
                writeln!(out, "{}", clean(q))?;
            }
            writeln!(out)?;
            let mut head: Vec<String> =
                vec!["ITEM".into(), "GRADE".into(), "REL".into(), "WEIGHT".into()];
            head.extend(hs.iter().map(|h| h.id.clone()));
            head.push("DIAG".into());
            head.push("EVIDENCE [SOURCE GROUP]".into());
            let head_ref: Vec<&str> = head.iter().map(String::as_str).collect();
            let mut t = Table::new(&head_ref);
            for e in &a.evidence {
                let mut row = vec![
                    e.id.clone(),
                    e.grade.clone(),
                    e.relevance.clone(),
                    format!("{:.2}", e.weight),
                ];
                row.extend(e.ratings.iter().cloned());
                row.push(format!("{:.0}", e.diagnosticity));
                row.push(format!(
                    "{} [{}]",
                    crate::ellipsize(&e.title, 70),
                    clean(&e.group)
                ));
                t.row(row);
            }
            let mut row = vec![
                "INCONSISTENCY".into(),
                String::new(),
                String::new(),
                String::new(),
            ];
            row.extend(hs.iter().map(|h| format!("{:.2}", h.inconsistency)));
            t.row(row);
            let mut row = vec!["RANK".into(), String::new(), String::new(), String::new()];
            row.extend(hs.iter().map(|h| h.rank.to_string()));
            t.row(row);
            t.write(out)?;
            writeln!(out, "\nHypotheses, strongest (least inconsistent) first:")?;
            for id in &a.ranking {
                if let Some(h) = hs.iter().find(|h| &h.id == id) {
                    writeln!(
                        out,
                        "  {}. {}  {:.2}  {}",
                        h.rank,
                        h.id,
                        h.inconsistency,
                        clean(&h.title)
                    )?;
                }
            }
            writeln!(out, "\nSensitivity:")?;
            for l in removal_lines(a) {
                writeln!(out, "  {l}")?;
            }
            for w in &a.warnings {
                writeln!(out, "warning: {w}")?;
            }
            writeln!(out, "\nnote: {}", a.caveat)
        }
        Format::Md => {
            writeln!(out, "# {}\n", md(&a.title))?;
            if let Some(q) = &a.question {
                writeln!(out, "{}\n", md(q))?;
            }
            writeln!(out, "## Hypotheses\n")?;
            writeln!(
                out,
                "| rank | id | hypothesis | inconsistency | consistency |\n|---|---|---|---|---|"
            )?;
            for id in &a.ranking {
                if let Some(h) = hs.iter().find(|h| &h.id == id) {
                    writeln!(
                        out,
                        "| {} | {} | {} | {:.2} | {:.2} |",
                        h.rank,
                        md(&h.id),
                        md(&h.title),
                        h.inconsistency,
                        h.consistency
                    )?;
                }
            }
            writeln!(out, "\n## Matrix\n")?;
            write!(
                out,
                "| item | evidence | source (group) | grade | relevance | weight |"
            )?;
            for h in hs {
                write!(out, " {} |", md(&h.id))?;
            }
            writeln!(out, " diagnosticity |")?;
            writeln!(out, "|{}", "---|".repeat(7 + hs.len()))?;
            for e in &a.evidence {
                write!(
                    out,
                    "| {} | {} | {} ({}) | {} | {} | {:.2} |",
                    md(&e.id),
                    md(&e.title),
                    md(&e.source),
                    md(&e.group),
                    md(&e.grade),
                    md(&e.relevance),
                    e.weight
                )?;
                for r in &e.ratings {
                    write!(out, " {r} |")?;
                }
                writeln!(out, " {:.0} |", e.diagnosticity)?;
            }
            write!(out, "| | **inconsistency** | | | | |")?;
            for h in hs {
                write!(out, " **{:.2}** |", h.inconsistency)?;
            }
            writeln!(out, " |")?;
            writeln!(out, "\n## Sensitivity\n")?;
            for l in removal_lines(a) {
                writeln!(out, "- {}", md(&l))?;
            }
            writeln!(out, "\n## References\n")?;
            for e in &a.evidence {
                writeln!(
                    out,
                    "- **{}**: {}{}",
                    md(&e.id),
                    md(&e.reference),
                    if e.claims.is_empty() {
                        String::new()
                    } else {
                        format!(" (claims: {})", md(&e.claims.join(", ")))
                    }
                )?;
            }
            for w in &a.warnings {
                writeln!(out, "\n> warning: {}", md(w))?;
            }
            writeln!(out, "\n> {}", md(a.caveat))
        }
        Format::Html => {
            writeln!(
                out,
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
td,th{{border:1px solid #bbb;padding:4px 8px;vertical-align:top}}th{{background:#eee}}\
.CC{{background:#7fc97f}}.C{{background:#d9f0d3}}.N{{background:#fff}}.I{{background:#fdd0a2}}.II{{background:#f4816b}}\
.num{{text-align:right}}.note{{color:#555;max-width:60em}}</style></head><body>",
                html(&a.title)
            )?;
            writeln!(out, "<h1>{}</h1>", html(&a.title))?;
            if let Some(q) = &a.question {
                writeln!(out, "<p>{}</p>", html(q))?;
            }
            writeln!(out, "<h2>Hypotheses</h2><table><tr><th>rank</th><th>id</th><th>hypothesis</th><th>inconsistency</th></tr>")?;
            for id in &a.ranking {
                if let Some(h) = hs.iter().find(|h| &h.id == id) {
                    writeln!(
                        out,
                        "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td></tr>",
                        h.rank,
                        html(&h.id),
                        html(&h.title),
                        h.inconsistency
                    )?;
                }
            }
            writeln!(out, "</table><h2>Matrix</h2><table><tr><th>item</th><th>evidence</th><th>source (group)</th><th>grade</th><th>relevance</th><th>weight</th>")?;
            for h in hs {
                write!(out, "<th title=\"{}\">{}</th>", html(&h.title), html(&h.id))?;
            }
            writeln!(out, "<th>diagnosticity</th></tr>")?;
            for e in &a.evidence {
                write!(
                    out,
                    "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{} ({})</td><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td>",
                    html(&e.id),
                    html(&e.title),
                    html(&e.reference),
                    html(&e.source),
                    html(&e.group),
                    html(&e.grade),
                    html(&e.relevance),
                    e.weight
                )?;
                for r in &e.ratings {
                    write!(out, "<td class=\"{r}\">{r}</td>")?;
                }
                writeln!(out, "<td class=\"num\">{:.0}</td></tr>", e.diagnosticity)?;
            }
            write!(out, "<tr><th colspan=\"6\">inconsistency</th>")?;
            for h in hs {
                write!(out, "<th class=\"num\">{:.2}</th>", h.inconsistency)?;
            }
            writeln!(out, "<th></th></tr></table>")?;
            writeln!(out, "<h2>Sensitivity</h2><ul>")?;
            for l in removal_lines(a) {
                writeln!(out, "<li>{}</li>", html(&l))?;
            }
            writeln!(out, "</ul>")?;
            for w in &a.warnings {
                writeln!(out, "<p class=\"note\">warning: {}</p>", html(w))?;
            }
            writeln!(
                out,
                "<p class=\"note\">{}</p></body></html>",
                html(a.caveat)
            )
        }
        Format::Csv => {
            let mut head = vec!["item", "grade", "relevance", "weight", "diagnosticity"];
            let ids: Vec<&str> = hs.iter().map(|h| h.id.as_str()).collect();
            head.extend(ids.iter());
            let rows: Vec<Vec<String>> = a
                .evidence
                .iter()
                .map(|e| {
                    let mut r = vec![
                        e.id.clone(),
                        e.grade.clone(),
                        e.relevance.clone(),
                        format!("{:.3}", e.weight),
                        format!("{:.0}", e.diagnosticity),
                    ];
                    r.extend(e.ratings.iter().cloned());
                    r
                })
                .collect();
            write_csv(out, &head, &rows)
        }
        Format::Jsonl => write_jsonl(out, &a.evidence),
        _ => write_json(out, a),
    }
}

// ---------------------------------------------------------------- timing

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn fmt_lr(x: f64, log10: f64) -> String {
    if log10.abs() >= 4.0 {
        format!("1e{log10:+.0}")
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("1e{log10:+.0}")
    }
}

fn heat_text(out: &mut dyn Write, title: &str, h: &[Vec<u32>]) -> io::Result<()> {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let max = h.iter().flatten().copied().max().unwrap_or(0).max(1);
    writeln!(out, "{title}")?;
    let mut head = String::from("     ");
    for hr in (0..24).step_by(3) {
        head.push_str(&format!("{hr:<6}"));
    }
    writeln!(out, "{}", head.trim_end())?;
    for (d, row) in h.iter().enumerate() {
        let cells: String = row
            .iter()
            .flat_map(|&c| {
                let i = if c == 0 {
                    0
                } else {
                    1 + ((c as f64 / max as f64) * 3.0).round() as usize
                };
                let ch = SHADES[i.min(4)];
                [ch, ch]
            })
            .collect();
        writeln!(out, "{}  {}|", DAYS[d], cells)?;
    }
    Ok(())
}

/// Renders a time-of-activity report: text, JSON, CSV (offsets) or an SVG heatmap.
pub fn timing(out: &mut dyn Write, fmt: Format, r: &TimingReport) -> io::Result<()> {
    match fmt {
        Format::Svg => out.write_all(timing_svg(r).as_bytes()),
        Format::Csv => {
            let rows: Vec<Vec<String>> = r
                .offsets
                .iter()
                .map(|o| {
                    vec![
                        o.offset.clone(),
                        format!("{:.3}", o.log_likelihood),
                        format!("{:.3}", o.log10_lr_vs_best),
                        format!("{:.3}", o.log10_lr_vs_uniform),
                        o.consistent.to_string(),
                    ]
                })
                .collect();
            write_csv(
                out,
                &[
                    "offset",
                    "log_likelihood",
                    "log10_lr_vs_best",
                    "log10_lr_vs_uniform",
                    "consistent",
                ],
                &rows,
            )
        }
        Format::Jsonl => write_jsonl(out, &r.offsets),
        Format::Text => {
            writeln!(
                out,
                "{} events from {} to {} (whole weeks, 15-minute slots)\n",
                r.events, r.span_start, r.span_end
            )?;
            heat_text(out, "Events by hour of week (UTC):", &r.histogram_utc)?;
            if let Some(b) = &r.best {
                writeln!(out)?;
                heat_text(
                    out,
                    &format!("The same in local time at {b}:"),
                    &r.histogram_best,
                )?;
            }
            writeln!(out)?;
            let mut t = Table::new(&[
                "OFFSET",
                "LOG-LIK",
                "LR vs BEST",
                "LR vs UNIFORM",
                "CONSISTENT",
            ]);
            for o in r.offsets.iter().take(12) {
                t.row(vec![
                    o.offset.clone(),
                    format!("{:.1}", o.log_likelihood),
                    fmt_lr(o.lr_vs_best, o.log10_lr_vs_best),
                    fmt_lr(o.lr_vs_uniform, o.log10_lr_vs_uniform),
                    if o.consistent {
                        "yes".into()
                    } else {
                        String::new()
                    },
                ]);
            }
            t.write(out)?;
            writeln!(
                out,
                "({} more offsets in --format json)",
                r.offsets.len().saturating_sub(12)
            )?;
            if !r.hypotheses.is_empty() {
                writeln!(out)?;
                let mut t = Table::new(&[
                    "HYPOTHESIS",
                    "ZONE",
                    "HOLIDAYS",
                    "LR vs BEST",
                    "LR vs UNIFORM",
                    "CONSISTENT",
                ]);
                for z in &r.hypotheses {
                    t.row(vec![
                        z.country.clone(),
                        z.zone.clone(),
                        z.calendar.clone().unwrap_or_else(|| "weekends only".into()),
                        fmt_lr(z.lr_vs_best, z.log10_lr_vs_best),
                        fmt_lr(z.lr_vs_uniform, z.log10_lr_vs_uniform),
                        if z.consistent {
                            "yes".into()
                        } else {
                            String::new()
                        },
                    ]);
                }
                t.write(out)?;
            }
            writeln!(
                out,
                "\nconsistent offsets: {}",
                if r.consistent.is_empty() {
                    "none".into()
                } else {
                    r.consistent.join(" ")
                }
            )?;
            for n in &r.notes {
                writeln!(out, "note: {}", clean(n))?;
            }
            writeln!(out, "caveat: {}", r.caveat)
        }
        _ => write_json(out, r),
    }
}

fn svg_escape(s: &str) -> String {
    html(s)
}

/// An SVG heatmap of events by hour of week: UTC, and local time at the best offset.
pub fn timing_svg(r: &TimingReport) -> String {
    let (cw, ch, left, top) = (26.0, 22.0, 48.0, 56.0);
    let panel_h = top + 7.0 * ch + 40.0;
    let panels: Vec<(String, &Vec<Vec<u32>>)> = {
        let mut v = vec![("UTC".to_owned(), &r.histogram_utc)];
        if let Some(b) = &r.best {
            v.push((
                format!("local time at the best offset, {b}"),
                &r.histogram_best,
            ));
        }
        v
    };
    let width = left + 24.0 * cw + 120.0;
    let height = panel_h * panels.len() as f64 + 70.0;
    let max = r
        .histogram_utc
        .iter()
        .chain(r.histogram_best.iter())
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    );
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Activity by hour of week: {} events, {} to {}</text>\n",
        r.events,
        svg_escape(&r.span_start[..10.min(r.span_start.len())]),
        svg_escape(&r.span_end[..10.min(r.span_end.len())])
    ));
    for (pi, (title, h)) in panels.iter().enumerate() {
        let y0 = 30.0 + pi as f64 * panel_h;
        s.push_str(&format!(
            "<text x=\"{left}\" y=\"{}\" font-size=\"13\">{}</text>\n",
            y0 + 14.0,
            svg_escape(title)
        ));
        for hr in 0..24 {
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{hr:02}</text>\n",
                left + hr as f64 * cw + cw / 2.0,
                y0 + top - 8.0 - 14.0
            ));
        }
        for (d, row) in h.iter().enumerate() {
            let y = y0 + top - 14.0 + d as f64 * ch;
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#333\">{}</text>\n",
                left - 6.0,
                y + ch / 2.0 + 4.0,
                DAYS[d]
            ));
            for (hr, &c) in row.iter().enumerate() {
                let f = (c as f64 / max as f64).min(1.0);
                // White to dark blue.
                let (rr, gg, bb) = (
                    (255.0 - f * (255.0 - 8.0)) as u8,
                    (255.0 - f * (255.0 - 48.0)) as u8,
                    (255.0 - f * (255.0 - 107.0)) as u8,
                );
                s.push_str(&format!(
                    "<rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"rgb({rr},{gg},{bb})\" stroke=\"#ddd\" stroke-width=\"0.5\"><title>{} {hr:02}:00: {c}</title></rect>\n",
                    left + hr as f64 * cw,
                    cw,
                    ch,
                    DAYS[d]
                ));
            }
        }
    }
    // Legend.
    let lx = left + 24.0 * cw + 20.0;
    for i in 0..5 {
        let f = i as f64 / 4.0;
        let (rr, gg, bb) = (
            (255.0 - f * 247.0) as u8,
            (255.0 - f * 207.0) as u8,
            (255.0 - f * 148.0) as u8,
        );
        let y = 30.0 + top - 14.0 + i as f64 * ch;
        s.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{y}\" width=\"16\" height=\"{ch}\" fill=\"rgb({rr},{gg},{bb})\" stroke=\"#999\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            lx + 22.0,
            y + ch / 2.0 + 4.0,
            (f * max as f64).round()
        ));
    }
    let fy = height - 34.0;
    let best = r.best.clone().unwrap_or_else(|| "none".into());
    let cons = if r.consistent.is_empty() {
        "none".to_owned()
    } else {
        r.consistent.join(" ")
    };
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"{fy}\">Best offset {}; consistent offsets: {}</text>\n",
        svg_escape(&best),
        svg_escape(&cons)
    ));
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"{}\" fill=\"#a33\">Weak evidence: shifts, deliberate scheduling and shared time zones; IOC hits and beacons are not operator actions.</text>\n</svg>\n",
        fy + 16.0
    ));
    s
}
