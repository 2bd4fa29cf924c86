//! One module per command; each parses its own arguments and renders through
//! `stormwatch_report`.

pub mod export;
pub mod import;
pub mod search;
pub mod show;
pub mod stats;
