//! `workload.secret-in-env` — Secrets passed to containers as environment variables.
//!
//! Checks: every container, init container and ephemeral container of a Pod or pod template; fires on each
//! `env[].valueFrom.secretKeyRef` (naming the variable, Secret and key) and each `envFrom[].secretRef` (naming
//! the Secret). ConfigMap references and literal values are not this rule's concern.
//!
//! Why: environment variables leak: they are inherited by every child process, printed by crash reporters,
//! debug endpoints and `env` in support sessions, readable from `/proc/<pid>/environ`, and frozen at container
//! start (a rotated Secret needs a restart). A Secret mounted as a file is updated in place and only readable
//! where mounted.
//!
//! References: CIS Kubernetes Benchmark 5.4.1 ("Prefer using Secrets as files over Secrets as environment
//! variables"); MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API); Kubernetes docs "Good practices
//! for Kubernetes Secrets".

use crate::util::image::container_slots;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.secret-in-env",
        title: "Secret exposed as an environment variable",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "Environment variables are inherited by every child process, dumped by crash reporters and \
            debug endpoints, visible in /proc/<pid>/environ and frozen at container start. A Secret injected \
            through env or envFrom leaks through all of these and needs a restart to rotate; a Secret mounted as a \
            file is readable only where mounted and is updated in place.",
        remediation: "Mount the Secret as a volume (readOnly, with only the needed keys via items) and have the \
            application read the file; keep env for non-sensitive configuration.",
        references: &[
            Reference { kind: RefKind::Cis, id: "5.4.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::MitreAttack,
                id: "T1552.007",
                url: "https://attack.mitre.org/techniques/T1552/007/",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Good practices for Kubernetes Secrets",
                url: "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: registry.example.com/api:1.0\n        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db\n              key: password\n        envFrom:\n        - secretRef:\n            name: api-keys\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: registry.example.com/api:1.0\n        env:\n        - name: DB_PASSWORD_FILE\n          value: /secrets/db/password\n        volumeMounts:\n        - name: db\n          mountPath: /secrets/db\n          readOnly: true\n      volumes:\n      - name: db\n        secret:\n          secretName: db\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    let text = |node: &Node, key: &str| {
        node.get(key)
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_owned()
    };
    for slot in container_slots(pod.spec) {
        for (i, var) in slot
            .node
            .get("env")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(reference) = var.path(&["valueFrom", "secretKeyRef"]) else {
                continue;
            };
            if reference.is_null() {
                continue;
            }
            out.emit(
                ctx.object,
                reference.pos,
                format!(
                    "{}.env[{i}].valueFrom.secretKeyRef",
                    slot.path(pod.spec_path)
                ),
                format!(
                    "{} of {} gets key {:?} of Secret {:?} as environment variable {}",
                    slot.describe(),
                    ctx.object.id.display_name(),
                    text(reference, "key"),
                    text(reference, "name"),
                    text(var, "name"),
                ),
            );
        }
        for (i, source) in slot
            .node
            .get("envFrom")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(reference) = source.get("secretRef") else {
                continue;
            };
            if reference.is_null() {
                continue;
            }
            let prefix = source.get("prefix").and_then(Node::as_str).unwrap_or("");
            let prefix_note = if prefix.is_empty() {
                String::new()
            } else {
                format!(" (prefix {prefix:?})")
            };
            out.emit(
                ctx.object,
                reference.pos,
                format!("{}.envFrom[{i}].secretRef", slot.path(pod.spec_path)),
                format!(
                    "{} of {} gets every key of Secret {:?} as environment variables{prefix_note}",
                    slot.describe(),
                    ctx.object.id.display_name(),
                    text(reference, "name"),
                ),
            );
        }
    }
}
