//! Arbitrary UTF-8 text: neither YAML path may panic, and whenever the fast path accepts a document, the
//! reference path must accept it too and build exactly the same tree (values, keys and every position).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_yaml::{parse_document_fast, parse_document_reference, Limits};

fuzz_target!(|text: &str| {
    let limits = Limits::default();
    let reference = parse_document_reference(text, 1, &limits);
    let Some(fast) = parse_document_fast(text, 1, &limits) else {
        return;
    };
    match reference {
        // Debug text compares floats bit-exactly and NaN as equal to itself.
        Ok(reference) => assert_eq!(
            format!("{fast:#?}"),
            format!("{reference:#?}"),
            "fast and reference trees differ for {text:?}"
        ),
        Err(e) => panic!("fast path accepted what the reference rejects ({e}): {text:?}"),
    }
});
