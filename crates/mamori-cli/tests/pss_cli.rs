//! `mamori pss`: text and JSON outputs byte for byte, exit statuses, stdin, policy parsing.

mod common;

use common::{assert_golden, code, run, run_with_stdin, stderr, stdout};

const NGINX_DETAIL: &str = "allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

#[test]
fn violating_pod_text_is_kubectl_wording() {
    let output = run(&[
        "pss",
        "--level",
        "restricted",
        "--version",
        "latest",
        "tests/fixtures/pss/nginx-pod.yaml",
    ]);
    assert_eq!(
        stdout(&output),
        format!("tests/fixtures/pss/nginx-pod.yaml:1: Pod/nginx: violates PodSecurity \"restricted:latest\": {NGINX_DETAIL}\n")
    );
    assert_eq!(stderr(&output), "");
    assert_eq!(code(&output), 1);
}

#[test]
fn allowed_pod_exits_zero() {
    let output = run(&["pss", "tests/fixtures/pss/allowed-pod.yaml"]);
    assert_eq!(
        stdout(&output),
        "tests/fixtures/pss/allowed-pod.yaml:1: Pod/hardened: allowed\n"
    );
    assert_eq!(code(&output), 0);
}

#[test]
fn policy_string_is_printed_as_given() {
    let output = run(&[
        "pss",
        "--version",
        "v1.30",
        "tests/fixtures/pss/nginx-pod.yaml",
    ]);
    assert!(stdout(&output)
        .contains("violates PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation"));
    assert_eq!(code(&output), 1);
}

#[test]
fn baseline_example_matches_upstream_detail() {
    let output = run(&[
        "pss",
        "--level",
        "baseline",
        "tests/fixtures/pss/baseline-pod.yaml",
    ]);
    let expected = "tests/fixtures/pss/baseline-pod.yaml:2: Pod/everything-wrong: violates PodSecurity \"baseline:latest\": forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\"), non-default capabilities (container \"app\" must not include \"NET_ADMIN\", \"SYS_TIME\" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume \"root\"), hostPort (container \"app\" uses hostPorts 10000, 8080), privileged (container \"app\" must not set securityContext.privileged=true)\n";
    assert_eq!(stdout(&output), expected);
    assert_eq!(code(&output), 1);
}

#[test]
fn privileged_level_allows_everything() {
    let output = run(&[
        "pss",
        "--level",
        "privileged",
        "tests/fixtures/pss/baseline-pod.yaml",
    ]);
    assert_eq!(
        stdout(&output),
        "tests/fixtures/pss/baseline-pod.yaml:2: Pod/everything-wrong: allowed\n"
    );
    assert_eq!(code(&output), 0);
}

#[test]
fn every_workload_kind_text_golden() {
    let output = run(&[
        "pss",
        "tests/fixtures/pss/workloads.yaml",
        "tests/fixtures/pss/list.yaml",
    ]);
    assert_golden("pss-workloads.txt", &stdout(&output));
    // The document without apiVersion/kind is skipped with a note on stderr, which is not an error.
    assert!(
        stderr(&output).contains("tests/fixtures/pss/workloads.yaml:"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("no apiVersion/kind"),
        "{}",
        stderr(&output)
    );
    assert_eq!(code(&output), 1);
}

#[test]
fn every_workload_kind_json_golden() {
    let output = run(&[
        "pss",
        "--format",
        "json",
        "tests/fixtures/pss/workloads.yaml",
        "tests/fixtures/pss/list.yaml",
    ]);
    let text = stdout(&output);
    assert_golden("pss-workloads.json", &text);
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let results = value["results"].as_array().expect("results");
    // Nine pod-bearing workloads and two List items; the ConfigMap and the kindless document are not results.
    assert_eq!(results.len(), 11);
    let kinds: Vec<&str> = results.iter().filter_map(|r| r["kind"].as_str()).collect();
    for kind in [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
        "PodTemplate",
        "Pod",
    ] {
        assert!(kinds.contains(&kind), "missing {kind} in {kinds:?}");
    }
    assert_eq!(value["errors"].as_array().map(Vec::len), Some(0));
    assert_eq!(value["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(code(&output), 1);
}

#[test]
fn json_shape_for_one_pod() {
    let output = run(&[
        "pss",
        "--format",
        "json",
        "tests/fixtures/pss/nginx-pod.yaml",
    ]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    let result = &value["results"][0];
    assert_eq!(result["file"], "tests/fixtures/pss/nginx-pod.yaml");
    assert_eq!(result["line"], 1);
    assert_eq!(result["kind"], "Pod");
    assert!(result["namespace"].is_null());
    assert_eq!(result["name"], "nginx");
    assert_eq!(result["level"], "restricted");
    assert_eq!(result["version"], "latest");
    assert_eq!(result["allowed"], false);
    assert_eq!(result["detail"], NGINX_DETAIL);
    let checks: Vec<&str> = result["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["check"].as_str())
        .collect();
    assert_eq!(
        checks,
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot",
            "seccompProfile_restricted"
        ]
    );
    assert_eq!(
        result["violations"][0]["reason"],
        "allowPrivilegeEscalation != false"
    );
    assert_eq!(
        result["violations"][0]["detail"],
        "container \"nginx\" must set securityContext.allowPrivilegeEscalation=false"
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let pod = std::fs::read(common::crate_dir().join("tests/fixtures/pss/nginx-pod.yaml")).unwrap();
    let output = run_with_stdin(&["pss", "-"], &pod);
    assert_eq!(
        stdout(&output),
        format!("-:1: Pod/nginx: violates PodSecurity \"restricted:latest\": {NGINX_DETAIL}\n")
    );
    assert_eq!(code(&output), 1);
}

#[test]
fn invalid_level_and_version_exit_2_with_upstream_text() {
    let output = run(&[
        "pss",
        "--level",
        "strict",
        "tests/fixtures/pss/nginx-pod.yaml",
    ]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("must be one of privileged, baseline, restricted"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");

    for bad in ["1.25", "v1.01", "v2.0", "V1.25", ""] {
        let output = run(&["pss", "--version", bad, "tests/fixtures/pss/nginx-pod.yaml"]);
        assert_eq!(code(&output), 2, "version {bad:?}");
        assert!(
            stderr(&output).contains("must be \"latest\" or \"v1.x\""),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn missing_path_argument_is_a_usage_error() {
    let output = run(&["pss"]);
    assert_eq!(code(&output), 2);
}

#[test]
fn errors_win_over_violations() {
    let output = run(&[
        "pss",
        "tests/fixtures/pss/nginx-pod.yaml",
        "tests/fixtures/does-not-exist.yaml",
    ]);
    assert!(stdout(&output).contains("Pod/nginx: violates PodSecurity"));
    assert!(
        stderr(&output).contains("tests/fixtures/does-not-exist.yaml"),
        "{}",
        stderr(&output)
    );
    assert_eq!(code(&output), 2);
}

#[test]
fn output_flag_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.txt");
    let output = run(&[
        "pss",
        "--output",
        target.to_str().unwrap(),
        "tests/fixtures/pss/allowed-pod.yaml",
    ]);
    assert_eq!(stdout(&output), "");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "tests/fixtures/pss/allowed-pod.yaml:1: Pod/hardened: allowed\n"
    );
    assert_eq!(code(&output), 0);
}
