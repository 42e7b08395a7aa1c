//! Metadata of every rule the engine emits: the 19 Pod Security Standards checks (`pss.<checkID>`), then the
//! `mamori-rules` catalogue.

use mamori_model::{Phase, Severity};
use mamori_rules::{RefKind, Reference};
use std::sync::OnceLock;

/// Title, severity, rationale and fix of one rule, for table help and SARIF `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub phase: Phase,
    /// Why it matters.
    pub description: &'static str,
    /// What to set, concretely.
    pub remediation: &'static str,
    pub help_uri: &'static str,
    /// Where the guidance comes from (PSS, CIS, NSA/CISA, MITRE ATT&CK, Kubernetes docs).
    pub references: &'static [Reference],
    /// A manifest the rule fires on.
    pub fail_example: &'static str,
    /// The same manifest fixed: the rule does not fire.
    pub pass_example: &'static str,
}

const PSS_URI: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

const PSS_REFERENCES: &[Reference] = &[Reference {
    kind: RefKind::Pss,
    id: "Pod Security Standards",
    url: PSS_URI,
}];

/// A restricted-compliant pod with the pod securityContext body, extra pod spec lines, extra container lines
/// and the container securityContext body spliced in; the PSS examples differ from it in one place.
macro_rules! pod {
    ($pod_sc:expr, $pod_extra:expr, $container_extra:expr, $container_sc:expr) => {
        concat!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  securityContext:\n",
            $pod_sc,
            $pod_extra,
            "  containers:\n  - name: web\n    image: registry.example.com/web:1.0\n",
            $container_extra,
            "    securityContext:\n",
            $container_sc
        )
    };
}
macro_rules! pod_sc {
    () => {
        "    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n"
    };
}
macro_rules! container_sc {
    () => {
        "      allowPrivilegeEscalation: false\n      capabilities:\n        drop: [ALL]\n"
    };
}

/// Passes the restricted level: the pass example of every PSS rule.
const PSS_PASS: &str = pod!(pod_sc!(), "", "", container_sc!());

const fn pss(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    description: &'static str,
    remediation: &'static str,
    fail_example: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        title,
        severity,
        phase: Phase::RuntimeCompute,
        description,
        remediation,
        help_uri: PSS_URI,
        references: PSS_REFERENCES,
        fail_example,
        pass_example: PSS_PASS,
    }
}

use Severity::{Critical, High, Medium};

static RULES: [RuleInfo; 19] = [
    // Baseline: prevents known privilege escalations.
    pss(
        "pss.privileged",
        "Privileged container",
        Critical,
        "A privileged container runs with all capabilities and full access to the host's devices; escaping to the \
         node is trivial.",
        "Remove securityContext.privileged or set it to false on every container, init container and ephemeral \
         container.",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      privileged: true\n")),
    ),
    pss(
        "pss.hostNamespaces",
        "Host namespaces shared",
        High,
        "hostNetwork, hostPID and hostIPC give the pod the node's network stack, process table or IPC; it can \
         sniff traffic, signal or inspect host processes and reach services bound to localhost.",
        "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to false).",
        pod!(pod_sc!(), "  hostNetwork: true\n", "", container_sc!()),
    ),
    pss(
        "pss.hostPorts",
        "Host ports",
        Medium,
        "A hostPort binds the container to a port on the node's interfaces, bypassing Services and network \
         policies and exposing the workload on every node address.",
        "Remove ports[].hostPort (or set it to 0) and expose the workload through a Service instead.",
        pod!(pod_sc!(), "", "    ports:\n    - containerPort: 8080\n      hostPort: 8080\n", container_sc!()),
    ),
    pss(
        "pss.hostPathVolumes",
        "hostPath volumes",
        High,
        "A hostPath volume mounts a directory of the node into the pod; write access to paths such as /, \
         /var/run or /etc is a direct route to node compromise.",
        "Replace spec.volumes[].hostPath with emptyDir, configMap, secret, a persistentVolumeClaim or a CSI volume.",
        pod!(pod_sc!(), "  volumes:\n  - name: logs\n    hostPath:\n      path: /var/log\n", "", container_sc!()),
    ),
    pss(
        "pss.capabilities_baseline",
        "Non-default capabilities added",
        High,
        "Capabilities beyond the container runtime's default set (e.g. NET_ADMIN, SYS_ADMIN, SYS_PTRACE) grant \
         powers over the kernel that enable container escape or host network tampering.",
        "Remove entries from securityContext.capabilities.add other than AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, \
         FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.",
        pod!(pod_sc!(), "", "", "      allowPrivilegeEscalation: false\n      capabilities:\n        drop: [ALL]\n        add: [NET_ADMIN]\n"),
    ),
    pss(
        "pss.windowsHostProcess",
        "Windows HostProcess container",
        Critical,
        "A Windows HostProcess container runs directly on the host with host network and file system access, the \
         Windows equivalent of a privileged container.",
        "Remove securityContext.windowsOptions.hostProcess (or set it to false) at pod and container level.",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      windowsOptions:\n        hostProcess: true\n")),
    ),
    pss(
        "pss.appArmorProfile",
        "AppArmor profile disabled",
        High,
        "Running unconfined (or with an unknown AppArmor profile) removes the mandatory access control that \
         limits what a compromised process may touch.",
        "Set securityContext.appArmorProfile.type to RuntimeDefault or Localhost, and remove \
         container.apparmor.security.beta.kubernetes.io/* annotations other than runtime/default or localhost/<profile>.",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      appArmorProfile:\n        type: Unconfined\n")),
    ),
    pss(
        "pss.seLinuxOptions",
        "Custom SELinux options",
        High,
        "A custom SELinux type, user or role can lift the confinement of the container_t domain and give the \
         process access to host files.",
        "Leave securityContext.seLinuxOptions.user and .role unset, and use type container_t, container_init_t, \
         container_kvm_t or container_engine_t (or unset).",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      seLinuxOptions:\n        type: spc_t\n")),
    ),
    pss(
        "pss.procMount",
        "Unmasked /proc mount",
        High,
        "procMount: Unmasked exposes the whole /proc of the host kernel view, including paths the runtime masks \
         because they leak host information or allow kernel tuning.",
        "Remove securityContext.procMount or set it to Default (Unmasked is only tolerated with \
         spec.hostUsers: false at baseline).",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      procMount: Unmasked\n")),
    ),
    pss(
        "pss.seccompProfile_baseline",
        "Seccomp disabled",
        High,
        "An Unconfined seccomp profile lets the container make any system call, greatly widening the kernel attack \
         surface.",
        "Set securityContext.seccompProfile.type to RuntimeDefault or Localhost (never Unconfined) at pod or \
         container level.",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      seccompProfile:\n        type: Unconfined\n")),
    ),
    pss(
        "pss.sysctls",
        "Unsafe sysctls",
        High,
        "Sysctls outside the namespaced safe set change kernel parameters that affect every pod on the node, or \
         weaken isolation.",
        "Remove spec.securityContext.sysctls entries other than the safe set (kernel.shm_rmid_forced, \
         net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, \
         net.ipv4.ip_unprivileged_port_start and the newer net.ipv4.tcp_* keepalive/rmem/wmem ones).",
        pod!(concat!(pod_sc!(), "    sysctls:\n    - name: kernel.msgmax\n      value: \"65536\"\n"), "", "", container_sc!()),
    ),
    pss(
        "pss.hostProbesAndHostLifecycle",
        "Probe or lifecycle handler targets a host",
        Medium,
        "An httpGet or tcpSocket probe or lifecycle handler with a host makes the kubelet connect to an arbitrary \
         address from the node's network, a server-side request forgery vector.",
        "Remove the host field from livenessProbe, readinessProbe, startupProbe and lifecycle.postStart/preStop \
         httpGet and tcpSocket handlers so they target the pod itself.",
        pod!(pod_sc!(), "", "    livenessProbe:\n      httpGet:\n        host: 169.254.169.254\n        port: 80\n        path: /latest/meta-data\n", container_sc!()),
    ),
    // Restricted: current pod hardening best practice.
    pss(
        "pss.allowPrivilegeEscalation",
        "Privilege escalation allowed",
        Medium,
        "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent (setuid \
         binaries, file capabilities), turning a foothold into root inside the container.",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
        pod!(pod_sc!(), "", "", "      capabilities:\n        drop: [ALL]\n"),
    ),
    pss(
        "pss.capabilities_restricted",
        "Capabilities not dropped",
        Medium,
        "Containers keep the runtime's default capabilities unless they drop them; restricted requires dropping \
         all and adding back at most NET_BIND_SERVICE.",
        "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add only NET_BIND_SERVICE if \
         needed.",
        pod!(pod_sc!(), "", "", "      allowPrivilegeEscalation: false\n"),
    ),
    pss(
        "pss.procMount_restricted",
        "Unmasked /proc mount",
        High,
        "procMount: Unmasked exposes host kernel information and tunables that the runtime masks; restricted never \
         allows it, even in a user namespace.",
        "Remove securityContext.procMount or set it to Default.",
        pod!(pod_sc!(), "", "", concat!(container_sc!(), "      procMount: Unmasked\n")),
    ),
    pss(
        "pss.restrictedVolumes",
        "Restricted volume types",
        Medium,
        "Volume types other than configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, \
         projected and secret reach node paths or network storage directly, bypassing storage policy.",
        "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or \
         secret volumes; move other storage behind a PersistentVolumeClaim.",
        pod!(pod_sc!(), "  volumes:\n  - name: data\n    nfs:\n      server: nfs.example.com\n      path: /export\n", "", container_sc!()),
    ),
    pss(
        "pss.runAsNonRoot",
        "May run as root",
        Medium,
        "Without runAsNonRoot: true the container may run as UID 0; root in a container is one kernel bug away \
         from root on the node.",
        "Set spec.securityContext.runAsNonRoot: true (or on every container) and build the image with a non-root \
         USER.",
        pod!("    seccompProfile:\n      type: RuntimeDefault\n", "", "", container_sc!()),
    ),
    pss(
        "pss.runAsUser",
        "Runs as UID 0",
        Medium,
        "runAsUser: 0 explicitly runs the container as root.",
        "Remove runAsUser: 0 or set a non-zero UID (e.g. runAsUser: 10001) at pod and container level.",
        pod!(concat!(pod_sc!(), "    runAsUser: 0\n"), "", "", container_sc!()),
    ),
    pss(
        "pss.seccompProfile_restricted",
        "Seccomp profile not set",
        Medium,
        "Without a seccomp profile the container may make any system call; restricted requires the runtime default \
         or a localhost profile.",
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost) for the pod, or on every \
         container.",
        pod!("    runAsNonRoot: true\n", "", "", container_sc!()),
    ),
];

/// Rule metadata for every rule the engine can emit: the PSS checks, then the catalogue in its order.
pub fn rules() -> &'static [RuleInfo] {
    static ALL: OnceLock<Vec<RuleInfo>> = OnceLock::new();
    ALL.get_or_init(|| {
        RULES
            .iter()
            .copied()
            .chain(mamori_rules::CATALOGUE.iter().map(|rule| {
                let meta = &rule.meta;
                RuleInfo {
                    id: meta.id,
                    title: meta.title,
                    severity: meta.severity,
                    phase: meta.phase,
                    description: meta.rationale,
                    remediation: meta.remediation,
                    help_uri: meta.references.first().map_or("", |r| r.url),
                    references: meta.references,
                    fail_example: meta.fail_example,
                    pass_example: meta.pass_example,
                }
            }))
            .collect()
    })
}

/// The rule of a PSS check id (`privileged` → `pss.privileged`) without formatting the rule id first.
pub(crate) fn pss_rule(check_id: &str) -> Option<&'static RuleInfo> {
    RULES
        .iter()
        .find(|rule| rule.id.strip_prefix("pss.") == Some(check_id))
}

/// The metadata of one rule by id. PSS ids are looked up first, without building the full table: the hot
/// path (one lookup per PSS finding) stays a scan of 19 entries.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    if id.starts_with("pss.") {
        return RULES.iter().find(|rule| rule.id == id);
    }
    rules().iter().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pss_check_has_a_rule_with_the_requested_severity() {
        let expected = [
            ("privileged", Critical),
            ("windowsHostProcess", Critical),
            ("hostNamespaces", High),
            ("hostPathVolumes", High),
            ("capabilities_baseline", High),
            ("procMount", High),
            ("procMount_restricted", High),
            ("appArmorProfile", High),
            ("seLinuxOptions", High),
            ("seccompProfile_baseline", High),
            ("sysctls", High),
            ("hostPorts", Medium),
            ("hostProbesAndHostLifecycle", Medium),
            ("allowPrivilegeEscalation", Medium),
            ("capabilities_restricted", Medium),
            ("runAsNonRoot", Medium),
            ("runAsUser", Medium),
            ("restrictedVolumes", Medium),
            ("seccompProfile_restricted", Medium),
        ];
        assert_eq!(
            rules().len(),
            expected.len() + mamori_rules::CATALOGUE.len()
        );
        for (check, severity) in expected {
            let info =
                rule(&format!("pss.{check}")).unwrap_or_else(|| panic!("no rule for {check}"));
            assert_eq!(info.severity, severity, "{check}");
            assert_eq!(info.phase, Phase::RuntimeCompute);
            assert!(
                !info.title.is_empty()
                    && !info.description.is_empty()
                    && !info.remediation.is_empty()
            );
        }
    }

    #[test]
    fn rule_ids_match_the_pss_registry() {
        let registry: Vec<String> = mamori_pss::DEFAULT_CHECKS
            .iter()
            .map(|check| format!("pss.{}", check.id))
            .collect();
        for id in &registry {
            assert!(rule(id).is_some(), "{id} has no rule metadata");
        }
        assert_eq!(registry.len(), RULES.len());
    }

    #[test]
    fn catalogue_rules_follow_the_pss_rules() {
        for catalogue_rule in mamori_rules::CATALOGUE {
            let info = rule(catalogue_rule.meta.id).expect("catalogue rule listed");
            assert_eq!(info.description, catalogue_rule.meta.rationale);
            assert_eq!(info.fail_example, catalogue_rule.meta.fail_example);
            assert!(!info.references.is_empty());
        }
        assert_eq!(rules()[..RULES.len()], RULES[..]);
    }

    /// Each PSS rule's fail example violates exactly that check at the check's own level (latest), and the
    /// shared pass example passes restricted.
    #[test]
    fn pss_examples_fail_and_pass() {
        use mamori_pss::{pod_template, Evaluator, LevelVersion, PodView, Version};
        let evaluator = Evaluator::new();
        let evaluate = |text: &str, level| {
            let root = mamori_yaml::parse_document(text, 1, &Default::default())
                .unwrap()
                .unwrap();
            let template = pod_template("Pod", &root).unwrap();
            let view = PodView::from_template(&template).unwrap();
            evaluator.evaluate(LevelVersion::new(level, Version::LATEST), &view)
        };
        assert!(evaluate(PSS_PASS, mamori_pss::Level::Restricted).allowed());
        for check in mamori_pss::DEFAULT_CHECKS {
            let info = rule(&format!("pss.{}", check.id)).unwrap();
            let result = evaluate(info.fail_example, check.level);
            let ids: Vec<&str> = result.violations.iter().map(|v| v.check_id).collect();
            assert_eq!(ids, [check.id], "{}", info.id);
        }
    }
}
