//! Indicator sweeps for Stormwatch.
//!
//! Owns finding indicators in telemetry: STIX patterns parsed and compiled to the
//! comparisons a sweep can decide ([`pattern`]), the indicator set with exact,
//! boundary-correct lookups ([`iocs`]), the tokenizing matcher over text records
//! ([`scan`]), and packet capture reading ([`pcap`]). Matches are pushed into a
//! [`sink::Sink`]; the library never prints and never touches the store, so a future
//! streaming worker can reuse it as it is.

mod capture;
pub mod document;
pub mod indicators;
pub mod iocs;
pub mod pattern;
pub mod pcap;
pub mod records;
pub mod scan;
pub mod sweep;
pub mod time;
