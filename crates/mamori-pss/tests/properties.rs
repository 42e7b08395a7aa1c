//! Property tests: never panics on arbitrary trees; determinism; version clamping; and what upstream
//! guarantees between baseline and restricted at the same version.

mod common;

use common::node_from_json;
use mamori_model::{Entry, Node, Pos, Value};
use mamori_pss::{
    evaluate_everywhere, pod_template, Evaluator, Level, LevelVersion, PodView, PssResult, Version,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

/// Keys PSA reads (plus a few others), so random trees hit the interesting paths.
const KEYS: &[&str] = &[
    "kind",
    "metadata",
    "annotations",
    "spec",
    "template",
    "jobTemplate",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "name",
    "securityContext",
    "privileged",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "procMount",
    "capabilities",
    "add",
    "drop",
    "seccompProfile",
    "appArmorProfile",
    "type",
    "seLinuxOptions",
    "user",
    "role",
    "windowsOptions",
    "hostProcess",
    "sysctls",
    "ports",
    "hostPort",
    "volumes",
    "hostPath",
    "emptyDir",
    "nfs",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "os",
    "livenessProbe",
    "lifecycle",
    "postStart",
    "httpGet",
    "tcpSocket",
    "host",
    "container.apparmor.security.beta.kubernetes.io/a",
    "seccomp.security.alpha.kubernetes.io/pod",
];

fn arbitrary_node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-1e3f64..1e3).prop_map(Value::Float),
        "[a-zA-Z/_.]{0,8}".prop_map(Value::Str),
        Just(Value::Str("ALL".into())),
        Just(Value::Int(0)),
    ]
    .prop_map(|v| Node::new(Pos::new(1, 1), v));
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| Node::new(Pos::new(2, 1), Value::Seq(items))),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|entries| {
                Node::new(
                    Pos::new(3, 1),
                    Value::Map(
                        entries
                            .into_iter()
                            .map(|(key, value)| Entry {
                                key: key.to_owned(),
                                key_pos: Pos::new(3, 2),
                                value,
                            })
                            .collect(),
                    ),
                )
            }),
        ]
    })
}

const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "CronJob",
    "PodTemplate",
    "ReplicationController",
    "Service",
];

/// Well-typed pods over the values that matter to the checks.
fn arbitrary_pod() -> impl Strategy<Value = Json> {
    let opt_bool = || prop::option::of(any::<bool>());
    let security_context = (
        opt_bool(),
        opt_bool(),
        opt_bool(),
        prop::option::of(prop::sample::select(vec![0i64, 1000])),
        prop::option::of(prop::sample::select(vec!["Default", "Unmasked", ""])),
        prop::option::of((
            prop::collection::vec(prop::sample::select(vec!["ALL", "all", "NET_RAW"]), 0..2),
            prop::collection::vec(
                prop::sample::select(vec!["NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN", "chown"]),
                0..2,
            ),
        )),
        prop::option::of(prop::sample::select(vec![
            "RuntimeDefault",
            "Localhost",
            "Unconfined",
            "",
        ])),
        prop::option::of(prop::sample::select(vec!["RuntimeDefault", "Unconfined"])),
        prop::option::of(prop::sample::select(vec![
            "",
            "container_t",
            "foo",
            "container_engine_t",
        ])),
        opt_bool(),
    )
        .prop_map(
            |(
                privileged,
                ape,
                non_root,
                user,
                proc_mount,
                caps,
                seccomp,
                apparmor,
                selinux,
                host_process,
            )| {
                let mut sc = Map::new();
                let mut put = |k: &str, v: Option<Json>| {
                    if let Some(v) = v {
                        sc.insert(k.to_owned(), v);
                    }
                };
                put("privileged", privileged.map(Json::from));
                put("allowPrivilegeEscalation", ape.map(Json::from));
                put("runAsNonRoot", non_root.map(Json::from));
                put("runAsUser", user.map(Json::from));
                put("procMount", proc_mount.map(Json::from));
                put(
                    "capabilities",
                    caps.map(|(drop, add)| json!({"drop": drop, "add": add})),
                );
                put("seccompProfile", seccomp.map(|t| json!({"type": t})));
                put("appArmorProfile", apparmor.map(|t| json!({"type": t})));
                put("seLinuxOptions", selinux.map(|t| json!({"type": t})));
                put(
                    "windowsOptions",
                    host_process.map(|h| json!({"hostProcess": h})),
                );
                Json::Object(sc)
            },
        );
    let container = (
        prop::sample::select(vec!["a", "b", "c"]),
        prop::option::of(security_context),
        prop::option::of(prop::sample::select(vec![0i64, 80, 8080])),
        prop::option::of(prop::sample::select(vec!["", "localhost"])),
    )
        .prop_map(|(name, sc, host_port, probe_host)| {
            let mut c = json!({"name": name, "image": "x"});
            if let Some(sc) = sc {
                c["securityContext"] = sc;
            }
            if let Some(port) = host_port {
                c["ports"] = json!([{"containerPort": 1, "hostPort": port}]);
            }
            if let Some(host) = probe_host {
                c["livenessProbe"] = json!({"httpGet": {"host": host, "port": 1}});
            }
            c
        });
    let volume = prop::sample::select(vec![
        json!({"name": "v1", "emptyDir": {}}),
        json!({"name": "v2", "hostPath": {"path": "/"}}),
        json!({"name": "v3", "hostPath": {"path": "/"}, "emptyDir": {}}),
        json!({"name": "v4", "nfs": {}}),
        json!({"name": "v5"}),
    ]);
    (
        prop::collection::vec(container.clone(), 0..3),
        prop::collection::vec(container.clone(), 0..3),
        prop::collection::vec(container, 0..2),
        prop::collection::vec(volume, 0..3),
        (prop::option::of(any::<bool>()), any::<bool>(), prop::option::of(prop::sample::select(vec!["linux", "windows"]))),
        (prop::option::of(any::<bool>()), prop::option::of(prop::sample::select(vec!["RuntimeDefault", "Unconfined"])),
         prop::option::of(0i64..2), prop::collection::vec(prop::sample::select(vec!["kernel.shm_rmid_forced", "net.ipv4.tcp_rmem", "x"]), 0..2)),
        prop::option::of(prop::sample::select(vec!["unconfined", "runtime/default", ""])),
    )
        .prop_map(|(init, regular, ephemeral, volumes, (host_users, host_network, os), (pod_non_root, pod_seccomp, pod_user, sysctls), apparmor)| {
            let mut spec = json!({"initContainers": init, "containers": regular, "ephemeralContainers": ephemeral,
                "volumes": volumes, "hostNetwork": host_network});
            if let Some(h) = host_users {
                spec["hostUsers"] = json!(h);
            }
            if let Some(os) = os {
                spec["os"] = json!({"name": os});
            }
            let mut sc = json!({"sysctls": sysctls.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()});
            if let Some(v) = pod_non_root {
                sc["runAsNonRoot"] = json!(v);
            }
            if let Some(t) = pod_seccomp {
                sc["seccompProfile"] = json!({"type": t});
            }
            if let Some(u) = pod_user {
                sc["runAsUser"] = json!(u);
            }
            spec["securityContext"] = sc;
            let mut annotations = Map::new();
            if let Some(v) = apparmor {
                annotations.insert("container.apparmor.security.beta.kubernetes.io/a".into(), json!(v));
                annotations.insert("container.seccomp.security.alpha.kubernetes.io/a".into(), json!(v));
            }
            json!({"kind": "Pod", "metadata": {"name": "p", "annotations": annotations}, "spec": spec})
        })
}

fn view(doc: &Json) -> PodView {
    let root = node_from_json(doc);
    PodView::from_template(&pod_template("Pod", &root).expect("pod")).expect("well-typed")
}

/// The restricted check that replaces a baseline check at `minor`, if any.
fn overriding(baseline_id: &str, minor: u64) -> Option<&'static str> {
    match baseline_id {
        "hostPathVolumes" => Some("restrictedVolumes"),
        "seccompProfile_baseline" if minor >= 19 => Some("seccompProfile_restricted"),
        "capabilities_baseline" if minor >= 22 => Some("capabilities_restricted"),
        "procMount" if minor >= 35 => Some("procMount_restricted"),
        _ => None,
    }
}

fn find<'r>(result: &'r PssResult, id: &str) -> Option<&'r mamori_pss::CheckResult> {
    result.violations.iter().find(|v| v.check_id == id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("MAMORI_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_trees_never_panic(root in arbitrary_node(), kind in prop::sample::select(KINDS)) {
        let evaluator = Evaluator::new();
        let evaluated = evaluate_everywhere(&evaluator, kind, &root);
        // Either not evaluable, or every level at every version 1.0..=1.38 plus latest.
        prop_assert!(evaluated == 0 || evaluated == 3 * 40);
    }

    #[test]
    fn arbitrary_trees_inside_a_pod_never_panic(spec in arbitrary_node()) {
        let root = Node::new(Pos::new(1, 1), Value::Map(vec![Entry { key: "spec".into(), key_pos: Pos::new(1, 1), value: spec }]));
        let _ = evaluate_everywhere(&Evaluator::new(), "Pod", &root);
    }

    /// Upstream guarantees restricted ⊇ baseline only through its construction: at version v, restricted
    /// runs every baseline check not overridden at v, unchanged; an overridden baseline check is replaced by
    /// a restricted one that forbids at least as much except for the documented gaps: Windows pods at
    /// ≥1.25 (capabilities and seccomp are not checked at all), and a volume that sets hostPath together
    /// with an allowed source (restrictedVolumes only looks at the first matching source class).
    #[test]
    fn restricted_includes_baseline_except_documented_overrides(doc in arbitrary_pod(), minor in 0u64..=37) {
        let pod = view(&doc);
        let evaluator = Evaluator::new();
        let version = Version::v1(minor);
        let baseline = evaluator.evaluate(LevelVersion::new(Level::Baseline, version), &pod);
        let restricted = evaluator.evaluate(LevelVersion::new(Level::Restricted, version), &pod);
        let windows = doc["spec"]["os"]["name"] == "windows";
        for violation in &baseline.violations {
            match overriding(violation.check_id, minor) {
                None => prop_assert_eq!(find(&restricted, violation.check_id), Some(violation)),
                Some(replacement) => {
                    let exempt = match violation.check_id {
                        "capabilities_baseline" | "seccompProfile_baseline" => windows && minor >= 25,
                        "hostPathVolumes" => doc["spec"]["volumes"].as_array().is_some_and(|vs| vs.iter().any(|v| v.get("hostPath").is_some() && v.get("emptyDir").is_some())),
                        _ => false,
                    };
                    if !exempt {
                        prop_assert!(find(&restricted, replacement).is_some(), "{} forbids but {} allows", violation.check_id, replacement);
                    }
                }
            }
        }
        // procMount is where restricted is stricter: hostUsers:false relaxes only the baseline check.
        if minor >= 35 && doc["spec"]["hostUsers"] == json!(false) {
            prop_assert!(find(&baseline, "procMount").is_none());
        }
    }

    #[test]
    fn evaluation_is_deterministic(doc in arbitrary_pod(), minor in 0u64..=40) {
        let evaluator = Evaluator::new();
        for level in Level::ALL {
            let lv = LevelVersion::new(level, Version::v1(minor));
            prop_assert_eq!(evaluator.evaluate(lv, &view(&doc)), evaluator.evaluate(lv, &view(&doc)));
        }
    }

    #[test]
    fn latest_equals_v1_37_equals_future(doc in arbitrary_pod()) {
        let pod = view(&doc);
        let evaluator = Evaluator::new();
        for level in Level::ALL {
            let at = |version| evaluator.evaluate(LevelVersion::new(level, version), &pod);
            let explicit = at(Version::v1(37));
            prop_assert_eq!(&at(Version::LATEST), &explicit);
            prop_assert_eq!(&at(Version::v1(99)), &explicit);
            prop_assert_eq!(&at(Version::v1(u64::MAX)), &explicit);
        }
    }

    #[test]
    fn violations_carry_evidence_and_non_empty_messages(doc in arbitrary_pod(), minor in 0u64..=37) {
        let pod = view(&doc);
        for level in [Level::Baseline, Level::Restricted] {
            let result = Evaluator::new().evaluate(LevelVersion::new(level, Version::v1(minor)), &pod);
            for violation in &result.violations {
                prop_assert!(!violation.reason.is_empty() && !violation.detail.is_empty());
                prop_assert!(!violation.evidence.is_empty(), "{} has evidence", violation.check_id);
            }
        }
    }
}
