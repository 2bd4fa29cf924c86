//! Fuzz target: the windowed indicator scanner (`stormwatch_hunt::scan::Scanner`).
//! The first byte says how many of the next bytes describe a small indicator set
//! (IPv4 and IPv4 networks, IPv6, domains with and without subdomains, e-mail,
//! hashes, and values taken from tokens of the text so that hits happen); the rest
//! is the text. `Scanner::scan` (AVX2 where the CPU has it, and the SSE2 path) must
//! report exactly the hits of the plain reference tokenizer, with the same line
//! numbers and newline count, and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    stormwatch_hunt::scan::fuzzing::check(data);
});
