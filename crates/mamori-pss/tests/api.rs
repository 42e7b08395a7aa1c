//! Levels, versions, quoting, templates, PodView type errors and evidence, registry validation.

mod common;

use common::{node_from_json, view_of};
use mamori_model::Pos;
use mamori_pss::{
    go_quote, pod_template, registry, Check, Evaluator, Level, LevelVersion, PodView, Version,
    VersionedCheck,
};
use serde_json::json;

#[test]
fn level_parse_exact_strings_and_error_text() {
    assert_eq!(Level::parse("privileged"), Ok(Level::Privileged));
    assert_eq!(Level::parse("baseline"), Ok(Level::Baseline));
    assert_eq!(Level::parse("restricted"), Ok(Level::Restricted));
    for bad in ["Restricted", "", " baseline", "restricted ", "unknown"] {
        let error = Level::parse(bad).expect_err(bad);
        assert_eq!(
            error.to_string(),
            "must be one of privileged, baseline, restricted"
        );
    }
    assert!(Level::Privileged < Level::Baseline && Level::Baseline < Level::Restricted);
}

#[test]
fn version_parse_accepts_latest_and_v1_x_only() {
    assert_eq!(Version::parse("latest"), Ok(Version::LATEST));
    assert_eq!(Version::parse("v1.0"), Ok(Version::v1(0)));
    assert_eq!(Version::parse("v1.25"), Ok(Version::v1(25)));
    assert_eq!(Version::parse("v1.10000"), Ok(Version::v1(10000)));
    assert_eq!(
        Version::parse("v1.9223372036854775807"),
        Ok(Version::v1(i64::MAX as u64))
    );
    for bad in [
        "v1.01",
        "v2.0",
        "1.25",
        "V1.25",
        "v1.25.0",
        "",
        "v0.9",
        "v1.",
        "v1.-1",
        "v1.+1",
        "Latest",
        "v1.9223372036854775808",
    ] {
        let error = Version::parse(bad).expect_err(bad);
        assert_eq!(error.to_string(), "must be \"latest\" or \"v1.x\"", "{bad}");
    }
}

#[test]
fn version_and_level_version_display_and_older() {
    assert_eq!(Version::LATEST.to_string(), "latest");
    assert_eq!(Version::v1(25).to_string(), "v1.25");
    assert_eq!(
        LevelVersion::new(Level::Restricted, Version::LATEST).to_string(),
        "restricted:latest"
    );
    assert_eq!(
        LevelVersion::new(Level::Baseline, Version::v1(24)).to_string(),
        "baseline:v1.24"
    );
    assert!(Version::v1(3).older(Version::v1(10)));
    assert!(Version::v1(99).older(Version::LATEST));
    assert!(!Version::LATEST.older(Version::v1(1)));
    assert!(!Version::LATEST.older(Version::LATEST));
    assert!(LevelVersion::new(Level::Privileged, Version::v1(1))
        .equivalent(LevelVersion::new(Level::Privileged, Version::LATEST)));
    assert!(!LevelVersion::new(Level::Baseline, Version::v1(1))
        .equivalent(LevelVersion::new(Level::Baseline, Version::LATEST)));
}

#[test]
fn go_quote_matches_strconv_quote() {
    assert_eq!(go_quote("unconfined"), "\"unconfined\"");
    assert_eq!(go_quote(""), "\"\"");
    assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(
        go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}"),
        "\"\\a\\b\\f\\n\\r\\t\\v\""
    );
    assert_eq!(go_quote("\u{1}\u{1f}\u{7f}"), "\"\\x01\\x1f\\x7f\"");
    assert_eq!(go_quote("é日本☃"), "\"é日本☃\"");
    assert_eq!(
        go_quote("\u{a0}\u{200b}\u{2028}\u{feff}"),
        "\"\\u00a0\\u200b\\u2028\\ufeff\""
    );
    assert_eq!(go_quote("\u{e000}\u{10ffff}"), "\"\\ue000\\U0010ffff\"");
    assert_eq!(go_quote("\u{85}"), "\"\\u0085\"");
}

#[test]
fn evaluator_clamps_latest_and_future_versions() {
    let evaluator = Evaluator::new();
    assert_eq!(evaluator.max_version(), Version::v1(37));
    assert_eq!(
        evaluator.effective_version(Version::LATEST),
        Version::v1(37)
    );
    assert_eq!(
        evaluator.effective_version(Version::v1(10000)),
        Version::v1(37)
    );
    assert_eq!(
        evaluator.effective_version(Version::v1(36)),
        Version::v1(36)
    );
    let emulated = Evaluator::new().with_emulation_version(Version::v1(33));
    assert_eq!(emulated.effective_version(Version::LATEST), Version::v1(33));
    assert_eq!(emulated.effective_version(Version::v1(35)), Version::v1(33));
    let probe_pod = view_of(
        &json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "h"}}}]}}),
    );
    let lv = LevelVersion::new(Level::Baseline, Version::LATEST);
    assert!(!evaluator.evaluate(lv, &probe_pod).allowed());
    assert!(
        emulated.evaluate(lv, &probe_pod).allowed(),
        "1.34 check absent when emulating 1.33"
    );
}

#[test]
fn pod_template_paths_for_every_kind() {
    let containers =
        json!({"containers": [{"name": "a", "securityContext": {"privileged": true}}]});
    let template = json!({"metadata": {"annotations": {"x": "y"}}, "spec": containers});
    let cases = [
        (
            "Pod",
            json!({"metadata": {"name": "p"}, "spec": containers}),
            "spec",
        ),
        (
            "Deployment",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "ReplicaSet",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "StatefulSet",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "DaemonSet",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "Job",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "ReplicationController",
            json!({"spec": {"template": template}}),
            "spec.template.spec",
        ),
        (
            "CronJob",
            json!({"spec": {"jobTemplate": {"spec": {"template": template}}}}),
            "spec.jobTemplate.spec.template.spec",
        ),
        (
            "PodTemplate",
            json!({"template": template}),
            "template.spec",
        ),
    ];
    let evaluator = Evaluator::new();
    for (kind, doc, spec_path) in cases {
        let root = node_from_json(&doc);
        let t = pod_template(kind, &root).unwrap_or_else(|| panic!("{kind}"));
        assert_eq!(t.spec_path, spec_path);
        assert!(t.metadata.is_some(), "{kind} metadata");
        let view = PodView::from_template(&t).expect("view");
        let result = evaluator.evaluate(LevelVersion::new(Level::Baseline, Version::LATEST), &view);
        assert_eq!(
            result.violations[0].evidence[0].field_path,
            format!("{spec_path}.containers[0].securityContext.privileged")
        );
    }
    let root = node_from_json(&json!({"spec": {}}));
    assert!(pod_template("Service", &root).is_none());
    assert!(
        pod_template("ReplicationController", &root).is_none(),
        "nil template is not evaluated"
    );
    let empty = pod_template("Deployment", &root).expect("zero-valued template");
    let view = PodView::from_template(&empty).expect("view");
    assert!(evaluator
        .evaluate(LevelVersion::new(Level::Restricted, Version::LATEST), &view)
        .allowed());
}

#[test]
fn wrong_types_are_field_errors_with_path_and_position() {
    let cases = [
        (
            json!({"containers": [{"name": "a"}, {"name": "b", "securityContext": {"privileged": "yes"}}]}),
            "spec.template.spec.containers[1].securityContext.privileged",
            "expected a boolean, found a string",
        ),
        (
            json!({"containers": {}}),
            "spec.template.spec.containers",
            "expected a list, found a map",
        ),
        (
            json!({"containers": [{"name": "a", "ports": [{"hostPort": "80"}]}]}),
            "spec.template.spec.containers[0].ports[0].hostPort",
            "expected an integer, found a string",
        ),
        (
            json!({"containers": [{"name": "a", "ports": [{"hostPort": 4294967296_i64}]}]}),
            "spec.template.spec.containers[0].ports[0].hostPort",
            "expected a 32-bit integer, found an out-of-range integer",
        ),
        (
            json!({"initContainers": ["x"]}),
            "spec.template.spec.initContainers[0]",
            "expected a map, found a string",
        ),
        (
            json!({"hostNetwork": 1}),
            "spec.template.spec.hostNetwork",
            "expected a boolean, found an integer",
        ),
        (
            json!({"securityContext": {"runAsUser": 1.5}}),
            "spec.template.spec.securityContext.runAsUser",
            "expected an integer, found a number",
        ),
        (
            json!({"volumes": [{"name": "v", "hostPath": "/etc"}]}),
            "spec.template.spec.volumes[0].hostPath",
            "expected a map, found a string",
        ),
        (
            json!({"containers": [{"name": "a", "securityContext": {"capabilities": {"add": [1]}}}]}),
            "spec.template.spec.containers[0].securityContext.capabilities.add[0]",
            "expected a string, found an integer",
        ),
        (
            json!({"ephemeralContainers": [{"name": 3}]}),
            "spec.template.spec.ephemeralContainers[0].name",
            "expected a string, found an integer",
        ),
        (
            json!({"securityContext": {"sysctls": {}}}),
            "spec.template.spec.securityContext.sysctls",
            "expected a list, found a map",
        ),
    ];
    for (spec, path, message) in cases {
        let root =
            node_from_json(&json!({"kind": "Deployment", "spec": {"template": {"spec": spec}}}));
        let template = pod_template("Deployment", &root).expect("template");
        let error = PodView::from_template(&template).expect_err(path);
        assert_eq!(error.field_path, path);
        assert_eq!(error.message, message);
        assert!(error.pos.is_known(), "{path} has a position");
    }
    let root = node_from_json(
        &json!({"kind": "Pod", "metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": true}}, "spec": {}}),
    );
    let error = PodView::from_template(&pod_template("Pod", &root).expect("pod"))
        .expect_err("annotation type");
    assert_eq!(
        error.field_path,
        "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod"
    );
}

#[test]
fn null_is_absent_and_empty_map_is_set() {
    let nulls = view_of(
        &json!({"kind": "Pod", "spec": {"securityContext": null, "hostNetwork": null,
        "containers": [{"name": "a", "securityContext": {"privileged": null, "allowPrivilegeEscalation": null}}],
        "volumes": [{"name": "s", "scaleIO": {"secretRef": null}}, {"name": "e", "emptyDir": null}]}}),
    );
    let evaluator = Evaluator::new();
    let result = evaluator.evaluate(
        LevelVersion::new(Level::Restricted, Version::LATEST),
        &nulls,
    );
    assert_eq!(
        result
            .violations
            .iter()
            .find(|v| v.check_id == "restrictedVolumes")
            .map(|v| v.detail.as_str()),
        Some("volume \"s\" uses restricted volume type \"scaleIO\""),
        "emptyDir: null is absent, so volume e is defaulted and allowed"
    );
    assert!(result
        .violations
        .iter()
        .any(|v| v.check_id == "allowPrivilegeEscalation"));
    let empty_sc = view_of(
        &json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "securityContext": {"capabilities": {}}}]}}),
    );
    let detail = evaluator
        .evaluate(
            LevelVersion::new(Level::Restricted, Version::LATEST),
            &empty_sc,
        )
        .forbidden_detail();
    assert!(
        detail.contains("container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]"),
        "{detail}"
    );
}

#[test]
fn evidence_points_at_offending_fields_and_lacking_containers() {
    let doc = json!({"kind": "Pod", "spec": {"containers": [
        {"name": "a", "securityContext": {"privileged": true}},
        {"name": "b"}]}});
    let root = node_from_json(&doc);
    let view = PodView::from_template(&pod_template("Pod", &root).expect("pod")).expect("view");
    let result =
        Evaluator::new().evaluate(LevelVersion::new(Level::Restricted, Version::LATEST), &view);
    let privileged = result
        .violations
        .iter()
        .find(|v| v.check_id == "privileged")
        .expect("privileged");
    let field = root
        .path(&["spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c.first())
        .and_then(|c| c.path(&["securityContext", "privileged"]))
        .expect("field");
    assert_eq!(privileged.evidence.len(), 1);
    assert_eq!(
        privileged.evidence[0].field_path,
        "spec.containers[0].securityContext.privileged"
    );
    assert_eq!(privileged.evidence[0].pos, field.pos);
    let escalation = result
        .violations
        .iter()
        .find(|v| v.check_id == "allowPrivilegeEscalation")
        .expect("ape");
    let container_b = root
        .path(&["spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c.get(1))
        .expect("b");
    assert_eq!(escalation.evidence[1].field_path, "spec.containers[1]");
    assert_eq!(escalation.evidence[1].pos, container_b.pos);
    assert_ne!(container_b.pos, Pos::UNKNOWN);
}

fn allow_all(_: &PodView) -> Option<mamori_pss::CheckResult> {
    None
}

#[test]
fn registry_validation_rejects_invalid_check_sets() {
    assert_eq!(registry::validate(registry::DEFAULT_CHECKS), Ok(()));
    assert_eq!(registry::DEFAULT_CHECKS.len(), 19);
    static BASE: Check = Check {
        id: "b",
        level: Level::Baseline,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &[],
        }],
    };
    static DUPLICATE: Check = Check {
        id: "b",
        level: Level::Restricted,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &[],
        }],
    };
    static DECREASING: Check = Check {
        id: "d",
        level: Level::Baseline,
        versions: &[
            VersionedCheck {
                minimum_version: Version::v1(5),
                check: allow_all,
                override_ids: &[],
            },
            VersionedCheck {
                minimum_version: Version::v1(5),
                check: allow_all,
                override_ids: &[],
            },
        ],
    };
    static LATEST: Check = Check {
        id: "l",
        level: Level::Baseline,
        versions: &[VersionedCheck {
            minimum_version: Version::LATEST,
            check: allow_all,
            override_ids: &[],
        }],
    };
    static BASELINE_OVERRIDE: Check = Check {
        id: "o",
        level: Level::Baseline,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &["b"],
        }],
    };
    static OVERRIDES_RESTRICTED: Check = Check {
        id: "r",
        level: Level::Restricted,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &["r2"],
        }],
    };
    static RESTRICTED2: Check = Check {
        id: "r2",
        level: Level::Restricted,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &[],
        }],
    };
    static PRIVILEGED: Check = Check {
        id: "p",
        level: Level::Privileged,
        versions: &[VersionedCheck {
            minimum_version: Version::v1(0),
            check: allow_all,
            override_ids: &[],
        }],
    };
    static EMPTY: Check = Check {
        id: "e",
        level: Level::Baseline,
        versions: &[],
    };
    for bad in [
        vec![&BASE, &DUPLICATE],
        vec![&DECREASING],
        vec![&LATEST],
        vec![&BASE, &BASELINE_OVERRIDE],
        vec![&OVERRIDES_RESTRICTED, &RESTRICTED2],
        vec![&PRIVILEGED],
        vec![&EMPTY],
    ] {
        assert!(
            registry::validate(&bad).is_err(),
            "{:?}",
            bad.iter().map(|c| c.id).collect::<Vec<_>>()
        );
        assert!(Evaluator::with_checks(&bad).is_err());
    }
    let custom = Evaluator::with_checks(&[&BASE, &RESTRICTED2]).expect("valid");
    assert_eq!(custom.max_version(), Version::v1(0));
    let ids: Vec<&str> = custom
        .active_check_ids(LevelVersion::new(Level::Restricted, Version::v1(7)))
        .collect();
    assert_eq!(ids, ["b", "r2"]);
}

#[test]
fn forbidden_reason_and_detail_joining() {
    use mamori_pss::{CheckResult, PssResult};
    let result = PssResult {
        violations: vec![
            CheckResult {
                check_id: "a",
                reason: "r1".into(),
                detail: "d1".into(),
                evidence: vec![],
            },
            CheckResult {
                check_id: "b",
                reason: String::new(),
                detail: String::new(),
                evidence: vec![],
            },
        ],
    };
    assert_eq!(result.forbidden_reason(), "r1, unknown forbidden reason");
    assert_eq!(
        result.forbidden_detail(),
        "r1 (d1), unknown forbidden reason"
    );
    assert!(!result.allowed());
    assert!(PssResult::default().allowed());
}
