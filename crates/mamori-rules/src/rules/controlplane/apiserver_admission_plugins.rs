//! `controlplane.apiserver-admission-plugins` — NodeRestriction missing, PodSecurity disabled or AlwaysAdmit on.
//!
//! Checks: static Pods running `kube-apiserver`; the pflag stringSlice flags `--enable-admission-plugins`,
//! `--disable-admission-plugins` (repeated occurrences append; CSV items) and the deprecated
//! `--admission-control` (when used, it is the complete list of enabled plugins and the defaults are off).
//! Fires when NodeRestriction is not enabled (it is not on by default), when PodSecurity (on by default) is
//! disabled or missing from `--admission-control`, and when AlwaysAdmit is enabled. Names are compared exactly,
//! as the API server does (` NodeRestriction` with a space is an unknown plugin, the server refuses to start).
//!
//! Why: NodeRestriction stops a kubelet's credentials from modifying other nodes and their pods; PodSecurity
//! enforces the namespace Pod Security labels; AlwaysAdmit admits everything.
//!
//! References: CIS Kubernetes Benchmark 1.2.10 (AlwaysAdmit) and 1.2.14 (NodeRestriction); Kubernetes docs
//! "Admission controllers" and "Pod Security Admission"; MITRE ATT&CK T1611 (escape to host).

use crate::util::flags::{invocations, who, Component, ListItem, Occurrence};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-admission-plugins",
        title: "kube-apiserver admission plugins miss NodeRestriction or PodSecurity, or admit everything",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "NodeRestriction is off by default: without it a compromised kubelet credential can label \
            any Node and edit pods on other nodes, steering sensitive workloads to itself. PodSecurity (on by \
            default) is what enforces pod-security.kubernetes.io namespace labels; disabling it silently turns \
            every enforce label into a no-op. AlwaysAdmit accepts every request unchecked.",
        remediation: "Use --enable-admission-plugins=NodeRestriction (plus any others you need), never list \
            PodSecurity in --disable-admission-plugins, drop AlwaysAdmit, and replace the deprecated \
            --admission-control with --enable-admission-plugins.",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.10", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "1.2.14", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Admission controllers",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/",
            },
            Reference { kind: RefKind::Pss, id: "Pod Security Admission", url: "https://kubernetes.io/docs/concepts/security/pod-security-admission/" },
            Reference { kind: RefKind::MitreAttack, id: "T1611", url: "https://attack.mitre.org/techniques/T1611/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction\n    - --disable-admission-plugins=PodSecurity\n    - --enable-admission-plugins=AlwaysAdmit\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction\n    - --disable-admission-plugins=DefaultStorageClass\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::ApiServer) {
        let who = who(&invocation, Component::ApiServer);
        let mut lists = Vec::new();
        for flag in [
            "enable-admission-plugins",
            "disable-admission-plugins",
            "admission-control",
        ] {
            match invocation.flags.list(flag) {
                Some(Ok(items)) => lists.push(Some(items)),
                Some(Err(occurrence)) => {
                    let (pos, path) = invocation.locate(occurrence);
                    out.emit(ctx.object, pos, path, format!("{who} sets --{flag}={:?}, which is not a valid comma-separated list (the server refuses to start)", occurrence.value.unwrap_or("")));
                    lists.push(None);
                }
                None => lists.push(None),
            }
        }
        let [enable, disable, legacy] =
            [lists.first(), lists.get(1), lists.get(2)].map(|l| l.and_then(Option::as_ref));
        if let Some(legacy) = legacy {
            // --admission-control replaces the default set: only what it lists runs.
            for required in ["NodeRestriction", "PodSecurity"] {
                if find(Some(legacy), required).is_none() {
                    if let Some(first) = legacy.first() {
                        let (pos, path) = invocation.locate(first.occurrence);
                        out.emit(ctx.object, pos, path, format!("{who} lists plugins with the deprecated --admission-control, which replaces the defaults, and {required} is not among them"));
                    }
                }
            }
            if let Some(occurrence) = find(Some(legacy), "AlwaysAdmit") {
                let (pos, path) = invocation.locate(occurrence);
                out.emit(ctx.object, pos, path, format!("{who} enables AlwaysAdmit in --admission-control: every request is admitted unchecked"));
            }
            continue;
        }
        match (
            find(enable, "NodeRestriction"),
            find(disable, "NodeRestriction"),
        ) {
            (Some(_), None) => {}
            (_, Some(occurrence)) => {
                let (pos, path) = invocation.locate(occurrence);
                out.emit(ctx.object, pos, path, format!("{who} lists NodeRestriction in --disable-admission-plugins: kubelets can modify other nodes and their pods"));
            }
            (None, None) => {
                let (pos, path) = enable.and_then(|e| e.first()).map_or_else(
                    || invocation.locate_missing(),
                    |i| invocation.locate(i.occurrence),
                );
                out.emit(ctx.object, pos, path, format!("{who} does not enable NodeRestriction in --enable-admission-plugins (it is off by default): kubelets can modify other nodes and their pods"));
            }
        }
        if let Some(occurrence) = find(disable, "PodSecurity") {
            let (pos, path) = invocation.locate(occurrence);
            out.emit(ctx.object, pos, path, format!("{who} disables PodSecurity in --disable-admission-plugins: pod-security.kubernetes.io namespace labels are not enforced"));
        }
        if let Some(occurrence) = find(enable, "AlwaysAdmit") {
            let (pos, path) = invocation.locate(occurrence);
            out.emit(ctx.object, pos, path, format!("{who} enables AlwaysAdmit in --enable-admission-plugins: every request is admitted unchecked"));
        }
    }
}

/// The occurrence that put plugin `name` in `list`.
fn find<'p, 'a>(list: Option<&Vec<ListItem<'p, 'a>>>, name: &str) -> Option<&'p Occurrence<'a>> {
    list.and_then(|items| items.iter().find(|i| i.value == name))
        .map(|i| i.occurrence)
}
