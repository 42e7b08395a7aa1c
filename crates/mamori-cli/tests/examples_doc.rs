//! `docs/examples.md` documents what `mamori scan examples/` finds, rule by rule. This test keeps the document
//! true: the table between its markers must equal the scan's counts (regenerate with MAMORI_UPDATE_GOLDEN=1),
//! and the hardened examples must stay clean.

mod common;

use common::{code, run, stdout};
use std::collections::BTreeMap;

const BEGIN: &str = "<!-- findings:begin -->";
const END: &str = "<!-- findings:end -->";

fn counts(path: &str) -> BTreeMap<(String, String), usize> {
    let output = run(&["scan", "--no-config", "--format", "json", path]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON report");
    let mut counts = BTreeMap::new();
    for finding in value["findings"].as_array().expect("findings") {
        let key = (
            finding["ruleId"].as_str().unwrap_or_default().to_owned(),
            finding["severity"].as_str().unwrap_or_default().to_owned(),
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn table(
    insecure: &BTreeMap<(String, String), usize>,
    control_plane: &BTreeMap<(String, String), usize>,
) -> String {
    let mut keys: Vec<&(String, String)> = insecure.keys().chain(control_plane.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = String::from("| rule | severity | examples/insecure-app | examples/control-plane/insecure |\n|---|---|---|---|\n");
    for key in keys {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            key.0,
            key.1,
            insecure.get(key).copied().unwrap_or(0),
            control_plane.get(key).copied().unwrap_or(0)
        ));
    }
    let total = |m: &BTreeMap<(String, String), usize>| m.values().sum::<usize>();
    out.push_str(&format!(
        "| **total** | | {} | {} |\n",
        total(insecure),
        total(control_plane)
    ));
    out
}

#[test]
fn documented_findings_of_the_examples_match_the_scan() {
    let expected = table(
        &counts("../../examples/insecure-app"),
        &counts("../../examples/control-plane/insecure"),
    );
    let doc_path = common::repo_dir().join("docs/examples.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/examples.md exists");
    let (before, rest) = doc.split_once(BEGIN).expect("begin marker");
    let (documented, after) = rest.split_once(END).expect("end marker");
    if std::env::var_os("MAMORI_UPDATE_GOLDEN").is_some() {
        std::fs::write(
            &doc_path,
            format!("{before}{BEGIN}\n{expected}{END}{after}"),
        )
        .expect("write doc");
        return;
    }
    assert_eq!(
        documented.trim(),
        expected.trim(),
        "docs/examples.md is out of date (MAMORI_UPDATE_GOLDEN=1 cargo test -p mamori-cli --test examples_doc)"
    );
}

#[test]
fn hardened_examples_are_clean_for_every_rule() {
    for path in [
        "../../examples/hardened-app",
        "../../examples/control-plane/hardened",
    ] {
        let output = run(&["scan", "--no-config", "--format", "json", path]);
        let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON report");
        assert_eq!(value["findings"], serde_json::json!([]), "{path}");
        assert_eq!(code(&output), 0, "{path}");
    }
}
