//! `controlplane.apiserver-authorization-mode` — AlwaysAllow authorization, or Node/RBAC missing.
//!
//! Checks (inventory: Pod, AuthorizationConfiguration): every `kube-apiserver` static Pod. The authorizer chain
//! comes from `--authorization-mode` (pflag stringSlice: occurrences append; default `AlwaysAllow` when neither
//! flag is set) or from `--authorization-config`, whose AuthorizationConfiguration
//! (`apiserver.config.k8s.io`, `authorizers[].type`) is looked up in the input: the only one when there is
//! exactly one, otherwise the one whose file has the flag's basename. A file outside the input is not judged.
//! Fires when the chain contains AlwaysAllow, or lacks Node or RBAC.
//!
//! Why: AlwaysAllow lets every authenticated (and, with anonymous auth, unauthenticated) request do anything;
//! without Node, kubelets need broad RBAC grants; without RBAC there is no least-privilege model.
//!
//! References: CIS Kubernetes Benchmark 1.2.6, 1.2.7, 1.2.8; NSA/CISA "Authentication and authorization".

use crate::util::flags::{invocations, resolve_config, who, Component, Resolved};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{K8sObject, Node, Phase, Pos, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-authorization-mode",
        title: "kube-apiserver authorization allows everything or lacks Node and RBAC",
        severity: Severity::Critical,
        phase: Phase::RuntimeAccess,
        rationale: "Authorizers are consulted in order; AlwaysAllow anywhere in the chain grants every request \
            that reaches it. kube-apiserver defaults to AlwaysAllow when no mode is configured. The Node \
            authorizer limits kubelets to the objects of their own pods, and RBAC is the least-privilege model \
            every other rule of the catalogue assumes.",
        remediation: "Use --authorization-mode=Node,RBAC (plus Webhook if needed), or an AuthorizationConfiguration \
            whose authorizers include type Node and type RBAC and never AlwaysAllow.",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.6", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "1.2.7", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "1.2.8", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Authentication and authorization",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Authorization",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --authorization-config=/etc/kubernetes/authz.yaml\n---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n- type: AlwaysAllow\n  name: allow\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --authorization-config=/etc/kubernetes/authz.yaml\n---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n",
        example_settings: None,
    },
    check: Check::InventoryFiltered {
        kinds: &["Pod", "AuthorizationConfiguration"],
        keep: crate::util::flags::keep_component_pods,
        check,
    },
};

/// One authorizer in the chain and where it is written.
struct Authorizer<'a> {
    mode: std::borrow::Cow<'a, str>,
    object: &'a K8sObject,
    pos: Pos,
    path: String,
}

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    let configs: Vec<&K8sObject> = inventory
        .of_kind("AuthorizationConfiguration")
        .iter()
        .filter(|o| o.id.api_version.starts_with("apiserver.config.k8s.io/"))
        .collect();
    for pod in inventory.of_kind("Pod") {
        for invocation in invocations(pod, Component::ApiServer) {
            let who = who(&invocation, Component::ApiServer);
            let mut chain: Vec<Authorizer<'_>> = Vec::new();
            let source;
            if let Some(path) = invocation.flags.value("authorization-config") {
                let Resolved::Found(config) = resolve_config(&configs, path) else {
                    continue; // the file is not in the input: nothing to judge
                };
                source = format!("the AuthorizationConfiguration {path}");
                let items = config
                    .root
                    .get("authorizers")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[]);
                for (i, item) in items.iter().enumerate() {
                    if let Some(node) = item.get("type").filter(|n| n.as_str().is_some()) {
                        chain.push(Authorizer {
                            mode: node.as_str().unwrap_or_default().into(),
                            object: config,
                            pos: node.pos,
                            path: format!("authorizers[{i}].type"),
                        });
                    }
                }
                if chain.is_empty() {
                    out.emit(
                        config,
                        config.source.pos,
                        "authorizers",
                        format!("{source} used by {who} lists no authorizers"),
                    );
                    continue;
                }
            } else {
                source = "--authorization-mode".to_owned();
                match invocation.flags.list("authorization-mode") {
                    None => {
                        let (pos, path) = invocation.locate_missing();
                        out.emit(pod, pos, path, format!("{who} sets neither --authorization-mode nor --authorization-config: the default AlwaysAllow authorizes every request"));
                        continue;
                    }
                    Some(Err(occurrence)) => {
                        let (pos, path) = invocation.locate(occurrence);
                        out.emit(pod, pos, path, format!("{who} sets --authorization-mode={:?}, which is not a valid comma-separated list", occurrence.value.unwrap_or("")));
                        continue;
                    }
                    Some(Ok(items)) => {
                        for item in items {
                            let (pos, path) = invocation.locate(item.occurrence);
                            chain.push(Authorizer {
                                mode: item.value,
                                object: pod,
                                pos,
                                path,
                            });
                        }
                    }
                }
            }
            for authorizer in chain.iter().filter(|a| a.mode == "AlwaysAllow") {
                out.emit(authorizer.object, authorizer.pos, authorizer.path.clone(), format!("{who} authorizes with AlwaysAllow (from {source}): every request that reaches it is allowed"));
            }
            let names: Vec<&str> = chain.iter().map(|a| a.mode.as_ref()).collect();
            let missing: Vec<&str> = ["Node", "RBAC"]
                .into_iter()
                .filter(|m| !names.contains(m))
                .collect();
            if let (false, Some(first)) = (missing.is_empty(), chain.first()) {
                out.emit(
                    first.object,
                    first.pos,
                    first.path.clone(),
                    format!(
                        "{who} authorizes with [{}] (from {source}), without {}",
                        names.join(","),
                        missing.join(" and ")
                    ),
                );
            }
        }
    }
}
