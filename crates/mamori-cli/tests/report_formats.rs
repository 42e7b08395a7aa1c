//! End-to-end tests of the report formats of `mamori scan`: JUnit XML, HTML, the table's per-phase summary and the
//! JSON rules block / per-phase summary, all on the same input and checked against each other.

mod common;

use common::{code, run, stdout};

const INPUT: &str = "tests/fixtures/scan/host-port.yaml";

fn scan(format: &str) -> String {
    let output = run(&["scan", "--format", format, INPUT]);
    assert_eq!(code(&output), 1, "findings make the exit status 1");
    stdout(&output)
}

fn json() -> serde_json::Value {
    serde_json::from_str(&scan("json")).expect("JSON report")
}

#[test]
fn json_has_rules_block_and_per_phase_summary() {
    let report = json();
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let by_phase = report["summary"]["byPhase"].as_object().expect("byPhase");
    assert_eq!(by_phase.len(), 8);
    let phase_total: u64 = by_phase
        .values()
        .map(|p| p["findings"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(phase_total, findings.len() as u64);
    // Every rule that fired is described, with its references.
    for finding in findings {
        let id = finding["ruleId"].as_str().expect("ruleId");
        let rule = report["rules"]
            .as_array()
            .and_then(|rules| rules.iter().find(|r| r["id"] == id))
            .unwrap_or_else(|| panic!("rule {id} is described"));
        assert!(!rule["rationale"].as_str().unwrap_or("").is_empty());
        assert!(!rule["references"]
            .as_array()
            .expect("references")
            .is_empty());
    }
}

#[test]
fn junit_is_well_formed_and_matches_the_findings() {
    let report = json();
    let xml = scan("junit");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    // A well-formedness check without an XML crate in this package: balanced suites and cases, escaped text.
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    let failures = xml.matches("<failure ").count();
    assert_eq!(failures, xml.matches("</failure>").count());
    assert!(failures >= 1);
    for finding in report["findings"].as_array().expect("findings") {
        let id = finding["ruleId"].as_str().expect("ruleId");
        assert!(
            xml.contains(&format!(" {id} at {INPUT}:")),
            "{id} listed in a failure"
        );
    }
    assert!(xml.contains("classname=\"mamori.pss\" name=\"Pod host-port-only\""));
    assert!(xml.contains(&format!("<testsuite name=\"{INPUT}\"")));
}

#[test]
fn html_is_one_self_contained_page_with_the_json_counts() {
    let report = json();
    let html = scan("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;"
    ));
    assert!(!html.contains("src=\"http") && !html.contains("<link"));
    let total = report["summary"]["findings"].as_u64().expect("total");
    assert!(html.contains(&format!("<span id=\"total-findings\">{total}</span>")));
    for (phase, counts) in report["summary"]["byPhase"].as_object().expect("byPhase") {
        for (severity, n) in counts["bySeverity"].as_object().expect("bySeverity") {
            let cell = format!("data-phase=\"{phase}\" data-severity=\"{severity}\">{n}</td>");
            assert!(html.contains(&cell), "{cell}");
        }
    }
}

#[test]
fn table_has_per_phase_headings_and_summary() {
    let report = json();
    let text = scan("table");
    let total = report["summary"]["findings"].as_u64().expect("total");
    let compute = report["summary"]["byPhase"]["runtime-compute"]["findings"]
        .as_u64()
        .expect("runtime-compute");
    assert!(compute > 0);
    assert!(
        text.contains(&format!("\nRuntime: compute ({compute}: "))
            || text.starts_with(&format!("Runtime: compute ({compute}: ")),
        "{text}"
    );
    assert!(text.contains(
        "By phase            critical      high    medium       low      info     total\n"
    ));
    let all = text
        .lines()
        .find(|l| l.starts_with("  all phases  "))
        .expect("total row");
    assert!(all.trim_end().ends_with(&format!(" {total}")), "{all}");
    assert!(text.contains(&format!("Summary: {total} finding")));
}
