//! Feeds arbitrary bytes through the STIX pattern parser and the sweep compiler
//! (`stormwatch hunt` takes indicator patterns from files nobody vetted). Any
//! input may be rejected with an error; none may panic, overflow the stack or hang.
//! What parses must also survive its own canonical form: `Display` output parses
//! back to the same canonical form with the same atoms.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use stormwatch_hunt::pattern::{compile, parse, MAX_PATTERN_BYTES};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pattern) = parse(text) else {
        return;
    };
    let atoms = pattern.atoms();
    let sweep = compile(&pattern);
    for term in &sweep.terms {
        assert!(
            atoms.iter().any(|a| a.text == term.atom),
            "term from an unknown atom"
        );
    }
    assert!(!sweep.whole || !sweep.terms.is_empty());

    let shown = pattern.to_string();
    // The canonical form adds spaces, so it may exceed the size limit.
    if shown.len() <= MAX_PATTERN_BYTES {
        let again = match parse(&shown) {
            Ok(p) => p,
            Err(e) => panic!("canonical form {shown:?} does not parse: {e}"),
        };
        assert_eq!(again.to_string(), shown);
        let strip = |v: Vec<stormwatch_hunt::pattern::Atom>| {
            v.into_iter()
                .map(|a| {
                    (
                        a.object_type,
                        a.path,
                        a.op,
                        a.negated,
                        format!("{:?}", a.values),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(again.atoms()), strip(atoms));
        // Same values (the count may differ: terms are de-duplicated per atom
        // text, and the canonical form can make two spellings of an atom equal).
        let kinds = |s: &stormwatch_hunt::pattern::Sweep| {
            s.terms
                .iter()
                .map(|t| t.kind.clone())
                .collect::<HashSet<_>>()
        };
        let again_sweep = compile(&again);
        assert_eq!(kinds(&again_sweep), kinds(&sweep));
        assert_eq!(again_sweep.whole, sweep.whole);
    }
});
