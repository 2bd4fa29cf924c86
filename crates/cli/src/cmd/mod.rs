//! One module per command; each parses its own arguments and renders through
//! `stormwatch_report`.

pub mod ach;
pub mod actor;
pub mod attribute;
pub mod claim;
pub mod export;
pub mod hunt;
pub mod import;
pub mod intel;
pub mod search;
pub mod show;
pub mod stats;
pub mod timing;
