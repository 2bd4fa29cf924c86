//! One module per command; each parses its own arguments and renders through
//! `stormwatch_report`.

pub mod ach;
pub mod actor;
pub mod admin;
pub mod attribute;
pub mod audit;
pub mod claim;
pub mod detect;
pub mod export;
pub mod exposure;
pub mod hunt;
pub mod import;
pub mod intel;
pub mod search;
pub mod serve;
pub mod show;
pub mod stats;
pub mod timing;
