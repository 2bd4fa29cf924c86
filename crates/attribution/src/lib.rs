//! Actors and attribution for Stormwatch.
//!
//! Owns reasoning over claims: who calls an actor what (alias claims from every
//! source, graded and dated), clusters of names computed on demand from the claims
//! that pass a confidence threshold (disputed links and distinct-from claims block,
//! nothing is ever merged in the store), the chain of claims connecting two names,
//! and actor profiles (techniques, software, CVEs, victims, attribution claims).
//! It reads the store and returns plain results; it never prints.

pub mod ach;
pub mod actors;
pub mod claims;
pub mod commands;
pub mod overlap;
pub mod profile;
pub mod timing;

pub use actors::{ActorGraph, Options};
