//! Arbitrary UTF-8 text through `mamori_pss::scan_pod_json` (the Pod Security view read straight from JSON) for
//! every pod-bearing kind, against the tree path: serde_json's tree, `pod_template`, `PodView::from_template`.
//! The direct reader may decline anything; whatever view it produces, the tree path must accept the same text
//! and build the same view (and the same runtime class and object kind), never a field error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_model::Node;
use mamori_pss::{pod_template, scan_pod_json, PodView};
use mamori_yaml::json_scan::JsonScanner;

const KINDS: [&str; 9] = [
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
    "CronJob",
    "PodTemplate",
];

fuzz_target!(|text: &str| {
    for kind in KINDS {
        let mut scanner = JsonScanner::new(text);
        let Some(Some(pod)) = scan_pod_json(&mut scanner, kind) else {
            continue;
        };
        if scanner.finish().is_none() {
            continue;
        }
        let tree = match mamori_yaml::parse_json(text.as_bytes(), &mamori_yaml::Limits::default()) {
            Ok(tree) => tree,
            Err(e) => panic!("{kind}: a view of text the reference rejects ({}): {text:?}", e.message),
        };
        let template = pod_template(kind, &tree)
            .unwrap_or_else(|| panic!("{kind}: a view where the tree has no template: {text:?}"));
        let view = PodView::from_template(&template)
            .unwrap_or_else(|e| panic!("{kind}: a view where the tree path reports {e}: {text:?}"));
        assert_eq!(pod.view, view, "{kind}: views differ for {text:?}");
        let class = template.spec.get("runtimeClassName").and_then(Node::as_str);
        assert_eq!(pod.runtime_class.as_deref(), class, "{kind}: {text:?}");
        let object_kind = tree.get("kind").and_then(Node::as_str);
        assert_eq!(pod.object_kind.as_deref(), object_kind, "{kind}: {text:?}");
    }
});
