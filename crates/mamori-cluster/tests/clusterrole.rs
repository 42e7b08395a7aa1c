//! deploy/mamori-reader-clusterrole.yaml grants exactly `list` on the kinds mamori reads, nothing more.

use mamori_cluster::{rbac_kinds, scan_kinds};
use mamori_model::Node;
use std::collections::BTreeSet;

const CLUSTER_ROLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/mamori-reader-clusterrole.yaml"
);

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn reader_cluster_role_lists_exactly_the_scanned_kinds() {
    let text =
        std::fs::read_to_string(CLUSTER_ROLE).expect("deploy/mamori-reader-clusterrole.yaml");
    let role = mamori_yaml::parse_document(&text, 1, &mamori_yaml::Limits::default())
        .expect("valid YAML")
        .expect("a document");
    assert_eq!(role.get("kind").and_then(Node::as_str), Some("ClusterRole"));
    let mut granted = BTreeSet::new();
    for rule in role.get("rules").and_then(Node::as_seq).expect("rules") {
        assert_eq!(strings(rule.get("verbs")), ["list"], "only list is granted");
        assert!(rule.get("resourceNames").is_none() && rule.get("nonResourceURLs").is_none());
        for group in strings(rule.get("apiGroups")) {
            for resource in strings(rule.get("resources")) {
                assert!(
                    !resource.contains('*') && !resource.contains('/'),
                    "{resource}"
                );
                assert!(granted.insert((group.clone(), resource)), "granted twice");
            }
        }
    }
    let needed: BTreeSet<(String, String)> = scan_kinds()
        .iter()
        .map(|k| (k.group.to_owned(), k.plural.to_owned()))
        .collect();
    assert_eq!(granted, needed);
    assert!(rbac_kinds()
        .iter()
        .all(|k| granted.contains(&(k.group.to_owned(), k.plural.to_owned()))));
}
