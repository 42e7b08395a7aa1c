//! Arbitrary bytes as a file: the loader splits, size-checks, UTF-8-checks and Helm-checks it, then parses
//! every document into objects. Nothing may panic; every error must name the file and a position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_load::{parse_raw, read_stream, Limits, Loaded};
use std::sync::Arc;

fuzz_target!(|bytes: &[u8]| {
    let (is_json, body) = match bytes.split_first() {
        Some((flag, rest)) => (flag & 1 == 1, rest),
        None => (false, bytes),
    };
    // Small document limit so the oversize path is reachable with fuzzer-sized inputs.
    let limits = Limits {
        max_document_bytes: 2048,
        ..Limits::default()
    };
    let file: Arc<str> = Arc::from("fuzz.yaml");
    read_stream(body, file, is_json, &limits, &mut |item| match item {
        Ok(doc) => {
            for loaded in parse_raw(&doc, &limits) {
                if let Loaded::Error(e) = loaded {
                    assert_eq!(&*e.file, "fuzz.yaml");
                    let _ = e.to_string();
                }
            }
        }
        Err(e) => {
            assert_eq!(&*e.file, "fuzz.yaml");
            let _ = e.to_string();
        }
    });
});
