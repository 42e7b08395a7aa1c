//! Arbitrary UTF-8 text through `mamori_yaml::json_scan` and through serde_json (its reference), for each of
//! the three object builds. The scanner may decline anything (`None`), but whatever it accepts the reference
//! must accept too, with exactly the same tree (Debug text: floats compared bit for bit, -0.0 included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_yaml::json_scan::{JsonScanner, ObjectBuild};
use mamori_yaml::JsonNode;

fn reference(text: &str, build: ObjectBuild) -> Result<JsonNode, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let node = match build {
        ObjectBuild::Full => serde::Deserialize::deserialize(&mut de),
        ObjectBuild::WithoutBookkeeping => JsonNode::deserialize_without_bookkeeping(&mut de),
        ObjectBuild::PodSecurity => JsonNode::deserialize_pod_security_fields(&mut de),
    };
    node.and_then(|node| de.end().map(|()| node))
}

fuzz_target!(|text: &str| {
    for build in [
        ObjectBuild::Full,
        ObjectBuild::WithoutBookkeeping,
        ObjectBuild::PodSecurity,
    ] {
        let mut scanner = JsonScanner::new(text);
        let Some(node) = scanner.node(build).filter(|_| scanner.finish().is_some()) else {
            continue;
        };
        match reference(text, build) {
            Ok(expected) => assert_eq!(
                format!("{node:?}"),
                format!("{:?}", expected.0),
                "{build:?}: the scanner and serde_json build different trees for {text:?}"
            ),
            Err(e) => panic!("{build:?}: the scanner accepted what serde_json rejects ({e}): {text:?}"),
        }
    }
});
