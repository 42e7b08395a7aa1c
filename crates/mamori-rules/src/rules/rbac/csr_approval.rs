//! `rbac.csr-approval` — a ClusterRole that can approve CertificateSigningRequests.
//!
//! Checks: `rules[]` of `ClusterRole` objects of `rbac.authorization.k8s.io`. Approving a CSR takes two
//! permissions (upstream "Certificates and Certificate Signing Requests", authorization): `update` (or `patch`)
//! on `certificatesigningrequests/approval` and `approve` on `signers` in `certificates.k8s.io`, the signer
//! being named by resourceNames (`kubernetes.io/kube-apiserver-client`, `example.com/*`) or unrestricted. Fires
//! when the same ClusterRole grants both (exact RBAC matching, wildcards included), at the approval grant,
//! naming the signers. A role holding only one half is not reported (it cannot approve alone; a split across
//! two roles bound to one subject needs the binding analysis of a later rule). `Role`s are not judged: CSRs and
//! signers are cluster-scoped. Superuser rules are left to `rbac.wildcard-all`; bootstrap default roles are not
//! judged.
//!
//! Why: approving a CSR for the `kubernetes.io/kube-apiserver-client` signer issues a client certificate for any
//! user or group the request names, `system:masters` included: a non-revocable cluster-admin credential.
//!
//! References: CIS Kubernetes Benchmark 5.1.11 ("Minimize access to the approval sub-resource of
//! certificatesigningrequests objects"); Kubernetes "RBAC Good Practices" (CSR and certificate issuing);
//! MITRE ATT&CK T1649 (Steal or Forge Authentication Certificates).

use crate::util::rbac::{
    attack, cis, grants, is_full_wildcard, judged_role_rules, resource_names, RequestName,
    RoleKind, CLUSTER_SCOPED_PHRASE, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.csr-approval",
        title: "ClusterRole can approve certificate signing requests",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "Approving a CertificateSigningRequest makes the signer issue the certificate. For the \
            kube-apiserver-client signer, the requester chooses the user and groups in the certificate, \
            system:masters included: approval rights amount to minting cluster-admin credentials that cannot be \
            revoked before they expire.",
        remediation: "Leave approval to the built-in controllers (kubelet serving/client certificates) or a \
            dedicated approver; if a tool must approve, restrict approve on signers with resourceNames to its own \
            signer name.",
        references: &[
            cis("5.1.11"),
            RBAC_GOOD_PRACTICES,
            attack("T1649", "https://attack.mitre.org/techniques/T1649/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: csr-approver\nrules:\n- apiGroups: [\"certificates.k8s.io\"]\n  resources: [\"certificatesigningrequests\"]\n  verbs: [\"get\", \"list\"]\n- apiGroups: [\"certificates.k8s.io\"]\n  resources: [\"certificatesigningrequests/approval\"]\n  verbs: [\"update\"]\n- apiGroups: [\"certificates.k8s.io\"]\n  resources: [\"signers\"]\n  resourceNames: [\"kubernetes.io/kube-apiserver-client\"]\n  verbs: [\"approve\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: csr-approver\nrules:\n- apiGroups: [\"certificates.k8s.io\"]\n  resources: [\"certificatesigningrequests\"]\n  verbs: [\"get\", \"list\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const GROUP: &str = "certificates.k8s.io";
const APPROVAL_VERBS: &[&str] = &["update", "patch"];
const APPROVE: &[&str] = &["approve"];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some((RoleKind::ClusterRole, rules)) = judged_role_rules(ctx.object) else {
        return;
    };
    let judged = |(_, rule): &(usize, &Node)| !is_full_wildcard(rule);
    let signer_rules = || {
        rules.iter().enumerate().filter(judged).filter(|(_, rule)| {
            grants(
                std::slice::from_ref(*rule),
                APPROVE,
                GROUP,
                "signers",
                "",
                RequestName::AnyName,
            )
            .next()
            .is_some()
        })
    };
    if signer_rules().next().is_none() {
        return;
    }
    for (i, rule) in rules.iter().enumerate().filter(judged) {
        let one = std::slice::from_ref(rule);
        let Some(mut grant) = grants(
            one,
            APPROVAL_VERBS,
            GROUP,
            "certificatesigningrequests",
            "approval",
            RequestName::AnyName,
        )
        .next() else {
            continue;
        };
        grant.rule_index = i;
        let signers: Vec<String> = signer_rules()
            .map(|(j, rule)| {
                let names: Vec<&str> = resource_names(rule)
                    .iter()
                    .filter_map(Node::as_str)
                    .collect();
                if names.is_empty() {
                    format!("every signer (rules[{j}])")
                } else {
                    format!("{} (rules[{j}])", names.join(", "))
                }
            })
            .collect();
        let (pos, path) = grant.location();
        out.emit(
            ctx.object,
            pos,
            path,
            format!(
                "{} can approve CertificateSigningRequests for signers {}: {}",
                crate::util::rbac::role_label(ctx.object),
                signers.join("; "),
                grant.describe(
                    ctx.object,
                    CLUSTER_SCOPED_PHRASE,
                    APPROVAL_VERBS,
                    "certificatesigningrequests/approval"
                )
            ),
        );
    }
}
