//! Deterministic generator of realistic Kubernetes manifests (shared by the `gen_manifests` example and the
//! benchmark). Mixed workload kinds, varied securityContexts, ~1.5–2 KB per object.

use std::fmt::Write as _;

/// SplitMix64: tiny, seeded, reproducible across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(index).copied().unwrap_or("")
    }
}

const APPS: &[&str] = &[
    "api", "web", "worker", "cache", "gateway", "billing", "search", "auth", "ingest", "report",
];
const TEAMS: &[&str] = &["payments", "platform", "data", "identity", "growth", "ops"];
const IMAGES: &[&str] = &[
    "registry.example.com/team/app:1.4.2",
    "nginx:1.27.3",
    "ghcr.io/example/worker@sha256:4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "redis:7.4-alpine",
    "quay.io/prometheus/node-exporter:v1.8.2",
];

/// Security posture of a generated pod.
#[derive(Clone, Copy)]
enum Profile {
    Hardened,
    Partial,
    Privileged,
    HostPath,
    HostNetwork,
    Capabilities,
    ProbeHost,
    Default,
}

/// Kind of the `index`-th generated object (Deployments dominate, as in real clusters).
pub fn kind_for(rng: &mut Rng, deployments_only: bool) -> &'static str {
    if deployments_only {
        return "Deployment";
    }
    match rng.below(20) {
        0..=9 => "Deployment",
        10..=11 => "StatefulSet",
        12..=13 => "DaemonSet",
        14..=15 => "Job",
        16..=17 => "CronJob",
        _ => "Pod",
    }
}

/// Appends one object as a YAML document (with a leading `---`).
pub fn write_object(out: &mut String, rng: &mut Rng, index: u64, kind: &str) {
    let profile = match rng.below(16) {
        0..=4 => Profile::Hardened,
        5..=7 => Profile::Partial,
        8 => Profile::Privileged,
        9 => Profile::HostPath,
        10 => Profile::HostNetwork,
        11 => Profile::Capabilities,
        12 => Profile::ProbeHost,
        _ => Profile::Default,
    };
    let app = rng.pick(APPS);
    let team = rng.pick(TEAMS);
    let name = format!("{app}-{index}");
    let api_version = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        _ => "v1",
    };
    let _ = write!(
        out,
        "---\napiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {team}\n  labels:\n    \
         app.kubernetes.io/name: {app}\n    app.kubernetes.io/part-of: {team}\n    app.kubernetes.io/version: \"1.{}.{}\"\n  \
         annotations:\n    example.com/owner: {team}@example.com\n",
        rng.below(20),
        rng.below(10)
    );
    // Indentation of the pod spec's keys for each kind.
    let (pad, template_header) = match kind {
        "Pod" => ("  ", String::from("spec:\n")),
        "CronJob" => (
            "          ",
            format!(
                "spec:\n  schedule: \"*/{} * * * *\"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      \
                 backoffLimit: 2\n      template:\n        metadata:\n          labels:\n            app: {app}\n        spec:\n",
                rng.below(50) + 5
            ),
        ),
        "Job" => (
            "      ",
            format!(
                "spec:\n  backoffLimit: 3\n  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n"
            ),
        ),
        _ => {
            let replicas = if kind == "DaemonSet" { String::new() } else { format!("  replicas: {}\n", rng.below(5) + 1) };
            let service = if kind == "StatefulSet" { format!("  serviceName: {app}\n") } else { String::new() };
            (
                "      ",
                format!(
                    "spec:\n{replicas}{service}  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      \
                     labels:\n        app: {app}\n        team: {team}\n    spec:\n"
                ),
            )
        }
    };
    out.push_str(&template_header);
    let p = pad;
    if matches!(kind, "Job" | "CronJob") {
        let _ = writeln!(out, "{p}restartPolicy: OnFailure");
    }
    let _ = writeln!(out, "{p}serviceAccountName: {app}");
    match profile {
        Profile::HostNetwork => {
            let _ = writeln!(
                out,
                "{p}hostNetwork: true\n{p}hostPID: {}",
                rng.below(2) == 0
            );
        }
        Profile::Hardened | Profile::Partial => {
            let _ = writeln!(
                out,
                "{p}securityContext:\n{p}  runAsNonRoot: true\n{p}  runAsUser: {}\n{p}  fsGroup: 2000\n{p}  seccompProfile:\n{p}    type: RuntimeDefault",
                10000 + rng.below(1000)
            );
        }
        _ => {}
    }
    let _ = writeln!(out, "{p}containers:");
    let containers = 1 + rng.below(2);
    for c in 0..containers {
        let cname = if c == 0 {
            app.to_owned()
        } else {
            String::from("sidecar")
        };
        let image = rng.pick(IMAGES);
        let port = 8000 + rng.below(1000);
        let _ = writeln!(
            out,
            "{p}- name: {cname}\n{p}  image: {image}\n{p}  imagePullPolicy: IfNotPresent\n{p}  args:\n{p}  - --port={port}\n{p}  - --log-level=info\n{p}  ports:\n{p}  - name: http\n{p}    containerPort: {port}\n{p}    protocol: TCP"
        );
        if matches!(profile, Profile::HostNetwork) {
            let _ = writeln!(out, "{p}    hostPort: {port}");
        }
        let _ = writeln!(
            out,
            "{p}  env:\n{p}  - name: TEAM\n{p}    value: {team}\n{p}  - name: POD_NAME\n{p}    valueFrom:\n{p}      fieldRef:\n{p}        fieldPath: metadata.name\n{p}  resources:\n{p}    requests:\n{p}      cpu: {}m\n{p}      memory: {}Mi\n{p}    limits:\n{p}      memory: {}Mi",
            50 + rng.below(450),
            64 + rng.below(448),
            512 + rng.below(512)
        );
        let probe_host = if matches!(profile, Profile::ProbeHost) {
            format!("\n{p}      host: 127.0.0.1")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{p}  readinessProbe:\n{p}    httpGet:\n{p}      path: /healthz\n{p}      port: {port}{probe_host}\n{p}    periodSeconds: 10"
        );
        match profile {
            Profile::Hardened => {
                let _ = writeln!(
                    out,
                    "{p}  securityContext:\n{p}    allowPrivilegeEscalation: false\n{p}    readOnlyRootFilesystem: true\n{p}    capabilities:\n{p}      drop:\n{p}      - ALL"
                );
            }
            Profile::Partial => {
                let _ = writeln!(
                    out,
                    "{p}  securityContext:\n{p}    readOnlyRootFilesystem: true"
                );
            }
            Profile::Privileged => {
                let _ = writeln!(
                    out,
                    "{p}  securityContext:\n{p}    privileged: true\n{p}    runAsUser: 0"
                );
            }
            Profile::Capabilities => {
                let _ = writeln!(
                    out,
                    "{p}  securityContext:\n{p}    capabilities:\n{p}      add:\n{p}      - NET_ADMIN\n{p}      - SYS_TIME"
                );
            }
            _ => {}
        }
        let _ = writeln!(
            out,
            "{p}  volumeMounts:\n{p}  - name: config\n{p}    mountPath: /etc/{app}"
        );
    }
    let _ = writeln!(
        out,
        "{p}volumes:\n{p}- name: config\n{p}  configMap:\n{p}    name: {app}-config"
    );
    if matches!(profile, Profile::HostPath) {
        let _ = writeln!(
            out,
            "{p}- name: host-logs\n{p}  hostPath:\n{p}    path: /var/log\n{p}    type: Directory"
        );
    }
}

/// `count` objects as one multi-document YAML string.
pub fn generate(seed: u64, count: u64, deployments_only: bool) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(usize::try_from(count).unwrap_or(0).saturating_mul(1800));
    for index in 0..count {
        let kind = kind_for(&mut rng, deployments_only);
        write_object(&mut out, &mut rng, index, kind);
    }
    out
}
