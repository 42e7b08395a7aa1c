//! `storage.unauthenticated-network-volume` — pods or PersistentVolumes mounting network storage without
//! per-volume authentication.
//!
//! Checks: `spec.volumes[]` of pod templates (Pod and the core/apps/batch workload kinds) and the volume source
//! of `PersistentVolume` objects (`spec.<type>`). Fires, per volume:
//! - `nfs`: always. The in-tree NFS volume mounts with AUTH_SYS: the server trusts the client's IP and the
//!   UIDs it claims; the volume source has no credential field.
//! - `iscsi`: when `chapAuthSession` is not `true` (the session, i.e. data access, is unauthenticated; the
//!   message also says whether `chapAuthDiscovery` is on). CHAP on discovery alone only protects the target list.
//! - `rbd` / `cephfs`: when `secretRef` is absent. The kubelet then authenticates with a credential file on the
//!   node (`keyring`, default `/etc/ceph/keyring`; `secretFile`, default `/etc/ceph/user.secret`) for `user`
//!   (default `admin`): a node-wide, usually admin, Ceph credential shared by every pod that names it.
//! - `glusterfs`: always (no client authentication in the volume source; the in-tree driver was removed in
//!   Kubernetes 1.26).
//!
//! CSI volumes and PersistentVolumeClaims are not judged (their authentication lives in the driver/StorageClass).
//!
//! Why: storage reachable without per-workload credentials can be mounted by any pod (or host) that can reach
//! the server, with whatever identity it claims: data of other tenants is one volume definition away.
//!
//! References: Kubernetes "Volumes" (nfs, iscsi, rbd, cephfs, glusterfs); NSA/CISA hardening guide "Pod
//! security" / least privilege; MITRE ATT&CK T1530 (Data from Cloud Storage).

use crate::util::rbac::attack;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Entry, Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.unauthenticated-network-volume",
        title: "Network volume mounted without per-volume authentication",
        severity: Severity::Medium,
        phase: Phase::RuntimeStorage,
        rationale: "nfs and glusterfs volumes carry no credentials (NFS AUTH_SYS trusts the client's IP and claimed \
            UID), iSCSI without session CHAP accepts any initiator, and rbd/cephfs without secretRef fall back to \
            a Ceph keyring stored on the node, by default for the admin user. Any pod that can name the server \
            gets the data, across namespaces and tenants.",
        remediation: "Use a CSI driver with per-volume credentials (or NFS with Kerberos via CSI), enable \
            chapAuthSession (and chapAuthDiscovery) with a secretRef for iSCSI, give rbd/cephfs a secretRef for a \
            least-privilege Ceph user, and migrate glusterfs volumes off the removed in-tree driver.",
        references: &[
            Reference {
                kind: RefKind::K8sDocs,
                id: "Volumes",
                url: "https://kubernetes.io/docs/concepts/storage/volumes/",
            },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Pod security",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            attack("T1530", "https://attack.mitre.org/techniques/T1530/"),
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reports\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/reports:1.0\n      volumes:\n      - name: shared\n        nfs:\n          server: nfs.example.com\n          path: /exports/reports\n      - name: block\n        iscsi:\n          targetPortal: 10.0.0.5:3260\n          iqn: iqn.2001-04.com.example:storage\n          lun: 0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reports\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/reports:1.0\n      volumes:\n      - name: shared\n        persistentVolumeClaim:\n          claimName: reports\n      - name: block\n        iscsi:\n          targetPortal: 10.0.0.5:3260\n          iqn: iqn.2001-04.com.example:storage\n          lun: 0\n          chapAuthSession: true\n          chapAuthDiscovery: true\n          secretRef:\n            name: iscsi-chap\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const NETWORK_SOURCES: [&str; 5] = ["nfs", "iscsi", "rbd", "cephfs", "glusterfs"];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if let Some(pod) = &ctx.pod {
        let volumes = pod
            .spec
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        for (i, volume) in volumes.iter().enumerate() {
            let Some(source) = network_source(volume) else {
                continue;
            };
            let Some(problem) = problem(source) else {
                continue;
            };
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            out.emit(
                ctx.object,
                source.key_pos,
                format!("{}.volumes[{i}].{}", pod.spec_path, source.key),
                format!(
                    "{} {}: volume {name} {problem}",
                    ctx.kind(),
                    ctx.object.id.name
                ),
            );
        }
    } else if ctx.kind() == "PersistentVolume" && ctx.object.id.api_version == "v1" {
        let Some(source) = ctx.root().get("spec").and_then(network_source) else {
            return;
        };
        if let Some(problem) = problem(source) {
            out.emit(
                ctx.object,
                source.key_pos,
                format!("spec.{}", source.key),
                format!("PersistentVolume {}: {problem}", ctx.object.id.name),
            );
        }
    }
}

/// The first network volume source of a volume (or PV spec) map.
fn network_source(volume: &Node) -> Option<&Entry> {
    volume
        .as_map()?
        .iter()
        .find(|e| NETWORK_SOURCES.contains(&e.key.as_str()))
}

/// What is unauthenticated about the source, or None when it authenticates per volume.
fn problem(source: &Entry) -> Option<String> {
    let field = |key: &str| source.value.get(key);
    let text = |key: &str, default: &'static str| {
        field(key)
            .and_then(Node::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    let on = |key: &str| field(key).and_then(Node::as_bool) == Some(true);
    match source.key.as_str() {
        "nfs" => Some(format!(
            "mounts nfs {}:{} without authentication (AUTH_SYS: the server trusts the client's IP and claimed UIDs)",
            text("server", "?"),
            text("path", "?")
        )),
        "iscsi" if !on("chapAuthSession") => Some(format!(
            "mounts iscsi {} {} without CHAP session authentication (chapAuthSession is not true{})",
            text("targetPortal", "?"),
            text("iqn", "?"),
            if on("chapAuthDiscovery") { "; chapAuthDiscovery only protects discovery" } else { ", nor chapAuthDiscovery" }
        )),
        "rbd" if field("secretRef").is_none() => Some(format!(
            "mounts rbd image {}/{} without secretRef: it authenticates as Ceph user {} with the node's keyring {}",
            text("pool", "rbd"),
            text("image", "?"),
            text("user", "admin"),
            text("keyring", "/etc/ceph/keyring")
        )),
        "cephfs" if field("secretRef").is_none() => Some(format!(
            "mounts cephfs {} without secretRef: it authenticates as Ceph user {} with the node's secret file {}",
            text("path", "/"),
            text("user", "admin"),
            text("secretFile", "/etc/ceph/user.secret")
        )),
        "glusterfs" => Some(format!(
            "mounts glusterfs volume {} without client authentication (the in-tree glusterfs driver was removed in \
             Kubernetes 1.26)",
            text("path", "?")
        )),
        _ => None,
    }
}
