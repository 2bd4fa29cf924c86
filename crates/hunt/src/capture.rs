//! Seam between the sweep and the packet reader.

pub use crate::pcap::{is_capture, read_packets};
