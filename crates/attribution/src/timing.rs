//! Time of activity: which UTC offsets (and, when a country is hypothesised, which
//! time zones with their daylight saving and public holidays) make timestamps look
//! like office hours — reported as likelihood ratios, never as a verdict.
//!
//! The data span is cut into 15-minute UTC slots (every real offset is a multiple
//! of 15 minutes), extended to whole weeks. Under a working-hours model, slot `s`
//! has weight `w(local time of s)`: a weekday profile with a lunch dip, a low level
//! on weekends and holidays, and China's make-up workdays worked. An event falls in
//! slot `s` with probability `(1 - eta) w_s / sum w + eta / S` (a share `eta` of
//! events is background at any hour); the uniform model gives every slot `1 / S`.
//! Likelihood ratios compare these models on the same slots.
//!
//! Holiday calendars are bundled data files (`data/holidays-*.tsv`), each year
//! citing its official source; later years are marked provisional.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Share of events assumed to be background (any hour).
pub const NOISE: f64 = 0.2;
/// An offset is consistent when its model is within this factor of the best and
/// beats uniform activity by at least [`MIN_LR_VS_UNIFORM`].
pub const CONSISTENT_FACTOR: f64 = 10.0;
pub const MIN_LR_VS_UNIFORM: f64 = 3.0;
/// Weight of a rest day (weekend or holiday) relative to a workday at the same hour.
pub const REST_DAY: f64 = 0.1;

/// Printed with every result.
pub const CAVEAT: &str = "Time of activity is weak evidence: operators can work shifts, \
schedule tasks deliberately or be told to mimic another country's hours, many countries share \
each offset, and indicator hits and C2 beacons are machine activity, not operator actions. Read \
the ratios as how much better one working-hours model explains these times than another, not \
as who did it.";

/// Workday activity by local time: (from minute, to minute, weight). Office hours
/// 09:00-18:00 with a lunch dip 12:00-13:30, shoulders before and after.
pub const WORKDAY: &[(u32, u32, f64)] = &[
    (0, 420, 0.02),
    (420, 480, 0.1),
    (480, 540, 0.4),
    (540, 720, 1.0),
    (720, 810, 0.3),
    (810, 1080, 1.0),
    (1080, 1140, 0.4),
    (1140, 1260, 0.15),
    (1260, 1440, 0.05),
];

/// Every UTC offset in use (standard and daylight), in minutes.
pub const OFFSETS: &[i32] = &[
    -720, -660, -600, -570, -540, -480, -420, -360, -300, -240, -210, -180, -150, -120, -60, 0, 60,
    120, 180, 210, 240, 270, 300, 330, 345, 360, 390, 420, 480, 525, 540, 570, 600, 630, 660, 720,
    765, 780, 825, 840,
];

/// `+08:00`, `-03:30`.
pub fn offset_label(min: i32) -> String {
    let sign = if min < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", min.abs() / 60, min.abs() % 60)
}

fn workday_weight(minute_of_day: u32) -> f64 {
    WORKDAY
        .iter()
        .find(|(a, b, _)| (*a..*b).contains(&minute_of_day))
        .map_or(0.02, |x| x.2)
}

/// A day's kind in a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Holiday,
    /// A weekend day declared a working day.
    Workday,
}

/// A bundled holiday calendar.
#[derive(Debug)]
pub struct Calendar {
    pub country: &'static str,
    pub days: HashMap<NaiveDate, DayKind>,
    /// (year, provisional, source)
    pub years: Vec<(i32, bool, String)>,
}

const CN: &str = include_str!("../data/holidays-cn.tsv");
const US: &str = include_str!("../data/holidays-us.tsv");

fn parse_calendar(country: &'static str, text: &str, default_source: &str) -> Calendar {
    let mut days = HashMap::new();
    let mut years = Vec::new();
    for line in text.lines() {
        if let Some(meta) = line.strip_prefix("#@ ") {
            let f: Vec<&str> = meta.splitn(3, '\t').collect();
            if let (Some(y), Some(p), Some(s)) = (f.first(), f.get(1), f.get(2)) {
                if let Ok(y) = y.parse() {
                    years.push((y, *p == "provisional", (*s).to_owned()));
                }
            }
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(d), Some(k)) = (f.first(), f.get(1)) else {
            continue;
        };
        let Ok(d) = NaiveDate::parse_from_str(d, "%Y-%m-%d") else {
            continue;
        };
        days.insert(
            d,
            if *k == "workday" {
                DayKind::Workday
            } else {
                DayKind::Holiday
            },
        );
    }
    if years.is_empty() {
        for y in 2018..=2027 {
            years.push((y, false, default_source.to_owned()));
        }
    }
    Calendar {
        country,
        days,
        years,
    }
}

/// The bundled calendar of a country (`CN`, `US`), if any.
pub fn calendar(country: &str) -> Option<&'static Calendar> {
    static CALS: OnceLock<Vec<Calendar>> = OnceLock::new();
    let cals = CALS.get_or_init(|| {
        vec![
            parse_calendar("CN", CN, ""),
            parse_calendar(
                "US",
                US,
                "5 U.S.C. 6103 federal holidays, as observed (U.S. OPM)",
            ),
        ]
    });
    cals.iter()
        .find(|c| c.country.eq_ignore_ascii_case(country))
}

/// Countries that can be hypothesised: (code, name, IANA zones, weekend days).
pub const COUNTRIES: &[(&str, &str, &[&str], &[Weekday])] = &[
    (
        "CN",
        "China",
        &["Asia/Shanghai"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "US",
        "United States",
        &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
        ],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "RU",
        "Russia (Moscow)",
        &["Europe/Moscow"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "KP",
        "North Korea",
        &["Asia/Pyongyang"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    ("IR", "Iran", &["Asia/Tehran"], &[Weekday::Fri]),
    (
        "GB",
        "United Kingdom",
        &["Europe/London"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "NL",
        "Netherlands",
        &["Europe/Amsterdam"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "DE",
        "Germany",
        &["Europe/Berlin"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "IN",
        "India",
        &["Asia/Kolkata"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "VN",
        "Vietnam",
        &["Asia/Ho_Chi_Minh"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "KR",
        "South Korea",
        &["Asia/Seoul"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "JP",
        "Japan",
        &["Asia/Tokyo"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "AU",
        "Australia (Sydney)",
        &["Australia/Sydney"],
        &[Weekday::Sat, Weekday::Sun],
    ),
    (
        "UA",
        "Ukraine",
        &["Europe/Kyiv"],
        &[Weekday::Sat, Weekday::Sun],
    ),
];

/// Where timestamps came from and what went wrong.
#[derive(Debug, Clone, Serialize)]
pub struct TimeError {
    pub line: usize,
    pub value: String,
    pub error: String,
}

/// Timestamps read from a file.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// Unix seconds, UTC.
    pub times: Vec<i64>,
    pub errors: Vec<TimeError>,
    pub notes: Vec<String>,
    /// Records without a time (e.g. a hunt match in a file without timestamps).
    pub without_time: usize,
}

/// Reads one timestamp: RFC 3339 (any offset; `T`, `t` or a space between date and
/// time), `YYYY-MM-DD HH:MM:SS[.f]` without a zone (read as UTC, counted), or Unix
/// seconds / milliseconds.
pub fn parse_time(s: &str) -> Result<(i64, bool), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    // Zeek and other tools write fractional Unix seconds.
    if let Some((int, frac)) = s.split_once('.') {
        if !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && matches!(int.len(), 9 | 10)
        {
            return int
                .parse()
                .map(|n| (n, false))
                .map_err(|_| "number out of range".to_owned());
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().map_err(|_| "number out of range".to_owned())?;
        return match s.len() {
            9 | 10 => Ok((n, false)),
            13 => Ok((n / 1000, false)),
            _ => {
                Err("a number, but not Unix seconds (10 digits) or milliseconds (13 digits)".into())
            }
        };
    }
    let mut t = s.to_owned();
    if t.len() > 10 && matches!(t.as_bytes()[10], b' ' | b't') {
        t.replace_range(10..11, "T");
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&t.replace('z', "Z")) {
        return Ok((d.timestamp(), false));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&t, f) {
            return Ok((d.and_utc().timestamp(), true));
        }
    }
    Err(
        "not a timestamp (use RFC 3339, e.g. 2025-01-17T09:30:00Z or 2025-01-17T17:30:00+08:00)"
            .into(),
    )
}

fn time_of(v: &serde_json::Value) -> Option<&serde_json::Value> {
    [
        "time",
        "timestamp",
        "@timestamp",
        "ts",
        "datetime",
        "first_seen",
    ]
    .iter()
    .find_map(|k| v.get(*k))
}

impl Events {
    fn push(&mut self, line: usize, s: &str, zoneless: &mut usize) {
        match parse_time(s) {
            Ok((t, z)) => {
                self.times.push(t);
                *zoneless += usize::from(z);
            }
            Err(e) => self.errors.push(TimeError {
                line,
                value: s.chars().take(80).collect(),
                error: e,
            }),
        }
    }

    fn push_json(
        &mut self,
        line: usize,
        v: &serde_json::Value,
        zoneless: &mut usize,
        ioc: &mut bool,
    ) {
        if v.get("indicator").is_some() || v.get("indicator_value").is_some() {
            *ioc = true;
        }
        match time_of(v) {
            Some(serde_json::Value::String(s)) => self.push(line, s, zoneless),
            Some(serde_json::Value::Number(n)) => self.push(line, &n.to_string(), zoneless),
            Some(serde_json::Value::Null) | None => self.without_time += 1,
            Some(other) => self.errors.push(TimeError {
                line,
                value: other.to_string().chars().take(80).collect(),
                error: "time is not a string or number".into(),
            }),
        }
    }

    /// Reads CSV with a `time` (or `timestamp`) column, JSON lines with a `time`
    /// key (hunt and detect output), a JSON document with a `matches` list (hunt
    /// `--format json`) or a list, or one timestamp a line.
    pub fn parse(text: &str) -> Events {
        let mut ev = Events::default();
        let mut zoneless = 0usize;
        let mut ioc = false;
        let t = text.trim_start_matches('\u{feff}');
        let first = t
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        if first.starts_with('{') || first.starts_with('[') {
            let doc: Option<serde_json::Value> = serde_json::from_str(t).ok();
            let list = doc.as_ref().and_then(|d| {
                d.as_array()
                    .or_else(|| d.get("matches").and_then(|m| m.as_array()))
                    .or_else(|| d.get("events").and_then(|m| m.as_array()))
            });
            if let Some(list) = list {
                for (i, v) in list.iter().enumerate() {
                    match v {
                        serde_json::Value::String(s) => ev.push(i + 1, s, &mut zoneless),
                        _ => ev.push_json(i + 1, v, &mut zoneless, &mut ioc),
                    }
                }
            } else {
                for (n, line) in t.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<serde_json::Value>(line) {
                        Ok(v) => ev.push_json(n + 1, &v, &mut zoneless, &mut ioc),
                        Err(e) => ev.errors.push(TimeError {
                            line: n + 1,
                            value: line.chars().take(80).collect(),
                            error: format!("not JSON: {e}"),
                        }),
                    }
                }
            }
        } else if first.contains(',') {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(t.as_bytes());
            let col = rdr.headers().ok().and_then(|h| {
                h.iter().position(|c| {
                    matches!(
                        c.trim().to_ascii_lowercase().as_str(),
                        "time" | "timestamp" | "@timestamp" | "ts" | "datetime"
                    )
                })
            });
            match col {
                None => ev.errors.push(TimeError {
                    line: 1,
                    value: first.chars().take(80).collect(),
                    error: "CSV header has no `time` column".into(),
                }),
                Some(c) => {
                    for (i, rec) in rdr.records().enumerate() {
                        let line = i + 2;
                        match rec {
                            Ok(r) => match r.get(c) {
                                Some(s) if !s.trim().is_empty() => ev.push(line, s, &mut zoneless),
                                _ => ev.without_time += 1,
                            },
                            Err(e) => ev.errors.push(TimeError {
                                line,
                                value: String::new(),
                                error: format!("bad CSV: {e}"),
                            }),
                        }
                    }
                }
            }
        } else {
            for (n, line) in t.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                // Zeek TSV logs: the time is the first field.
                let field = match line.split_once('\t') {
                    Some((first, _)) if parse_time(line).is_err() => first,
                    _ => line,
                };
                ev.push(n + 1, field, &mut zoneless);
            }
        }
        if zoneless > 0 {
            ev.notes.push(format!(
                "{zoneless} timestamp(s) had no zone and were read as UTC"
            ));
        }
        if ioc {
            ev.notes.push("these records are indicator matches: IOC hits and C2 beacons are machine activity, not operator actions; use operator actions (logins, commands, configuration changes) for time of activity".into());
        }
        if ev.without_time > 0 {
            ev.notes.push(format!(
                "{} record(s) had no time and were skipped",
                ev.without_time
            ));
        }
        ev
    }
}

/// One fixed-offset model's result.
#[derive(Debug, Clone, Serialize)]
pub struct OffsetRow {
    pub offset: String,
    pub minutes: i32,
    pub log_likelihood: f64,
    /// Against the best offset.
    pub lr_vs_best: f64,
    pub lr_vs_uniform: f64,
    pub log10_lr_vs_best: f64,
    pub log10_lr_vs_uniform: f64,
    pub consistent: bool,
}

/// One hypothesised country zone (daylight saving and holidays applied).
#[derive(Debug, Clone, Serialize)]
pub struct ZoneRow {
    pub country: String,
    pub zone: String,
    /// `CN`/`US` when a holiday calendar was applied, else null (weekends only).
    pub calendar: Option<String>,
    pub log_likelihood: f64,
    /// Against the best of every model (offsets and zones).
    pub lr_vs_best: f64,
    pub lr_vs_uniform: f64,
    pub log10_lr_vs_best: f64,
    pub log10_lr_vs_uniform: f64,
    pub consistent: bool,
}

/// The answer of `timing`.
#[derive(Debug, Clone, Serialize)]
pub struct TimingReport {
    pub events: usize,
    pub span_start: String,
    pub span_end: String,
    /// Best first.
    pub offsets: Vec<OffsetRow>,
    pub hypotheses: Vec<ZoneRow>,
    pub best: Option<String>,
    pub best_hypothesis: Option<String>,
    /// Offsets consistent with the data (best first).
    pub consistent: Vec<String>,
    /// Events per UTC day of week (Monday first) and hour.
    pub histogram_utc: Vec<Vec<u32>>,
    /// The same in local time at the best offset.
    pub histogram_best: Vec<Vec<u32>>,
    pub noise: f64,
    pub notes: Vec<String>,
    pub caveat: &'static str,
}

/// What time zone a model places events in.
enum Clock<'a> {
    Fixed(i32),
    Zone(chrono_tz::Tz, &'a [Weekday], Option<&'static Calendar>),
}

fn weight_at(local: NaiveDateTime, weekend: &[Weekday], cal: Option<&Calendar>) -> f64 {
    let date = local.date();
    let mut rest = weekend.contains(&date.weekday());
    if let Some(c) = cal {
        match c.days.get(&date) {
            Some(DayKind::Holiday) => rest = true,
            Some(DayKind::Workday) => rest = false,
            None => {}
        }
    }
    let w = workday_weight(local.hour() * 60 + local.minute());
    if rest {
        w * REST_DAY
    } else {
        w
    }
}

fn local_of(t: i64, clock: &Clock<'_>) -> Option<NaiveDateTime> {
    match clock {
        Clock::Fixed(m) => {
            DateTime::from_timestamp(t + i64::from(*m) * 60, 0).map(|d| d.naive_utc())
        }
        Clock::Zone(tz, _, _) => Utc
            .timestamp_opt(t, 0)
            .single()
            .map(|d| d.with_timezone(tz).naive_local()),
    }
}

const SLOT: i64 = 900;
const WEEK: i64 = 7 * 86400;
/// Monday 1970-01-05 00:00 UTC.
const MONDAY0: i64 = 4 * 86400;

fn log_likelihood(times: &[i64], start: i64, slots: usize, clock: &Clock<'_>, eta: f64) -> f64 {
    const SAT_SUN: &[Weekday] = &[Weekday::Sat, Weekday::Sun];
    let (weekend, cal): (&[Weekday], Option<&Calendar>) = match clock {
        Clock::Fixed(_) => (SAT_SUN, None),
        Clock::Zone(_, w, c) => (w, *c),
    };
    let w: Vec<f64> = (0..slots)
        .map(|i| {
            local_of(start + i as i64 * SLOT, clock).map_or(0.0, |l| weight_at(l, weekend, cal))
        })
        .collect();
    let total: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let s = slots as f64;
    times
        .iter()
        .map(|&t| {
            let i = (((t - start) / SLOT) as usize).min(slots - 1);
            ((1.0 - eta) * w[i] / total + eta / s).ln()
        })
        .sum()
}

fn hist(times: &[i64], shift_min: i32) -> Vec<Vec<u32>> {
    let mut h = vec![vec![0u32; 24]; 7];
    for &t in times {
        let l = t + i64::from(shift_min) * 60 - MONDAY0;
        let in_week = l.rem_euclid(WEEK);
        let day = (in_week / 86400) as usize;
        let hour = ((in_week % 86400) / 3600) as usize;
        h[day.min(6)][hour.min(23)] += 1;
    }
    h
}

fn rfc(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum TimingError {
    #[error(
        "unknown hypothesis {0:?}: use a country code ({1}) or an IANA zone such as Asia/Shanghai"
    )]
    UnknownHypothesis(String, String),
    #[error("the timestamps span {0} weeks ({1} to {2}); at most {MAX_WEEKS} are analysed: split the input by period (a time of activity is a property of one period)")]
    SpanTooLong(i64, String, String),
}

/// Longest span analysed, in weeks.
pub const MAX_WEEKS: i64 = 520;

/// (country code, zone name, zone, weekend days, holiday calendar)
type HypothesisZone = (
    String,
    String,
    chrono_tz::Tz,
    &'static [Weekday],
    Option<&'static Calendar>,
);

/// Scores every offset (and every hypothesised country's zones).
pub fn analyse(
    times: &[i64],
    hypotheses: &[String],
    eta: f64,
) -> Result<TimingReport, TimingError> {
    let mut zones: Vec<HypothesisZone> = Vec::new();
    for h in hypotheses {
        if let Some((code, _, zs, wk)) = COUNTRIES
            .iter()
            .find(|c| c.0.eq_ignore_ascii_case(h) || c.1.eq_ignore_ascii_case(h))
        {
            for z in *zs {
                if let Ok(tz) = z.parse::<chrono_tz::Tz>() {
                    zones.push(((*code).to_owned(), (*z).to_owned(), tz, wk, calendar(code)));
                }
            }
        } else if let Ok(tz) = h.parse::<chrono_tz::Tz>() {
            const SAT_SUN: &[Weekday] = &[Weekday::Sat, Weekday::Sun];
            zones.push(("-".into(), h.clone(), tz, SAT_SUN, None));
        } else {
            let codes: Vec<&str> = COUNTRIES.iter().map(|c| c.0).collect();
            return Err(TimingError::UnknownHypothesis(h.clone(), codes.join(", ")));
        }
    }
    let mut notes = Vec::new();
    let n = times.len();
    let (min, max) = (
        times.iter().copied().min().unwrap_or(0),
        times.iter().copied().max().unwrap_or(0),
    );
    let start = MONDAY0 + (min - MONDAY0).div_euclid(WEEK) * WEEK;
    let end = MONDAY0 + ((max - MONDAY0).div_euclid(WEEK) + 1) * WEEK;
    if (end - start) / WEEK > MAX_WEEKS {
        return Err(TimingError::SpanTooLong(
            (end - start) / WEEK,
            rfc(min),
            rfc(max),
        ));
    }
    let slots = ((end - start) / SLOT).max(1) as usize;
    let uniform = -(n as f64) * (slots as f64).ln();
    if n < 30 {
        notes.push(format!("only {n} event(s): time-of-activity needs many operator actions (hundreds) to say anything"));
    }
    let mut offsets: Vec<OffsetRow> = OFFSETS
        .iter()
        .map(|&m| {
            let ll = log_likelihood(times, start, slots, &Clock::Fixed(m), eta);
            OffsetRow {
                offset: offset_label(m),
                minutes: m,
                log_likelihood: ll,
                lr_vs_best: 0.0,
                lr_vs_uniform: 0.0,
                log10_lr_vs_best: 0.0,
                log10_lr_vs_uniform: 0.0,
                consistent: false,
            }
        })
        .collect();
    let best_ll = offsets
        .iter()
        .map(|o| o.log_likelihood)
        .fold(f64::NEG_INFINITY, f64::max);
    let ln10 = std::f64::consts::LN_10;
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    for o in &mut offsets {
        let (b, u) = (o.log_likelihood - best_ll, o.log_likelihood - uniform);
        o.lr_vs_best = b.exp().min(f64::MAX);
        o.lr_vs_uniform = u.exp().min(f64::MAX);
        o.log10_lr_vs_best = r(b / ln10);
        o.log10_lr_vs_uniform = r(u / ln10);
        o.consistent =
            o.lr_vs_best >= 1.0 / CONSISTENT_FACTOR && o.lr_vs_uniform >= MIN_LR_VS_UNIFORM;
        o.log_likelihood = r(o.log_likelihood);
    }
    offsets.sort_by(|a, b| {
        b.log_likelihood
            .total_cmp(&a.log_likelihood)
            .then(a.minutes.cmp(&b.minutes))
    });
    let mut rows: Vec<ZoneRow> = Vec::new();
    for (code, z, tz, wk, cal) in &zones {
        let ll = log_likelihood(times, start, slots, &Clock::Zone(*tz, wk, *cal), eta);
        rows.push(ZoneRow {
            country: code.clone(),
            zone: z.clone(),
            calendar: cal.map(|c| c.country.to_owned()),
            log_likelihood: ll,
            lr_vs_best: 0.0,
            lr_vs_uniform: 0.0,
            log10_lr_vs_best: 0.0,
            log10_lr_vs_uniform: 0.0,
            consistent: false,
        });
        if let Some(c) = cal {
            let (y0, y1) = (
                DateTime::from_timestamp(min, 0).map_or(0, |d| d.year()),
                DateTime::from_timestamp(max, 0).map_or(0, |d| d.year()),
            );
            for y in y0..=y1 {
                match c.years.iter().find(|(yy, _, _)| *yy == y) {
                    Some((_, true, _)) => notes.push(format!(
                        "{} holiday calendar for {y} is provisional (see its source line)",
                        c.country
                    )),
                    None => notes.push(format!(
                        "no {} holiday calendar for {y}: weekends only",
                        c.country
                    )),
                    _ => {}
                }
            }
        } else if code != "-" {
            notes.push(format!(
                "{code}: no bundled holiday calendar; weekends only"
            ));
        }
    }
    notes.dedup();
    let all_best = rows
        .iter()
        .map(|z| z.log_likelihood)
        .fold(best_ll, f64::max);
    for z in &mut rows {
        let (b, u) = (z.log_likelihood - all_best, z.log_likelihood - uniform);
        z.lr_vs_best = b.exp().min(f64::MAX);
        z.lr_vs_uniform = u.exp().min(f64::MAX);
        z.log10_lr_vs_best = r(b / ln10);
        z.log10_lr_vs_uniform = r(u / ln10);
        z.consistent =
            z.lr_vs_best >= 1.0 / CONSISTENT_FACTOR && z.lr_vs_uniform >= MIN_LR_VS_UNIFORM;
        z.log_likelihood = r(z.log_likelihood);
    }
    rows.sort_by(|a, b| b.log_likelihood.total_cmp(&a.log_likelihood));
    let consistent: Vec<String> = offsets
        .iter()
        .filter(|o| o.consistent)
        .map(|o| o.offset.clone())
        .collect();
    if n > 0 && consistent.is_empty() {
        notes.push("no offset explains these times better than activity spread evenly over the week (likelihood ratio below 3): they do not look like one office's working hours".into());
    }
    let best_min = offsets.first().map_or(0, |o| o.minutes);
    Ok(TimingReport {
        events: n,
        span_start: rfc(start),
        span_end: rfc(end),
        best: offsets.first().filter(|_| n > 0).map(|o| o.offset.clone()),
        best_hypothesis: rows.first().map(|z| z.zone.clone()),
        consistent,
        histogram_utc: hist(times, 0),
        histogram_best: hist(times, best_min),
        offsets,
        hypotheses: rows,
        noise: eta,
        notes,
        caveat: CAVEAT,
    })
}

/// Synthetic operator activity (tests and benchmarks): `n` events over `weeks`
/// weeks from `start` (Unix seconds, a Monday 00:00 UTC), a share `noise` uniform,
/// the rest drawn from the working-hours model in the given clock.
pub fn synthetic(
    seed: u64,
    n: usize,
    start: i64,
    weeks: i64,
    noise: f64,
    offset_min: Option<i32>,
    country: Option<&str>,
) -> Vec<i64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let span = weeks * WEEK;
    let zone = country.and_then(|c| COUNTRIES.iter().find(|x| x.0 == c));
    let clock = match zone {
        Some((code, _, zs, wk)) => {
            Clock::Zone(zs[0].parse().unwrap_or(chrono_tz::UTC), wk, calendar(code))
        }
        None => Clock::Fixed(offset_min.unwrap_or(0)),
    };
    const SAT_SUN: &[Weekday] = &[Weekday::Sat, Weekday::Sun];
    let (weekend, cal): (&[Weekday], Option<&Calendar>) = match &clock {
        Clock::Fixed(_) => (SAT_SUN, None),
        Clock::Zone(_, w, c) => (w, *c),
    };
    let mut out = Vec::with_capacity(n);
    let mut guard = 0usize;
    while out.len() < n && guard < n * 10_000 {
        guard += 1;
        let t = start + (rnd() * span as f64) as i64;
        if rnd() < noise {
            out.push(t);
            continue;
        }
        let w = local_of(t, &clock).map_or(0.0, |l| weight_at(l, weekend, cal));
        if rnd() < w {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday(y: i32, m: u32, d: u32) -> i64 {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!((t - MONDAY0).rem_euclid(WEEK), 0, "not a Monday");
        t
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_time("2025-01-17T09:30:00Z").unwrap().0, 1737106200);
        assert_eq!(
            parse_time("2025-01-17T17:30:00+08:00").unwrap().0,
            1737106200
        );
        assert_eq!(
            parse_time("2025-01-17 09:30:00.123z").unwrap().0,
            1737106200
        );
        assert_eq!(parse_time("2025-01-17 09:30:00"), Ok((1737106200, true)));
        assert_eq!(parse_time("1737106200").unwrap().0, 1737106200);
        assert_eq!(parse_time("1737106200123").unwrap().0, 1737106200);
        assert_eq!(parse_time("1737106200.680642").unwrap().0, 1737106200);
        let ev = Events::parse("#fields\tts\tuid\n1737106200.5\tCx\n");
        assert_eq!(ev.times, vec![1737106200]);
        for bad in [
            "",
            "yesterday",
            "2025-13-01T00:00:00Z",
            "12345",
            "2025-01-17T25:00:00Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        let ev = Events::parse("time,host\n2025-01-17T09:30:00Z,a\nnot a time,b\n");
        assert_eq!(ev.times.len(), 1);
        assert_eq!(ev.errors[0].line, 3);
        assert!(ev.errors[0].value.contains("not a time"));
        let ev = Events::parse(
            "{\"time\": \"2025-01-17T09:30:00Z\", \"indicator\": \"x\"}\n{\"time\": null}\n{bad\n",
        );
        assert_eq!(
            (ev.times.len(), ev.without_time, ev.errors.len()),
            (1, 1, 1)
        );
        assert!(ev.notes.iter().any(|n| n.contains("not operator actions")));
    }

    #[test]
    fn calendars_load_with_make_up_days() {
        let cn = calendar("CN").unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(cn.days.get(&d(2024, 10, 3)), Some(&DayKind::Holiday));
        assert_eq!(cn.days.get(&d(2024, 10, 12)), Some(&DayKind::Workday));
        assert_eq!(d(2024, 10, 12).weekday(), Weekday::Sat);
        assert_eq!(cn.years.len(), 10);
        assert!(cn.years.iter().any(|(y, p, _)| *y == 2027 && *p));
        assert!(cn.years.iter().all(|(_, _, s)| !s.is_empty()));
        let us = calendar("us").unwrap();
        assert_eq!(us.days.get(&d(2024, 11, 28)), Some(&DayKind::Holiday)); // Thanksgiving
        assert_eq!(us.days.get(&d(2021, 12, 31)), Some(&DayKind::Holiday)); // New Year 2022 observed
        for y in 2018..=2027 {
            assert!(
                us.days.keys().filter(|k| k.year() == y).count() >= 10,
                "{y}"
            );
            assert!(cn.days.keys().filter(|k| k.year() == y).count() >= 7, "{y}");
        }
    }

    #[test]
    fn true_offset_is_first_and_consistent_in_95_percent_of_trials() {
        // Autumn 2024 (China's National Day week and make-up Saturdays inside).
        let start = monday(2024, 9, 2);
        let cases: &[(Option<i32>, Option<&str>, i32)] = &[
            (None, Some("CN"), 480),
            (Some(-300), None, -300),
            (Some(330), None, 330),
            (Some(180), None, 180),
            (Some(-240), Some("US"), -240),
        ];
        let trials = 40;
        for &(off, country, truth) in cases {
            let mut first = 0;
            let mut consistent = 0;
            for seed in 0..trials {
                let t = synthetic(seed + 1, 300, start, 8, 0.1, off, country);
                assert_eq!(t.len(), 300);
                let r = analyse(&t, &[], NOISE).unwrap();
                first += usize::from(r.offsets[0].minutes == truth);
                consistent += usize::from(r.consistent.contains(&offset_label(truth)));
                assert!(r.caveat.contains("weak evidence"));
            }
            eprintln!(
                "{off:?}/{country:?}: first {first}/{trials}, consistent {consistent}/{trials}"
            );
            let need = (trials as f64 * 0.95).ceil() as usize;
            assert!(
                first >= need,
                "{off:?}/{country:?}: first in {first}/{trials}"
            );
            assert!(
                consistent >= need,
                "{off:?}/{country:?}: consistent in {consistent}/{trials}"
            );
        }
    }

    #[test]
    fn uniform_activity_beats_no_offset_by_3() {
        let start = monday(2024, 9, 2);
        for seed in 0..40 {
            let t = synthetic(seed + 100, 300, start, 8, 1.0, Some(0), None);
            let r = analyse(&t, &["CN".into(), "US".into()], NOISE).unwrap();
            for o in &r.offsets {
                assert!(
                    o.lr_vs_uniform < 3.0,
                    "seed {seed}: {} {}",
                    o.offset,
                    o.lr_vs_uniform
                );
            }
            for z in &r.hypotheses {
                assert!(
                    z.lr_vs_uniform < 3.0,
                    "seed {seed}: {} {}",
                    z.zone,
                    z.lr_vs_uniform
                );
            }
            assert!(r.consistent.is_empty());
            assert!(r.notes.iter().any(|n| n.contains("do not look like")));
        }
    }

    #[test]
    fn country_hypothesis_applies_holidays_and_dst() {
        let start = monday(2024, 9, 2);
        let t = synthetic(7, 300, start, 8, 0.1, None, Some("CN"));
        let r = analyse(&t, &["CN".into()], NOISE).unwrap();
        let cn = &r.hypotheses[0];
        let fixed = r.offsets.iter().find(|o| o.minutes == 480).unwrap();
        // Holidays and make-up workdays explain China's autumn better than weekends alone.
        assert!(
            cn.log_likelihood > fixed.log_likelihood,
            "{} vs {}",
            cn.log_likelihood,
            fixed.log_likelihood
        );
        // US Eastern time crosses DST on 2024-11-03: the zone model beats both fixed offsets.
        let start = monday(2024, 9, 30);
        let t = synthetic(9, 400, start, 8, 0.1, None, Some("US"));
        let r = analyse(&t, &["US".into()], NOISE).unwrap();
        let ny = r
            .hypotheses
            .iter()
            .find(|z| z.zone == "America/New_York")
            .unwrap();
        for m in [-240, -300] {
            let f = r.offsets.iter().find(|o| o.minutes == m).unwrap();
            assert!(ny.log_likelihood > f.log_likelihood, "{m}");
        }
        assert!(analyse(&t, &["Atlantis".into()], NOISE).is_err());
    }
}
