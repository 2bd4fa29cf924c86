//! Event times of records, read only for records that matched.
//!
//! Formats are recognised from the first block of an input: Zeek TSV (`#fields` header,
//! `ts` first, epoch seconds), JSON lines (`ts`, `@timestamp`, `timestamp`, `time`:
//! epoch seconds or RFC 3339), CSV with a `ts`/`time`/`timestamp`/`date` column
//! (nfdump writes `2016-12-15 21:37:57`, read as UTC), and text, whose lines may start
//! with an RFC 3339 time or an RFC 3164 syslog time (`Nov 23 19:26:39`: no year and no
//! zone, so the year given with `--year` and UTC are assumed and the record says
//! `time_inferred: true`).

use stormwatch_model::Timestamp;

/// How to find a record's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    ZeekTsv,
    Json,
    /// CSV whose time is in this 0-based column.
    Csv(usize),
    Text,
}

impl TimeFormat {
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::ZeekTsv => "zeek-tsv",
            TimeFormat::Json => "json",
            TimeFormat::Csv(_) => "csv",
            TimeFormat::Text => "text",
        }
    }
}

/// Recognises the format from the first block of an input.
pub fn detect_format(block: &[u8]) -> TimeFormat {
    let first = block.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if block.starts_with(b"#separator") || block.starts_with(b"#fields") {
        return TimeFormat::ZeekTsv;
    }
    let trimmed = first
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &first[i..]);
    if trimmed.starts_with(b"{") {
        return TimeFormat::Json;
    }
    if first.contains(&b',') {
        let cols: Vec<String> = String::from_utf8_lossy(first)
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        if let Some(i) = cols.iter().position(|c| {
            matches!(
                c.as_str(),
                "ts" | "time" | "timestamp" | "date" | "date first seen" | "start"
            )
        }) {
            return TimeFormat::Csv(i);
        }
    }
    TimeFormat::Text
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(secs: i64) -> String {
    Timestamp::from_unix(secs, 0).to_string()
}

fn epoch(s: &str) -> Option<i64> {
    let s = s.trim();
    let int = s.split('.').next()?;
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]` at the start of `s` -> Unix seconds.
pub fn iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let base = format!("{}T{}Z", &s[..10], &s[11..19]);
    let mut secs = Timestamp::parse(&base).ok()?.unix_seconds();
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[n..];
    }
    let rb = rest.as_bytes();
    if rb.len() >= 6 && (rb[0] == b'+' || rb[0] == b'-') && rb[3] == b':' {
        let h: i64 = rest[1..3].parse().ok()?;
        let m: i64 = rest[4..6].parse().ok()?;
        let off = h * 3600 + m * 60;
        secs += if rb[0] == b'+' { -off } else { off };
    }
    Some(secs)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mmm dd hh:mm:ss` (RFC 3164) with an assumed year, UTC.
fn rfc3164(s: &str, year: i32) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 15 || b[3] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let m = MONTHS.iter().position(|x| *x == &s[..3])? + 1;
    let day: u32 = s[4..6].trim().parse().ok()?;
    let iso_text = format!("{year:04}-{m:02}-{day:02}T{}Z", &s[7..15]);
    Timestamp::parse(&iso_text).ok().map(|t| t.unix_seconds())
}

fn json_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\"");
    let i = line.find(&pat)? + pat.len();
    let rest = line[i..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(r) = rest.strip_prefix('"') {
        return r.find('"').map(|e| &r[..e]);
    }
    let e = rest.find([',', '}', ' ']).unwrap_or(rest.len());
    Some(&rest[..e])
}

/// The time of one record (a line), with `true` when it was inferred (no year/zone).
pub fn record_time(line: &[u8], fmt: TimeFormat, year: i32) -> Option<(i64, bool)> {
    let line = std::str::from_utf8(line).ok()?;
    match fmt {
        TimeFormat::ZeekTsv => epoch(line.split('\t').next()?).map(|t| (t, false)),
        TimeFormat::Json => ["ts", "@timestamp", "timestamp", "time"]
            .iter()
            .find_map(|k| {
                let v = json_field(line, k)?;
                epoch(v).or_else(|| iso(v)).map(|t| (t, false))
            }),
        TimeFormat::Csv(col) => {
            let v = line.split(',').nth(col)?.trim().trim_matches('"');
            iso(v).or_else(|| epoch(v)).map(|t| (t, false))
        }
        TimeFormat::Text => {
            let mut s = line.trim_start();
            if s.starts_with('<') {
                // Syslog priority, and the RFC 5424 version digit.
                s = s.split_once('>').map_or(s, |(_, r)| r);
                if let Some(r) = s.strip_prefix("1 ") {
                    s = r;
                }
            }
            iso(s)
                .map(|t| (t, false))
                .or_else(|| rfc3164(s, year).map(|t| (t, true)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_times() {
        assert_eq!(
            detect_format(b"#separator \\x09\n#fields\tts\n"),
            TimeFormat::ZeekTsv
        );
        assert_eq!(
            record_time(b"1541752426.123\tC1\t10.0.0.1", TimeFormat::ZeekTsv, 2026),
            Some((1_541_752_426, false))
        );
        assert_eq!(detect_format(b"{\"ts\":1.5}\n"), TimeFormat::Json);
        assert_eq!(
            record_time(
                br#"{"ts":"2018-11-09T08:33:46.123Z","x":1}"#,
                TimeFormat::Json,
                2026
            ),
            Some((1_541_752_426, false))
        );
        assert_eq!(detect_format(b"ts,te,sa,da\n"), TimeFormat::Csv(0));
        assert_eq!(
            record_time(b"2018-11-09 08:33:46,x", TimeFormat::Csv(0), 2026),
            Some((1_541_752_426, false))
        );
        assert_eq!(
            record_time(b"<34>Nov  9 08:33:46 host x", TimeFormat::Text, 2018),
            Some((1_541_752_426, true))
        );
        assert_eq!(
            record_time(
                b"<34>1 2018-11-09T09:33:46+01:00 host",
                TimeFormat::Text,
                2026
            ),
            Some((1_541_752_426, false))
        );
        assert_eq!(rfc3339(1_541_752_426), "2018-11-09T08:33:46.000Z");
        assert_eq!(record_time(b"no time here", TimeFormat::Text, 2026), None);
    }
}
