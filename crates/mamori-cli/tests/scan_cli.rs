//! `mamori scan`: table, JSON and SARIF on the examples, fail-on gating, colour, --output.

mod common;

use common::{assert_golden, code, mamori, run, stderr, stdout};

const INSECURE: &str = "../../examples/insecure-app";
const HARDENED: &str = "../../examples/hardened-app";

fn json_of(args: &[&str]) -> (serde_json::Value, i32) {
    let output = run(args);
    let value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", stdout(&output)));
    (value, code(&output))
}

#[test]
fn table_of_insecure_example_golden() {
    let output = run(&["scan", INSECURE]);
    assert_golden("scan-insecure.txt", &stdout(&output));
    assert!(
        !output.stdout.contains(&0x1b),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(code(&output), 1);
}

#[test]
fn hardened_example_has_zero_findings() {
    let output = run(&["scan", HARDENED]);
    let text = stdout(&output);
    assert!(text.contains("No findings."), "{text}");
    assert!(text.contains("Summary: 0 findings"), "{text}");
    assert_eq!(stderr(&output), "");
    assert_eq!(code(&output), 0);

    let (value, status) = json_of(&["scan", "--format", "json", HARDENED]);
    assert_eq!(value["findings"].as_array().map(Vec::len), Some(0));
    // ConfigMap + Deployment + Service, DaemonSet, StatefulSet, CronJob, two List items, and the namespaces file
    // (2 Namespaces, 2 ResourceQuotas, 2 LimitRanges, 4 NetworkPolicies, 5 ServiceAccounts, 1 Ingress).
    assert_eq!(value["summary"]["objectsScanned"], 24);
    assert_eq!(value["summary"]["filesScanned"], 6);
    assert_eq!(status, 0);
}

#[test]
fn json_report_of_insecure_example() {
    let (value, status) = json_of(&["scan", "--format", "json", INSECURE]);
    assert_eq!(status, 1);
    assert_eq!(value["schemaVersion"], 1);
    assert_eq!(value["tool"]["name"], "mamori");
    assert_eq!(value["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["policy"]["pssLevel"], "restricted");
    let findings = value["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    // Every finding carries every field of the model.
    for finding in findings {
        for key in [
            "ruleId",
            "severity",
            "phase",
            "object",
            "location",
            "message",
            "remediation",
        ] {
            assert!(finding.get(key).is_some(), "missing {key} in {finding}");
        }
        let location = &finding["location"];
        assert!(location["line"].as_u64().unwrap_or(0) >= 1, "{finding}");
        assert!(location["column"].as_u64().unwrap_or(0) >= 1, "{finding}");
        assert!(
            location["file"]
                .as_str()
                .unwrap_or("")
                .starts_with(INSECURE),
            "{finding}"
        );
        let rule_id = finding["ruleId"].as_str().unwrap_or("");
        let family = rule_id.split('.').next().unwrap_or("");
        assert!(
            [
                "pss",
                "workload",
                "namespace",
                "image",
                "rbac",
                "network",
                "storage",
                "controlplane"
            ]
            .contains(&family),
            "{finding}"
        );
    }
    let has = |rule: &str, name: &str| {
        findings
            .iter()
            .any(|f| f["ruleId"] == rule && f["object"]["name"] == name)
    };
    assert!(has("pss.privileged", "storefront"));
    assert!(has("pss.restrictedVolumes", "storefront"));
    assert!(has("pss.hostNamespaces", "log-agent"));
    assert!(has("pss.capabilities_restricted", "log-agent"));
    assert!(has("pss.hostPorts", "orders-db"));
    assert!(has("pss.seccompProfile_restricted", "orders-db"));
    assert!(has("pss.allowPrivilegeEscalation", "nightly-backup"));
    assert!(has("pss.runAsUser", "nightly-backup"));
    assert!(has("pss.procMount_restricted", "debug-shell"));
    assert!(has("pss.seLinuxOptions", "toolbox"));
    // The catalogue beyond Pod Security, one per phase that the example exercises.
    assert!(has("rbac.wildcard-all", "shop-operator"));
    assert!(has("rbac.cluster-admin-binding", "ci-robot-admin"));
    assert!(has("rbac.public-subject-binding", "everyone-reads-secrets"));
    assert!(has("network.service-external-ips", "storefront-public"));
    assert!(has("network.default-deny-ingress-missing", "shop"));
    assert!(has("namespace.psa-enforce-privileged", "observability"));
    assert!(has("image.latest-tag", "log-agent"));
    assert!(has("workload.secret-in-env", "orders-db"));
    let privileged = findings
        .iter()
        .find(|f| f["ruleId"] == "pss.privileged" && f["object"]["name"] == "storefront")
        .unwrap();
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["phase"], "runtime-compute");
    assert_eq!(
        privileged["location"]["fieldPath"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(
        value["summary"]["findings"].as_u64(),
        Some(findings.len() as u64)
    );
    assert_eq!(value["summary"]["errors"], 0);
}

#[test]
fn baseline_level_reports_fewer_findings() {
    let (restricted, _) = json_of(&["scan", "--format", "json", INSECURE]);
    let (baseline, _) = json_of(&[
        "scan",
        "--format",
        "json",
        "--pss-level",
        "baseline",
        INSECURE,
    ]);
    let count = |v: &serde_json::Value| v["findings"].as_array().map(Vec::len).unwrap_or(0);
    assert!(count(&baseline) > 0 && count(&baseline) < count(&restricted));
    assert_eq!(baseline["policy"]["pssLevel"], "baseline");
}

#[test]
fn fail_on_gates_the_exit_status() {
    // The insecure example has critical findings.
    assert_eq!(code(&run(&["scan", "--fail-on", "critical", INSECURE])), 1);
    assert_eq!(code(&run(&["scan", "--fail-on", "none", INSECURE])), 0);
    // hostPorts alone is a medium finding: gated at medium/low, not at high/critical.
    let host_port = "tests/fixtures/scan/host-port.yaml";
    assert_eq!(
        code(&run(&["scan", "--pss-level", "baseline", host_port])),
        1
    );
    assert_eq!(
        code(&run(&[
            "scan",
            "--pss-level",
            "baseline",
            "--fail-on",
            "medium",
            host_port
        ])),
        1
    );
    assert_eq!(
        code(&run(&[
            "scan",
            "--pss-level",
            "baseline",
            "--fail-on",
            "high",
            host_port
        ])),
        0
    );
    assert_eq!(
        code(&run(&[
            "scan",
            "--pss-level",
            "baseline",
            "--fail-on",
            "critical",
            host_port
        ])),
        0
    );
    // Errors win even when findings are not gated.
    assert_eq!(
        code(&run(&[
            "scan",
            "--fail-on",
            "none",
            INSECURE,
            "tests/fixtures/bad/syntax.yaml"
        ])),
        2
    );
    assert_eq!(code(&run(&["scan", "--fail-on", "bogus", INSECURE])), 2);
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let forced = mamori()
        .args(["scan", INSECURE])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(
        forced.stdout.contains(&0x1b),
        "CLICOLOR_FORCE=1 forces colour"
    );
    let no_color = mamori()
        .args(["scan", INSECURE])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b), "NO_COLOR wins");
    let always = run(&["scan", "--color", "always", INSECURE]);
    assert!(always.stdout.contains(&0x1b));
    // Stripping the escapes gives exactly the plain table.
    let plain = run(&["scan", INSECURE]);
    assert_eq!(strip_ansi(&stdout(&forced)), stdout(&plain));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn output_flag_writes_each_format_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["table", "json", "sarif"] {
        let target = dir.path().join(format!("report.{format}"));
        let output = run(&[
            "scan",
            "--format",
            format,
            "--output",
            target.to_str().unwrap(),
            INSECURE,
        ]);
        assert_eq!(stdout(&output), "", "{format}");
        assert_eq!(code(&output), 1, "{format}");
        let written = std::fs::read_to_string(&target).unwrap();
        assert!(!written.contains('\x1b'), "{format}");
        match format {
            "table" => assert!(written.contains("Runtime: compute")),
            _ => {
                let value: serde_json::Value = serde_json::from_str(&written).unwrap();
                assert!(value.is_object());
            }
        }
    }
    let output = run(&["scan", "--output", "/nonexistent-dir/x.json", INSECURE]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("/nonexistent-dir/x.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sarif_structure_for_github() {
    let output = run(&["scan", "--format", "sarif", INSECURE]);
    assert_eq!(code(&output), 1);
    let log: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap_or("").contains("sarif"));
    let run0 = &log["runs"][0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "mamori");
    let rules = driver["rules"].as_array().expect("rules");
    let catalogue = run(&["rules", "--format", "json"]);
    let catalogue: serde_json::Value =
        serde_json::from_str(&stdout(&catalogue)).expect("rules JSON");
    let expected = catalogue
        .as_array()
        .or_else(|| catalogue["rules"].as_array())
        .map_or(0, Vec::len);
    assert!(expected > 19, "the 19 PSS checks and the catalogue");
    assert_eq!(
        rules.len(),
        expected,
        "every rule of `mamori rules` is in the SARIF driver"
    );
    for rule in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
            "defaultConfiguration",
            "properties",
        ] {
            assert!(rule.get(key).is_some(), "missing {key} in {rule}");
        }
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        // GitHub reads 0.1–3.9 as low … 9.0+ as critical; informational rules carry 0.0 (no security severity).
        if rule["properties"]["severity"] == "info" {
            assert_eq!(severity, 0.0, "{rule}");
        } else {
            assert!(severity > 0.0 && severity <= 10.0, "{rule}");
        }
    }
    let results = run0["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("../../examples/insecure-app/")
                || uri.starts_with("examples/insecure-app/"),
            "{uri}"
        );
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"]
            .as_object()
            .is_some_and(|m| !m.is_empty()));
        assert!(result["locations"][0]["logicalLocations"][0]["name"].is_string());
    }
}

#[test]
fn scan_reads_stdin() {
    let pod = std::fs::read(common::crate_dir().join("tests/fixtures/pss/nginx-pod.yaml")).unwrap();
    let output = common::run_with_stdin(&["scan", "--format", "json", "-"], &pod);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["findings"][0]["location"]["file"], "-");
    let pss_findings = value["findings"].as_array().map_or(0, |f| {
        f.iter()
            .filter(|f| {
                f["ruleId"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("pss."))
            })
            .count()
    });
    assert_eq!(
        pss_findings, 4,
        "the four restricted violations of the upstream nginx example"
    );
    assert_eq!(code(&output), 1);
}
