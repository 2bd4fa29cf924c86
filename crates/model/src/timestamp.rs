//! STIX timestamps: `YYYY-MM-DDTHH:MM:SS[.s+]Z`, always UTC.
//!
//! Comparing timestamps as strings is wrong once fractional precision differs
//! (`...00Z` sorts after `...00.5Z`), so every comparison goes through [`Timestamp`],
//! and the store keys versions by [`Timestamp::key`], a fixed-width form that sorts
//! correctly as text.

use std::fmt;

/// An instant with nanosecond precision, parsed from a STIX timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a STIX timestamp (expected YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC): {1}")]
pub struct TimestampError(pub String, pub &'static str);

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// Parses a STIX timestamp strictly (upper-case `T` and `Z`, UTC only).
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let err = |why| TimestampError(s.to_owned(), why);
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err(err("too short"));
        }
        let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
            digits(b, 0, 4),
            digits(b, 5, 2),
            digits(b, 8, 2),
            digits(b, 11, 2),
            digits(b, 14, 2),
            digits(b, 17, 2),
        ) else {
            return Err(err("non-digit where a digit belongs"));
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(err("wrong separators"));
        }
        if b[b.len() - 1] != b'Z' {
            return Err(err("must end in Z (UTC)"));
        }
        let y = i64::from(y);
        if !(1..=12).contains(&mo) {
            return Err(err("month out of range"));
        }
        if d == 0 || d > days_in_month(y, mo) {
            return Err(err("day out of range"));
        }
        if h > 23 || mi > 59 || sec > 60 {
            return Err(err("time of day out of range"));
        }
        let frac = &b[19..b.len() - 1];
        let mut nanos = 0u32;
        if !frac.is_empty() {
            if frac[0] != b'.' || frac.len() < 2 {
                return Err(err("fraction must be '.' followed by digits"));
            }
            let f = &frac[1..];
            if f.len() > 9 {
                return Err(err("more than nanosecond precision"));
            }
            for (i, &c) in f.iter().enumerate() {
                if !c.is_ascii_digit() {
                    return Err(err("non-digit in fraction"));
                }
                nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
            }
        }
        let secs = days_from_civil(y, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(sec);
        Ok(Timestamp { secs, nanos })
    }

    /// Parses a user-supplied time bound: a full STIX timestamp, or a date `YYYY-MM-DD`
    /// (midnight UTC), or a timestamp without fraction or `Z`.
    pub fn parse_lenient(s: &str) -> Result<Timestamp, TimestampError> {
        let t = s.trim();
        if t.len() == 10 {
            return Timestamp::parse(&format!("{t}T00:00:00Z"));
        }
        if t.len() == 19 {
            return Timestamp::parse(&format!("{t}Z"));
        }
        Timestamp::parse(t)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// Builds a timestamp from seconds and nanoseconds since the Unix epoch.
    pub fn from_unix(secs: i64, nanos: u32) -> Timestamp {
        Timestamp {
            secs,
            nanos: nanos.min(999_999_999),
        }
    }

    /// The current time (millisecond precision).
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_unix(d.as_secs() as i64, d.subsec_millis() * 1_000_000)
    }

    /// Fixed-width form (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`) that sorts correctly as text.
    pub fn key(&self) -> String {
        let (date, tod) = self.split();
        format!("{date}T{tod}.{:09}Z", self.nanos)
    }

    fn split(&self) -> (String, String) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            format!("{y:04}-{m:02}-{d:02}"),
            format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
        )
    }
}

impl fmt::Display for Timestamp {
    /// Millisecond precision, the STIX convention.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, tod) = self.split();
        if self.nanos.is_multiple_of(1_000_000) {
            write!(f, "{date}T{tod}.{:03}Z", self.nanos / 1_000_000)
        } else {
            write!(f, "{date}T{tod}.{:09}Z", self.nanos)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_across_precisions() {
        let a = Timestamp::parse("2020-01-01T00:00:00Z").unwrap();
        let b = Timestamp::parse("2020-01-01T00:00:00.5Z").unwrap();
        let c = Timestamp::parse("2020-01-01T00:00:00.000Z").unwrap();
        assert!(a < b);
        assert_eq!(a, c);
        assert!(a.key() < b.key());
        assert_eq!(a.key(), "2020-01-01T00:00:00.000000000Z");
        assert_eq!(b.to_string(), "2020-01-01T00:00:00.500Z");
    }

    #[test]
    fn epoch_and_leap_day() {
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_seconds(),
            0
        );
        let t = Timestamp::parse("2024-02-29T23:59:59.123456789Z").unwrap();
        assert_eq!(t.key(), "2024-02-29T23:59:59.123456789Z");
        assert!(Timestamp::parse("2023-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "2020-01-01",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00:00+00:00",
            "2020-13-01T00:00:00Z",
            "2020-01-01t00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00.1234567891Z",
            "２０２０-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lenient_bounds() {
        assert_eq!(
            Timestamp::parse_lenient("2024-05-01").unwrap().key(),
            "2024-05-01T00:00:00.000000000Z"
        );
        assert!(Timestamp::parse_lenient("2024-05-01T10:00:00").is_ok());
    }
}
