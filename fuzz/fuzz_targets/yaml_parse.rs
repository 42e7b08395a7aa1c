//! Arbitrary bytes (lossily decoded, as a loader would after its UTF-8 check) through `parse_document`, with
//! default and with tight limits: it must return a tree or an error, never panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_yaml::{parse_document, Limits};

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let _ = parse_document(&text, 1, &Limits::default());
    let tight = Limits {
        max_depth: 8,
        max_nodes: 64,
        max_alias_expansions: 4,
        ..Limits::default()
    };
    if let Err(e) = parse_document(&text, 7, &tight) {
        // Errors carry absolute positions: never before the document's first line.
        assert!(e.pos.line >= 7 || e.pos.line == 0, "{e}");
    }
});
