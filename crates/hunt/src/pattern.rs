//! STIX patterning: parser and compiler (being written).
