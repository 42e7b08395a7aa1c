//! Writes a generated cluster snapshot (multi-document YAML, the format of `mamori snapshot`) for the issue-5
//! benchmark: 2,000 namespaces, 5,000 workloads, 20,000 pods, 10,000 RBAC bindings, plus roles, service
//! accounts, secret metadata, services, network policies, quotas and nodes.
//!
//! `cargo run --release -p mamori-rbac --example gen_cluster -- OUT.yaml [SCALE]` (SCALE divides every count;
//! default 1 = the full size). The mix is deterministic (a fixed-seed generator), so figures are reproducible.

use std::fs::File;
use std::io::{self, BufWriter, Write};

/// A small deterministic generator (SplitMix64): no dependency, same snapshot on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const NAMESPACES: usize = 2_000;
const WORKLOADS: usize = 5_000;
const PODS: usize = 20_000;
const BINDINGS: usize = 10_000;
const NODES: usize = 200;

struct Counts {
    namespaces: usize,
    workloads: usize,
    pods: usize,
    bindings: usize,
    nodes: usize,
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: gen_cluster OUT.yaml [SCALE]")?;
    let scale: usize = match args.next() {
        Some(s) => s
            .parse()
            .map_err(|_| format!("SCALE {s:?} is not a number"))?,
        None => 1,
    }
    .max(1);
    let counts = Counts {
        namespaces: (NAMESPACES / scale).max(1),
        workloads: (WORKLOADS / scale).max(1),
        pods: (PODS / scale).max(1),
        bindings: (BINDINGS / scale).max(1),
        nodes: (NODES / scale).max(1),
    };
    let file = File::create(&out).map_err(|e| format!("{out}: {e}"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let written = generate(&counts, &mut w).and_then(|n| w.flush().map(|_| n));
    let n = written.map_err(|e| format!("{out}: {e}"))?;
    eprintln!("wrote {n} objects to {out}");
    Ok(())
}

fn ns_name(i: usize) -> String {
    const TEAMS: &[&str] = &[
        "payments", "search", "checkout", "identity", "media", "ml", "data", "web",
    ];
    format!("{}-{i:04}", TEAMS[i % TEAMS.len()])
}

fn generate(c: &Counts, w: &mut dyn Write) -> io::Result<usize> {
    let mut rng = Rng(5);
    let mut objects = 0usize;
    let mut doc = |w: &mut dyn Write, text: &str| -> io::Result<()> {
        objects += 1;
        w.write_all(b"---\n")?;
        w.write_all(text.as_bytes())
    };

    for n in 0..c.nodes {
        doc(w, &format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-{n:03}\n  labels:\n    kubernetes.io/hostname: node-{n:03}\n    topology.kubernetes.io/zone: zone-{}\nspec:\n  podCIDR: 10.{}.{}.0/24\n",
            n % 3, n / 250, n % 250
        ))?;
    }

    // Cluster-wide roles: the defaults (aggregated admin/edit/view, cluster-admin), operators' roles.
    doc(w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cluster-admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nrules:\n- apiGroups:\n  - '*'\n  resources:\n  - '*'\n  verbs:\n  - '*'\n- nonResourceURLs:\n  - '*'\n  verbs:\n  - '*'\n")?;
    for (name, label, selects) in [
        ("admin", None, "aggregate-to-admin"),
        ("edit", Some("aggregate-to-admin"), "aggregate-to-edit"),
        ("view", Some("aggregate-to-edit"), "aggregate-to-view"),
    ] {
        let labels = label.map_or(String::new(), |l| {
            format!("    rbac.authorization.k8s.io/{l}: \"true\"\n")
        });
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n{labels}aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels:\n      rbac.authorization.k8s.io/{selects}: \"true\"\nrules: []\n"))?;
    }
    for (name, label, rules) in [
        ("system:aggregate-to-view", "aggregate-to-view", "- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  - services\n  - configmaps\n  - endpoints\n  - persistentvolumeclaims\n  verbs:\n  - get\n  - list\n  - watch\n- apiGroups:\n  - apps\n  resources:\n  - deployments\n  - statefulsets\n  - daemonsets\n  - replicasets\n  verbs:\n  - get\n  - list\n  - watch\n"),
        ("system:aggregate-to-edit", "aggregate-to-edit", "- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  - services\n  - configmaps\n  - secrets\n  - serviceaccounts\n  verbs:\n  - create\n  - delete\n  - patch\n  - update\n- apiGroups:\n  - \"\"\n  resources:\n  - pods/exec\n  - pods/attach\n  verbs:\n  - create\n  - get\n- apiGroups:\n  - \"\"\n  resources:\n  - secrets\n  verbs:\n  - get\n  - list\n  - watch\n- apiGroups:\n  - apps\n  resources:\n  - deployments\n  - statefulsets\n  - daemonsets\n  verbs:\n  - create\n  - delete\n  - patch\n  - update\n"),
        ("system:aggregate-to-admin", "aggregate-to-admin", "- apiGroups:\n  - rbac.authorization.k8s.io\n  resources:\n  - roles\n  - rolebindings\n  verbs:\n  - create\n  - delete\n  - get\n  - list\n  - patch\n  - update\n"),
    ] {
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n    rbac.authorization.k8s.io/{label}: \"true\"\nrules:\n{rules}"))?;
    }
    let operator_roles = 300usize.min(c.bindings / 10 + 1);
    for r in 0..operator_roles {
        let rules = match r % 10 {
            0 => "- apiGroups:\n  - \"\"\n  resources:\n  - secrets\n  verbs:\n  - get\n  - list\n  - watch\n",
            1 => "- apiGroups:\n  - \"\"\n  resources:\n  - nodes\n  - nodes/proxy\n  - nodes/metrics\n  verbs:\n  - get\n",
            2 => "- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  verbs:\n  - create\n  - delete\n- apiGroups:\n  - \"\"\n  resources:\n  - serviceaccounts/token\n  verbs:\n  - create\n",
            3 => "- nonResourceURLs:\n  - /metrics\n  - /healthz/*\n  verbs:\n  - get\n",
            4 => "- apiGroups:\n  - certificates.k8s.io\n  resources:\n  - certificatesigningrequests\n  verbs:\n  - get\n  - list\n  - watch\n",
            _ => "- apiGroups:\n  - example.com\n  resources:\n  - widgets\n  - widgets/status\n  verbs:\n  - get\n  - list\n  - watch\n  - update\n",
        };
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: operator-{r:03}\nrules:\n{rules}"))?;
    }

    let mut workload = 0usize;
    let mut pod = 0usize;
    let mut bindings = 0usize;
    let cluster_bindings = c.bindings / 10;
    let namespace_bindings = c.bindings - cluster_bindings;
    for i in 0..c.namespaces {
        let ns = ns_name(i);
        let level = ["restricted", "baseline", "privileged"][i % 3];
        doc(w, &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    kubernetes.io/metadata.name: {ns}\n    pod-security.kubernetes.io/enforce: {level}\n"))?;
        let sas = ["default", "app", "deployer", "monitor"];
        for sa in sas {
            doc(w, &format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: {ns}\nautomountServiceAccountToken: false\n"))?;
        }
        doc(w, &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-config\n  namespace: {ns}\ntype: Opaque\n"))?;
        if rng.chance(25) {
            doc(w, &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: deployer-token\n  namespace: {ns}\n  annotations:\n    kubernetes.io/service-account.name: deployer\ntype: kubernetes.io/service-account-token\n"))?;
        }
        if i % 2 == 0 {
            doc(w, &format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n  - Ingress\n  - Egress\n"))?;
        }
        if i % 3 == 0 {
            doc(w, &format!("apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: quota\n  namespace: {ns}\nspec:\n  hard:\n    requests.cpu: \"8\"\n    requests.memory: 16Gi\n    pods: \"50\"\n"))?;
        }
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: app-config-reader\n  namespace: {ns}\nrules:\n- apiGroups:\n  - \"\"\n  resources:\n  - configmaps\n  resourceNames:\n  - app-config\n  verbs:\n  - get\n"))?;
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: deployer\n  namespace: {ns}\nrules:\n- apiGroups:\n  - apps\n  resources:\n  - deployments\n  verbs:\n  - get\n  - list\n  - create\n  - update\n  - patch\n- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  verbs:\n  - create\n  - get\n  - list\n"))?;

        // Workloads and their pods, spread evenly over the namespaces.
        let workloads_here =
            (c.workloads * (i + 1)) / c.namespaces - (c.workloads * i) / c.namespaces;
        for _ in 0..workloads_here {
            let app = format!("svc-{workload:05}");
            let kind = match workload % 10 {
                0 => "StatefulSet",
                1 => "DaemonSet",
                _ => "Deployment",
            };
            let privileged = rng.chance(3);
            let sa = if rng.chance(70) { "app" } else { "default" };
            let security = if privileged {
                "        securityContext:\n          privileged: true\n"
            } else {
                "        securityContext:\n          allowPrivilegeEscalation: false\n          runAsNonRoot: true\n          capabilities:\n            drop:\n            - ALL\n          seccompProfile:\n            type: RuntimeDefault\n"
            };
            let replicas = if kind == "DaemonSet" {
                String::new()
            } else {
                "  replicas: 4\n".to_owned()
            };
            let template = format!(
                "  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      serviceAccountName: {sa}\n      containers:\n      - name: main\n        image: registry.example.com/{app}:1.{}.0\n        ports:\n        - containerPort: 8080\n        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n          limits:\n            memory: 256Mi\n{security}",
                workload % 7
            );
            doc(w, &format!("apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {app}\n  namespace: {ns}\n  labels:\n    app: {app}\nspec:\n{replicas}  selector:\n    matchLabels:\n      app: {app}\n{template}"))?;
            doc(w, &format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  selector:\n    app: {app}\n  ports:\n  - port: 80\n    targetPort: 8080\n"))?;
            let pods_here =
                (c.pods * (workload + 1)) / c.workloads - (c.pods * workload) / c.workloads;
            for p in 0..pods_here {
                let node = rng.below(c.nodes as u64);
                let security = security.replace("        ", "    ");
                doc(w, &format!(
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{p}-{pod:05}\n  namespace: {ns}\n  labels:\n    app: {app}\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: {kind}\n    name: {app}\n    uid: 00000000-0000-0000-0000-{pod:012}\nspec:\n  serviceAccountName: {sa}\n  nodeName: node-{node:03}\n  containers:\n  - name: main\n    image: registry.example.com/{app}:1.{}.0\n    resources:\n      requests:\n        cpu: 100m\n        memory: 128Mi\n      limits:\n        memory: 256Mi\n{security}status:\n  phase: Running\n  podIP: 10.{}.{}.{}\n",
                    workload % 7,
                    pod / 65536 % 256,
                    pod / 256 % 256,
                    pod % 256
                ))?;
                pod += 1;
            }
            workload += 1;
        }

        // Namespace RoleBindings: the realistic per-team set.
        let here =
            (namespace_bindings * (i + 1)) / c.namespaces - (namespace_bindings * i) / c.namespaces;
        for b in 0..here {
            let (role_kind, role, subject) = match b % 5 {
                0 => ("ClusterRole", "edit".to_owned(), format!("- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: team-{}\n", i % 50)),
                1 => ("ClusterRole", "view".to_owned(), format!("- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: dev-{}@example.com\n", rng.below(500))),
                2 => ("Role", "deployer".to_owned(), "- kind: ServiceAccount\n  name: deployer\n".to_owned()),
                3 => ("Role", "app-config-reader".to_owned(), format!("- kind: ServiceAccount\n  name: app\n  namespace: {ns}\n")),
                _ => ("ClusterRole", if rng.chance(5) { "admin" } else { "view" }.to_owned(), "- kind: ServiceAccount\n  name: monitor\n".to_owned()),
            };
            doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-{b}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {role_kind}\n  name: {role}\nsubjects:\n{subject}"))?;
            bindings += 1;
        }
    }

    // ClusterRoleBindings: operators' service accounts, a few admins, and some risky leftovers.
    for b in 0..cluster_bindings {
        let ns = ns_name(rng.below(c.namespaces as u64) as usize);
        let (role, subject) = match b % 20 {
            0 => ("cluster-admin".to_owned(), format!("- kind: ServiceAccount\n  name: deployer\n  namespace: {ns}\n")),
            1 => ("cluster-admin".to_owned(), format!("- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: admin-{b}@example.com\n")),
            2 => ("view".to_owned(), "- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:authenticated\n".to_owned()),
            _ => (format!("operator-{:03}", b % operator_roles), format!("- kind: ServiceAccount\n  name: monitor\n  namespace: {ns}\n")),
        };
        doc(w, &format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb-{b:05}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {role}\nsubjects:\n{subject}"))?;
        bindings += 1;
    }
    eprintln!(
        "{} namespaces, {workload} workloads, {pod} pods, {bindings} bindings, {} nodes",
        c.namespaces, c.nodes
    );
    Ok(objects)
}
