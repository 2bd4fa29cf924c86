//! Writes synthetic operator activity as CSV (`time` column), for examples and the
//! timing benchmark: `timing_synth SEED N WEEKS NOISE (OFFSET_MINUTES|COUNTRY) START_MONDAY`.
//!
//! `cargo run --release -p stormwatch-attribution --example timing_synth -- 1 300 8 0.1 CN 2024-09-02`

use stormwatch_attribution::timing::synthetic;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 7 {
        eprintln!("usage: timing_synth SEED N WEEKS NOISE (OFFSET_MINUTES|COUNTRY) START_MONDAY");
        std::process::exit(2);
    }
    let num = |i: usize| a[i].parse::<f64>().unwrap_or(0.0);
    let start = chrono::NaiveDate::parse_from_str(&a[6], "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp()
        })
        .unwrap_or(0);
    let (off, country) = match a[5].parse::<i32>() {
        Ok(m) => (Some(m), None),
        Err(_) => (None, Some(a[5].as_str())),
    };
    let mut t = synthetic(
        num(1) as u64,
        num(2) as usize,
        start,
        num(3) as i64,
        num(4),
        off,
        country,
    );
    t.sort_unstable();
    println!("time,event");
    for x in t {
        if let Some(d) = chrono::DateTime::from_timestamp(x, 0) {
            println!("{},operator action", d.format("%Y-%m-%dT%H:%M:%SZ"));
        }
    }
}
