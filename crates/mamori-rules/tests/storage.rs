//! Focused tests of the storage rules: EncryptionConfiguration provider order and wildcards, KMS versions, and
//! network volume authentication in pod templates and PersistentVolumes.

mod common;

use common::{messages, run_prefix as run};

fn config(resources: &str) -> String {
    format!("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n{resources}")
}

const KEY: &str =
    "      keys:\n      - name: k1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n";

#[test]
fn identity_first_names_resources_and_secrets_through_wildcards() {
    let text = config(&format!(
        "- resources: [\"*.*\"]\n  providers:\n  - identity: {{}}\n  - aesgcm:\n{KEY}"
    ));
    let found = run("storage.encryption-identity-first", &text);
    assert_eq!(
        messages(&found),
        ["EncryptionConfiguration resources[0] ([*.*]) has identity as its first provider: new writes of these resources \
          are stored in etcd in plaintext; secrets are among them"]
    );
    assert_eq!(
        found[0].location.field_path,
        "resources[0].providers[0].identity"
    );
    assert_eq!(found[0].location.pos.line, 6);
    let identity_last = config(&format!(
        "- resources: [secrets]\n  providers:\n  - aesgcm:\n{KEY}  - identity: {{}}\n"
    ));
    assert!(run("storage.encryption-identity-first", &identity_last).is_empty());
}

#[test]
fn secrets_coverage_accepts_core_and_global_wildcards_only() {
    let provider = "  providers:\n  - kms:\n      apiVersion: v2\n      name: k\n      endpoint: unix:///k.sock\n";
    for covered in ["secrets", "\"*.\"", "\"*.*\""] {
        let text = config(&format!("- resources: [{covered}]\n{provider}"));
        assert!(
            run("storage.encryption-secrets-not-covered", &text).is_empty(),
            "{covered}"
        );
    }
    let group_wildcard = config(&format!(
        "- resources: [\"*.apps\", configmaps]\n{provider}"
    ));
    let found = run("storage.encryption-secrets-not-covered", &group_wildcard);
    assert_eq!(
        messages(&found),
        ["EncryptionConfiguration encrypts [*.apps, configmaps] but not secrets (no entry lists secrets, *. or *.*): \
          secrets are stored in etcd in plaintext"]
    );
}

#[test]
fn only_the_write_provider_is_judged_for_aescbc_and_aesgcm() {
    let migrating = config(&format!("- resources: [secrets]\n  providers:\n  - secretbox:\n{KEY}  - aescbc:\n{KEY}  - aesgcm:\n{KEY}"));
    assert!(run("storage.encryption-aescbc", &migrating).is_empty());
    assert!(run("storage.encryption-aesgcm-rotation", &migrating).is_empty());
    assert_eq!(
        run("storage.encryption-kms-v2-recommended", &migrating).len(),
        1
    );
    let gcm = config(&format!(
        "- resources: [secrets]\n  providers:\n  - aesgcm:\n{KEY}"
    ));
    let found = run("storage.encryption-aesgcm-rotation", &gcm);
    assert_eq!(
        messages(&found),
        ["EncryptionConfiguration resources[0] encrypts new writes with aesgcm key k1: the key must be rotated before it \
          has encrypted 200,000 writes (mamori cannot check this)"]
    );
}

#[test]
fn kms_v1_is_reported_in_any_position() {
    let text = config("- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: new\n      endpoint: unix:///n.sock\n  - kms:\n      name: old\n      endpoint: unix:///o.sock\n");
    let found = run("storage.encryption-kms-v1", &text);
    assert_eq!(
        messages(&found),
        ["EncryptionConfiguration resources[0].providers[1] kms provider old uses KMS v1 (apiVersion not set): deprecated \
          since 1.28 and disabled by default since 1.29; it is kept to read existing data"]
    );
    assert!(run("storage.encryption-kms-v2-recommended", &text).is_empty());
}

#[test]
fn other_groups_named_encryption_configuration_are_ignored() {
    let text = "apiVersion: example.com/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps]\n  providers:\n  - identity: {}\n";
    assert!(run("storage", text).is_empty());
}

fn pod(volumes: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: c\n    image: registry.example.com/c:1\n  volumes:\n{volumes}")
}

#[test]
fn ceph_volumes_need_a_secret_ref() {
    let text = pod("  - name: a\n    cephfs:\n      monitors: [10.0.0.1:6789]\n  - name: b\n    rbd:\n      monitors: [10.0.0.1:6789]\n      image: data\n      secretRef:\n        name: ceph\n");
    let found = run("storage.unauthenticated-network-volume", &text);
    assert_eq!(
        messages(&found),
        ["Pod p: volume a mounts cephfs / without secretRef: it authenticates as Ceph user admin with the node's secret file \
          /etc/ceph/user.secret"]
    );
    assert_eq!(found[0].location.field_path, "spec.volumes[0].cephfs");
}

#[test]
fn iscsi_discovery_chap_alone_is_not_enough() {
    let text = pod("  - name: disk\n    iscsi:\n      targetPortal: 10.0.0.5:3260\n      iqn: iqn.2001-04.com.example:t\n      lun: 0\n      chapAuthDiscovery: true\n      secretRef:\n        name: chap\n");
    let found = run("storage.unauthenticated-network-volume", &text);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("chapAuthSession is not true; chapAuthDiscovery only protects discovery"),
        "{}",
        found[0].message
    );
}

#[test]
fn persistent_volumes_and_workload_templates_are_checked() {
    let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: shared\nspec:\n  capacity:\n    storage: 1Gi\n  nfs:\n    server: nfs.example.com\n    path: /exports\n";
    let found = run("storage.unauthenticated-network-volume", pv);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location.field_path, "spec.nfs");
    assert_eq!(found[0].location.pos.line, 8);
    let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"0 1 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: registry.example.com/c:1\n          volumes:\n          - name: g\n            glusterfs:\n              endpoints: gluster\n              path: vol1\n";
    let found = run("storage.unauthenticated-network-volume", cron);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].location.field_path,
        "spec.jobTemplate.spec.template.spec.volumes[0].glusterfs"
    );
}
