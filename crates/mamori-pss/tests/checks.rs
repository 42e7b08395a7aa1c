//! Exact reason/detail expectations per check (upstream `policy/check_*_test.go` as written down in
//! pss-semantics.md §3–§4), version gating, overrides, Windows and user-namespace exemptions.

mod common;

use common::eval;
use mamori_pss::{CheckResult, Level, PssResult};
use serde_json::{json, Value};

/// A pod with the given containers (regular), pod securityContext and extra spec fields.
fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}

/// A minimal restricted-compliant container.
fn good(name: &str) -> Value {
    json!({"name": name, "image": "x", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
}

/// Restricted-compliant pod-level settings around the given spec fields.
fn restricted_pod(mut spec: Value) -> Value {
    let map = spec.as_object_mut().expect("object");
    map.entry("securityContext")
        .or_insert(json!({}))
        .as_object_mut()
        .expect("object")
        .extend(
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
                .as_object()
                .expect("object")
                .clone(),
        );
    pod(spec)
}

fn only(result: &PssResult, check_id: &str) -> (String, String) {
    let found: Vec<&CheckResult> = result
        .violations
        .iter()
        .filter(|v| v.check_id == check_id)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {check_id} violation in {result:?}"
    );
    (found[0].reason.clone(), found[0].detail.clone())
}

fn assert_violation(result: &PssResult, check_id: &str, reason: &str, detail: &str) {
    assert_eq!(
        only(result, check_id),
        (reason.to_owned(), detail.to_owned())
    );
}

fn ids(result: &PssResult) -> Vec<&'static str> {
    result.violations.iter().map(|v| v.check_id).collect()
}

#[test]
fn restricted_example_from_semantics_3_8() {
    let result = eval(
        &pod(json!({"containers": [{"name": "nginx", "image": "nginx"}]})),
        Level::Restricted,
        "latest",
    );
    assert_eq!(
        result.forbidden_detail(),
        "allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), \
unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), \
runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), \
seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
    );
    assert_eq!(
        result.forbidden_reason(),
        "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
    );
}

#[test]
fn baseline_example_from_semantics_3_8() {
    let doc = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
        "spec": {"hostNetwork": true, "hostPID": true,
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            "containers": [{"name": "app", "image": "x",
                "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81, "hostPort": 10000}],
                "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_TIME", "NET_ADMIN", "CHOWN"]}}}]}});
    assert_eq!(
        eval(&doc, Level::Baseline, "latest").forbidden_detail(),
        "forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\"), \
non-default capabilities (container \"app\" must not include \"NET_ADMIN\", \"SYS_TIME\" in securityContext.capabilities.add), \
host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume \"root\"), \
hostPort (container \"app\" uses hostPorts 10000, 8080), \
privileged (container \"app\" must not set securityContext.privileged=true)"
    );
}

#[test]
fn privileged_lists_bad_containers_in_visit_order_including_ephemeral() {
    let p = json!({"name": "x", "securityContext": {"privileged": true}});
    let doc = pod(json!({
        "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}],
        "containers": [{"name": "a", "securityContext": {"privileged": false}}, p],
        "initContainers": [{"name": "init", "securityContext": {"privileged": true}}, {"name": "ok"}]}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "privileged",
        "privileged",
        "containers \"init\", \"x\", \"debug\" must not set securityContext.privileged=true",
    );
}

#[test]
fn host_namespaces_fixed_order() {
    let doc =
        pod(json!({"hostIPC": true, "hostNetwork": true, "hostPID": false, "containers": []}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "hostNamespaces",
        "host namespaces",
        "hostNetwork=true, hostIPC=true",
    );
}

#[test]
fn host_ports_pluralisation_and_string_sort() {
    let doc = pod(json!({"containers": [
        {"name": "a", "ports": [{"containerPort": 1}]},
        {"name": "b", "ports": [{"hostPort": 20}, {"hostPort": 10}]},
        {"name": "c", "ports": [{"hostPort": 30}, {"hostPort": 10}]}]}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "hostPorts",
        "hostPort",
        "containers \"b\", \"c\" use hostPorts 10, 20, 30",
    );
    let single = pod(json!({"containers": [{"name": "a", "ports": [{"hostPort": -1}]}]}));
    assert_violation(
        &eval(&single, Level::Baseline, "v1.0"),
        "hostPorts",
        "hostPort",
        "container \"a\" uses hostPort -1",
    );
}

#[test]
fn host_path_volumes_and_restricted_override() {
    let doc = pod(json!({"containers": [], "volumes": [
        {"name": "a", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}, {"name": "b", "hostPath": {}}]}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "hostPathVolumes",
        "hostPath volumes",
        "volumes \"a\", \"b\"",
    );
    let restricted = eval(&doc, Level::Restricted, "v1.0");
    assert!(
        !ids(&restricted).contains(&"hostPathVolumes"),
        "overridden at restricted"
    );
    assert_violation(
        &restricted,
        "restrictedVolumes",
        "restricted volume types",
        "volumes \"a\", \"b\" use restricted volume type \"hostPath\"",
    );
}

#[test]
fn restricted_volumes_types_sorted_and_defaulting() {
    let doc = restricted_pod(json!({"containers": [], "volumes": [
        {"name": "n", "nfs": {"server": "s", "path": "/"}},
        {"name": "g", "gcePersistentDisk": {"pdName": "x"}},
        {"name": "i", "image": {"reference": "r"}},
        {"name": "implicit"},
        {"name": "s", "scaleIO": {"secretRef": null}}]}));
    assert_violation(
        &eval(&doc, Level::Restricted, "latest"),
        "restrictedVolumes",
        "restricted volume types",
        "volumes \"n\", \"g\", \"s\" use restricted volume types \"gcePersistentDisk\", \"nfs\", \"scaleIO\"",
    );
    let single =
        restricted_pod(json!({"containers": [], "volumes": [{"name": "h", "hostPath": {}}]}));
    assert_violation(
        &eval(&single, Level::Restricted, "latest"),
        "restrictedVolumes",
        "restricted volume types",
        "volume \"h\" uses restricted volume type \"hostPath\"",
    );
}

#[test]
fn restricted_volumes_without_defaulting_reports_unknown() {
    use mamori_pss::{pod_template, Evaluator, LevelVersion, PodView, Version, ViewOptions};
    let root = common::node_from_json(&restricted_pod(
        json!({"containers": [], "volumes": [{"name": "volume0"}]}),
    ));
    let template = pod_template("Pod", &root).expect("pod");
    let raw = PodView::from_template_with(
        &template,
        ViewOptions {
            default_volumes: false,
        },
    )
    .expect("view");
    let result =
        Evaluator::new().evaluate(LevelVersion::new(Level::Restricted, Version::LATEST), &raw);
    assert_eq!(
        result.forbidden_detail(),
        "restricted volume types (volume \"volume0\" uses restricted volume type \"unknown\")"
    );
}

#[test]
fn capabilities_baseline_exact_case_and_sorted_distinct() {
    let doc = pod(json!({"containers": [
        {"name": "a", "securityContext": {"capabilities": {"add": ["chown", "CAP_CHOWN", "CHOWN", "NET_RAW"], "drop": ["ALL"]}}},
        {"name": "b", "securityContext": {"capabilities": {"add": ["NET_RAW", "KILL"]}}},
        {"name": "c", "securityContext": {"capabilities": {"add": ["SYS_CHROOT"]}}}]}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "capabilities_baseline",
        "non-default capabilities",
        "containers \"a\", \"b\" must not include \"CAP_CHOWN\", \"NET_RAW\", \"chown\" in securityContext.capabilities.add",
    );
    // Overridden in restricted from 1.22, in force before.
    assert!(ids(&eval(&doc, Level::Restricted, "v1.21")).contains(&"capabilities_baseline"));
    assert!(!ids(&eval(&doc, Level::Restricted, "v1.22")).contains(&"capabilities_baseline"));
}

#[test]
fn capabilities_restricted_both_parts() {
    let doc = restricted_pod(json!({"containers": [
        {"name": "a", "securityContext": {"allowPrivilegeEscalation": false}},
        {"name": "b", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["all"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN"]}}},
        {"name": "c", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}}]}));
    assert_violation(
        &eval(&doc, Level::Restricted, "v1.22"),
        "capabilities_restricted",
        "unrestricted capabilities",
        "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"b\", \"c\" must not include \"CHOWN\", \"SYS_ADMIN\" in securityContext.capabilities.add",
    );
    assert!(
        !ids(&eval(&doc, Level::Restricted, "v1.21")).contains(&"capabilities_restricted"),
        "not before 1.22"
    );
}

#[test]
fn windows_host_process_pod_and_containers() {
    let doc = pod(json!({"hostNetwork": true,
        "securityContext": {"windowsOptions": {"hostProcess": true}},
        "containers": [{"name": "e", "securityContext": {"windowsOptions": {"hostProcess": true}}},
                       {"name": "f", "securityContext": {"windowsOptions": {"hostProcess": true}}},
                       {"name": "g", "securityContext": {"windowsOptions": {"hostProcess": false}}}]}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "windowsHostProcess",
        "hostProcess",
        "pod and containers \"e\", \"f\" must not set securityContext.windowsOptions.hostProcess=true",
    );
}

#[test]
fn app_armor_fields_and_annotations() {
    let doc = json!({"kind": "Pod", "metadata": {"annotations": {
            "container.apparmor.security.beta.kubernetes.io/f": "unknown",
            "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/ok1": "",
            "container.apparmor.security.beta.kubernetes.io/ok2": "localhost/x",
            "container.apparmor.security.beta.kubernetes.io/ok3": "runtime/default"}},
        "spec": {"containers": []}});
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "appArmorProfile",
        "forbidden AppArmor profiles",
        "annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", \"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\"",
    );
    let fields = pod(
        json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
        "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
                       {"name": "b", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "x"}}},
                       {"name": "c", "securityContext": {"appArmorProfile": {}}}]}),
    );
    assert_violation(
        &eval(&fields, Level::Baseline, "v1.0"),
        "appArmorProfile",
        "forbidden AppArmor profiles",
        "pod and containers \"a\", \"c\" must not set AppArmor profile type to \"\", \"Unconfined\"",
    );
    let one = pod(
        json!({"containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]}),
    );
    assert_violation(
        &eval(&one, Level::Baseline, "v1.0"),
        "appArmorProfile",
        "forbidden AppArmor profile",
        "container \"a\" must not set AppArmor profile type to \"Unconfined\"",
    );
}

#[test]
fn app_armor_annotation_values_use_go_quote() {
    let doc = json!({"kind": "Pod", "metadata": {"annotations": {
            "container.apparmor.security.beta.kubernetes.io/a": "bad\"\\\u{1}\n\u{e9}\u{a0}"}},
        "spec": {"containers": []}});
    assert_eq!(
        only(&eval(&doc, Level::Baseline, "v1.0"), "appArmorProfile").1,
        "annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/a=\"bad\\\"\\\\\\x01\\n\u{e9}\\u00a0\"\""
    );
}

#[test]
fn se_linux_options_data_and_versions() {
    let doc = pod(
        json!({"securityContext": {"seLinuxOptions": {"type": "foo", "user": "u", "role": "r", "level": "s0"}},
        "containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "bar"}}},
                       {"name": "b", "securityContext": {"seLinuxOptions": {"type": "container_t", "level": "anything"}}}]}),
    );
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.0"),
        "seLinuxOptions",
        "seLinuxOptions",
        "pod and container \"a\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set",
    );
    let user_only = pod(
        json!({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"user": "u"}}}]}),
    );
    assert_violation(
        &eval(&user_only, Level::Baseline, "v1.0"),
        "seLinuxOptions",
        "seLinuxOptions",
        "container \"a\" set forbidden securityContext.seLinuxOptions: user may not be set",
    );
    let engine = pod(
        json!({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}]}),
    );
    assert_violation(
        &eval(&engine, Level::Baseline, "v1.30"),
        "seLinuxOptions",
        "seLinuxOptions",
        "container \"a\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\"",
    );
    assert!(eval(&engine, Level::Baseline, "v1.31").allowed());
}

#[test]
fn proc_mount_baseline_user_namespace_relaxation_and_restricted() {
    let containers = json!([{"name": "a", "securityContext": {"procMount": "Unmasked"}},
                            {"name": "b", "securityContext": {"procMount": ""}},
                            {"name": "c", "securityContext": {"procMount": "Default"}}]);
    let doc = pod(json!({"hostUsers": false, "containers": containers}));
    let expected =
        "containers \"a\", \"b\" must not set securityContext.procMount to \"\", \"Unmasked\"";
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.34"),
        "procMount",
        "procMount",
        expected,
    );
    assert!(
        eval(&doc, Level::Baseline, "v1.35").allowed(),
        "hostUsers:false relaxes baseline from 1.35"
    );
    let host_users = pod(json!({"hostUsers": true, "containers": containers}));
    assert_violation(
        &eval(&host_users, Level::Baseline, "v1.35"),
        "procMount",
        "procMount",
        expected,
    );
    let restricted = eval(&doc, Level::Restricted, "v1.35");
    assert!(!ids(&restricted).contains(&"procMount"));
    assert_violation(&restricted, "procMount_restricted", "procMount", expected);
}

#[test]
fn seccomp_baseline_annotations_before_1_19() {
    let doc = json!({"kind": "Pod", "metadata": {"annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/a": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/b": "",
            "container.seccomp.security.alpha.kubernetes.io/missing": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/c": "docker/default"}},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.18"),
        "seccompProfile_baseline",
        "seccompProfile",
        "forbidden annotations container.seccomp.security.alpha.kubernetes.io/a=\"unconfined\", container.seccomp.security.alpha.kubernetes.io/b=\"\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"",
    );
    assert!(
        eval(&doc, Level::Baseline, "v1.19").allowed(),
        "annotations ignored from 1.19"
    );
    // Restricted below 1.19 has no seccomp requirement: only the baseline annotation check applies.
    let clean = json!({"kind": "Pod", "metadata": {}, "spec": {"securityContext": {"runAsNonRoot": true},
        "containers": [good("a")]}});
    assert!(eval(&clean, Level::Restricted, "v1.18").allowed());
}

#[test]
fn seccomp_baseline_fields_from_1_19() {
    let doc = pod(
        json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": ""}}},
                       {"name": "b", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p"}}},
                       {"name": "c"}]}),
    );
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.19"),
        "seccompProfile_baseline",
        "seccompProfile",
        "pod and container \"a\" must not set securityContext.seccompProfile.type to \"\", \"Unconfined\"",
    );
    assert!(
        eval(&doc, Level::Baseline, "v1.18").allowed(),
        "fields not read before 1.19"
    );
}

#[test]
fn seccomp_restricted_explicit_hides_implicit() {
    let doc = pod(json!({"securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "Unconfined"}}},
                       good("b")]}));
    let result = eval(&doc, Level::Restricted, "latest");
    assert_violation(
        &result,
        "seccompProfile_restricted",
        "seccompProfile",
        "container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\"",
    );
    let implicit = pod(
        json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Unconfined"}},
        "containers": [good("a")]}),
    );
    assert_violation(
        &eval(&implicit, Level::Restricted, "latest"),
        "seccompProfile_restricted",
        "seccompProfile",
        "pod must not set securityContext.seccompProfile.type to \"Unconfined\"",
    );
    let container_level = pod(json!({"securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}},
                       good("b"), good("c")]}));
    assert_violation(&eval(&container_level, Level::Restricted, "latest"), "seccompProfile_restricted", "seccompProfile",
        "pod or containers \"b\", \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
}

#[test]
fn sysctls_spec_order_duplicates_and_versions() {
    let doc = pod(json!({"containers": [], "securityContext": {"sysctls": [
        {"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}, {"name": "a.b"}, {"name": "net/ipv4/tcp_syncookies"},
        {"name": "a.b"}, {"name": "net.ipv4.tcp_rmem"}, {"name": "kernel.shm_rmid_forced"}]}}));
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.36"),
        "sysctls",
        "forbidden sysctls",
        "net.ipv4.tcp_notsent_lowat, a.b, net/ipv4/tcp_syncookies, a.b",
    );
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.37"),
        "sysctls",
        "forbidden sysctls",
        "a.b, net/ipv4/tcp_syncookies, a.b",
    );
    assert_violation(
        &eval(&doc, Level::Baseline, "v1.31"),
        "sysctls",
        "forbidden sysctls",
        "net.ipv4.tcp_notsent_lowat, a.b, net/ipv4/tcp_syncookies, a.b, net.ipv4.tcp_rmem",
    );
    let reserved = pod(
        json!({"containers": [], "securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_reserved_ports"}]}}),
    );
    assert!(!eval(&reserved, Level::Baseline, "v1.26").allowed());
    assert!(eval(&reserved, Level::Baseline, "v1.27").allowed());
    let keepalive = pod(
        json!({"containers": [], "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time"}]}}),
    );
    assert!(!eval(&keepalive, Level::Baseline, "v1.28").allowed());
    assert!(eval(&keepalive, Level::Baseline, "v1.29").allowed());
}

#[test]
fn host_probes_sorted_sets_and_version_gate() {
    let doc = pod(json!({
        "initContainers": [{"name": "z", "startupProbe": {"tcpSocket": {"host": "::1", "port": 1}}}],
        "containers": [
            {"name": "a", "livenessProbe": {"httpGet": {"host": "localhost", "port": 1}},
                          "lifecycle": {"preStop": {"httpGet": {"host": "127.0.0.1"}}, "postStart": {"exec": {"command": ["x"]}}}},
            {"name": "b", "readinessProbe": {"httpGet": {"host": "", "port": 1}, "grpc": {"port": 2}}},
            {"name": "a", "lifecycle": {"postStart": {"tcpSocket": {"host": "localhost"}}}}]}));
    assert_violation(&eval(&doc, Level::Baseline, "v1.34"), "hostProbesAndHostLifecycle", "probe or lifecycle host",
        "containers \"a\", \"z\" use probe or lifecycle hosts \"127.0.0.1\", \"::1\", \"localhost\"");
    assert!(
        eval(&doc, Level::Baseline, "v1.33").allowed(),
        "not before 1.34"
    );
    let one =
        pod(json!({"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "h"}}}]}));
    assert_violation(
        &eval(&one, Level::Baseline, "latest"),
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        "container \"a\" uses probe or lifecycle host \"h\"",
    );
}

#[test]
fn allow_privilege_escalation_and_windows_exemption() {
    let doc = pod(
        json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "i", "securityContext": {"capabilities": {"drop": ["ALL"]}}}],
        "containers": [{"name": "a"}, {"name": "b", "securityContext": {"allowPrivilegeEscalation": true, "capabilities": {"drop": ["ALL"]}}}, good("c")],
        "ephemeralContainers": [{"name": "e", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}),
    );
    assert_violation(
        &eval(&doc, Level::Restricted, "v1.8"),
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        "containers \"i\", \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false",
    );
    assert!(
        !ids(&eval(&doc, Level::Restricted, "v1.7")).contains(&"allowPrivilegeEscalation"),
        "not before 1.8"
    );

    let mut windows = doc.clone();
    windows["spec"]["os"] = json!({"name": "windows"});
    assert!(
        ids(&eval(&windows, Level::Restricted, "v1.24")).contains(&"allowPrivilegeEscalation"),
        "no exemption before 1.25"
    );
    let at_1_25 = eval(&windows, Level::Restricted, "v1.25");
    assert!(!ids(&at_1_25).contains(&"allowPrivilegeEscalation"));
    assert!(!ids(&at_1_25).contains(&"capabilities_restricted"));
    let mut windows_caps = windows.clone();
    windows_caps["spec"]["containers"][0]["securityContext"] =
        json!({"capabilities": {"add": ["SYS_ADMIN"]}});
    windows_caps["spec"]["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
    assert!(
        eval(&windows_caps, Level::Restricted, "v1.25")
            .violations
            .iter()
            .all(|v| v.check_id != "capabilities_restricted"
                && v.check_id != "capabilities_baseline"
                && !v.check_id.starts_with("seccomp")),
        "windows pods get no capability or seccomp checks in restricted >= 1.25"
    );
    let mut linux = windows.clone();
    linux["spec"]["os"] = json!({"name": "Windows"});
    assert!(
        ids(&eval(&linux, Level::Restricted, "v1.25")).contains(&"allowPrivilegeEscalation"),
        "exact lowercase match"
    );
}

#[test]
fn run_as_non_root_explicit_and_implicit() {
    let explicit = pod(json!({"securityContext": {"runAsNonRoot": false},
        "containers": [{"name": "a", "securityContext": {"runAsNonRoot": false}}, {"name": "b"}]}));
    assert_violation(
        &eval(&explicit, Level::Restricted, "v1.0"),
        "runAsNonRoot",
        "runAsNonRoot != true",
        "pod and container \"a\" must not set securityContext.runAsNonRoot=false",
    );
    let implicit = pod(
        json!({"containers": [{"name": "a", "securityContext": {"runAsNonRoot": true}}, {"name": "b"}, {"name": "c", "securityContext": {}}]}),
    );
    assert_violation(
        &eval(&implicit, Level::Restricted, "v1.0"),
        "runAsNonRoot",
        "runAsNonRoot != true",
        "pod or containers \"b\", \"c\" must set securityContext.runAsNonRoot=true",
    );
    let pod_true = pod(
        json!({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a", "securityContext": {"runAsNonRoot": false}}]}),
    );
    assert_violation(
        &eval(&pod_true, Level::Restricted, "v1.0"),
        "runAsNonRoot",
        "runAsNonRoot != true",
        "container \"a\" must not set securityContext.runAsNonRoot=false",
    );
    let mut userns = explicit.clone();
    userns["spec"]["hostUsers"] = json!(false);
    assert!(ids(&eval(&userns, Level::Restricted, "v1.34")).contains(&"runAsNonRoot"));
    assert!(!ids(&eval(&userns, Level::Restricted, "v1.35")).contains(&"runAsNonRoot"));
}

#[test]
fn run_as_user_zero_and_gates() {
    let doc = pod(json!({"securityContext": {"runAsUser": 0},
        "containers": [{"name": "a", "securityContext": {"runAsUser": 0}}, {"name": "b", "securityContext": {"runAsUser": 1000}},
                       {"name": "c", "securityContext": {"runAsUser": 0}}]}));
    assert_violation(
        &eval(&doc, Level::Restricted, "v1.23"),
        "runAsUser",
        "runAsUser=0",
        "pod and containers \"a\", \"c\" must not set runAsUser=0",
    );
    assert!(
        !ids(&eval(&doc, Level::Restricted, "v1.22")).contains(&"runAsUser"),
        "not before 1.23"
    );
    let mut userns = doc.clone();
    userns["spec"]["hostUsers"] = json!(false);
    assert!(ids(&eval(&userns, Level::Restricted, "v1.34")).contains(&"runAsUser"));
    assert!(!ids(&eval(&userns, Level::Restricted, "v1.35")).contains(&"runAsUser"));
    assert!(
        eval(&doc, Level::Baseline, "latest").allowed(),
        "runAsUser is restricted-only"
    );
}

#[test]
fn privileged_level_evaluates_nothing() {
    let doc = pod(
        json!({"hostNetwork": true, "containers": [{"name": "a", "securityContext": {"privileged": true}}]}),
    );
    assert!(eval(&doc, Level::Privileged, "latest").allowed());
}

#[test]
fn check_order_is_baseline_sorted_then_restricted_sorted() {
    let doc = pod(json!({"hostNetwork": true,
        "securityContext": {"seLinuxOptions": {"user": "u"}, "seccompProfile": {"type": "Unconfined"}, "sysctls": [{"name": "x"}]},
        "containers": [{"name": "a", "ports": [{"hostPort": 1}], "livenessProbe": {"httpGet": {"host": "h"}},
            "securityContext": {"runAsUser": 0, "procMount": "Unmasked"}}],
        "volumes": [{"name": "v", "nfs": {}}]}));
    assert_eq!(
        ids(&eval(&doc, Level::Restricted, "v1.37")),
        [
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "seLinuxOptions",
            "sysctls",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "procMount_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted"
        ]
    );
    assert_eq!(
        ids(&eval(&doc, Level::Baseline, "v1.34")),
        [
            "hostNamespaces",
            "hostPathVolumes",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls"
        ]
        .into_iter()
        .filter(|id| *id != "hostPathVolumes")
        .collect::<Vec<_>>()
    );
}
