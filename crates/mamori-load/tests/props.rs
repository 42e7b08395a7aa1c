//! Property tests of the document splitter.

use mamori_load::{read_stream, Limits, RawDocument};
use proptest::prelude::*;
use std::sync::Arc;

fn split(input: &[u8]) -> Vec<RawDocument> {
    let mut docs = Vec::new();
    read_stream(
        input,
        Arc::from("p"),
        false,
        &Limits::default(),
        &mut |item| {
            if let Ok(doc) = item {
                docs.push(doc);
            }
        },
    );
    docs
}

/// A document body: lines that are never markers and have content.
fn body() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]{1,8}: [a-z0-9 ]{0,12}", 1..6)
        .prop_map(|lines| lines.join("\n") + "\n")
}

proptest! {
    #[test]
    fn splitting_then_joining_preserves_documents(bodies in prop::collection::vec(body(), 1..8)) {
        let joined = bodies.join("---\n");
        let docs = split(joined.as_bytes());
        let texts: Vec<&str> = docs.iter().map(|doc| doc.text.as_str()).collect();
        prop_assert_eq!(texts, bodies.iter().map(String::as_str).collect::<Vec<_>>());
        // first_line is where each document's text starts in the joined input.
        let mut line = 1u32;
        for (doc, body) in docs.iter().zip(&bodies) {
            prop_assert_eq!(doc.first_line, line);
            line += u32::try_from(body.lines().count()).unwrap() + 1;
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let limits = Limits { max_document_bytes: 256, ..Limits::default() };
        read_stream(bytes.as_slice(), Arc::from("p"), false, &limits, &mut |item| {
            if let Ok(doc) = item {
                let _ = mamori_load::parse_raw(&doc, &limits);
            }
        });
    }

    #[test]
    fn arbitrary_yamlish_text_never_panics(text in "([-.{}\\[\\]|>:'\" #a-z\n\r\t]|\u{feff}){0,400}") {
        let limits = Limits { max_document_bytes: 128, ..Limits::default() };
        read_stream(text.as_bytes(), Arc::from("p"), false, &limits, &mut |item| {
            if let Ok(doc) = item {
                let _ = mamori_load::parse_raw(&doc, &limits);
            }
        });
        let _ = mamori_load::looks_like_helm_template(&text);
    }
}
