//! `PodView`: a lean typed view of exactly the pod fields Pod Security Admission reads, built once per
//! object and evaluated at any level/version without touching the document tree again.
//!
//! Go pointer fields become `Option`s; `null` counts as absent and `{}` as set (§4 conventions). A field PSA
//! reads that has the wrong type is a [`FieldError`] with its position and path, never a panic. Volumes get
//! Kubernetes' API defaulting (a volume without a source is `emptyDir`, `SetDefaults_Volume`), as the API
//! server applies it before admission (§6.4 rule 4).

use crate::template::{metadata_path_of, PodTemplate};
use mamori_model::{Entry, Node, Pos, Value};
use std::fmt;

/// A field PSA reads has the wrong type (e.g. `privileged: "yes"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub pos: Pos,
    /// Dotted path from the object root, e.g. `spec.template.spec.containers[1].securityContext.privileged`.
    pub field_path: String,
    /// E.g. `expected a boolean, found a string`.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field_path, self.message)
    }
}

impl std::error::Error for FieldError {}

/// A value with the position of the node it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) pos: Pos,
}

/// Which container list a container came from, in upstream's visiting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    InitContainers,
    Containers,
    EphemeralContainers,
}

impl ContainerList {
    const VISIT_ORDER: [ContainerList; 3] = [
        ContainerList::InitContainers,
        ContainerList::Containers,
        ContainerList::EphemeralContainers,
    ];

    /// The pod spec field name of the list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerList::InitContainers => "initContainers",
            ContainerList::Containers => "containers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }
}

/// A `type`-carrying profile (`seccompProfile`, `appArmorProfile`): set-ness, the type (Go zero value `""`
/// when absent) and where to point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileView {
    pub(crate) profile_type: String,
    /// Position of `type` if present, else of the profile map.
    pub(crate) pos: Pos,
    pub(crate) has_type: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeLinuxView {
    pub(crate) selinux_type: String,
    pub(crate) user: String,
    pub(crate) role: String,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CapabilitiesView {
    pub(crate) add: Vec<Spanned<String>>,
    pub(crate) drop: Vec<String>,
    pub(crate) pos: Pos,
}

/// The security-context fields PSA reads (pod-level or container-level; fields the level lacks stay None).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SecurityContextView {
    pub(crate) privileged: Option<Spanned<bool>>,
    pub(crate) allow_privilege_escalation: Option<Spanned<bool>>,
    pub(crate) run_as_non_root: Option<Spanned<bool>>,
    pub(crate) run_as_user: Option<Spanned<i64>>,
    pub(crate) proc_mount: Option<Spanned<String>>,
    pub(crate) host_process: Option<Spanned<bool>>,
    pub(crate) seccomp_profile: Option<ProfileView>,
    pub(crate) apparmor_profile: Option<ProfileView>,
    pub(crate) selinux_options: Option<SeLinuxView>,
    pub(crate) capabilities: Option<CapabilitiesView>,
}

/// A probe or lifecycle handler host (non-empty only).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostRef {
    pub(crate) host: String,
    pub(crate) pos: Pos,
    /// Path below the container, e.g. `livenessProbe.httpGet.host`.
    pub(crate) suffix: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContainerView {
    pub(crate) name: String,
    pub(crate) list: ContainerList,
    pub(crate) index: usize,
    pub(crate) pos: Pos,
    pub(crate) security_context: Option<SecurityContextView>,
    /// Non-zero `ports[*].hostPort` values with the index of their port.
    pub(crate) host_ports: Vec<(usize, Spanned<i32>)>,
    pub(crate) probe_hosts: Vec<HostRef>,
}

impl ContainerView {
    /// `<spec_path>.<list>[<index>]` plus an optional dotted suffix.
    pub(crate) fn path(&self, spec_path: &str, suffix: &str) -> String {
        if suffix.is_empty() {
            format!("{spec_path}.{}[{}]", self.list.field(), self.index)
        } else {
            format!("{spec_path}.{}[{}].{suffix}", self.list.field(), self.index)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VolumeView {
    pub(crate) name: String,
    pub(crate) index: usize,
    pub(crate) pos: Pos,
    /// Position of the `hostPath` field when set.
    pub(crate) host_path: Option<Pos>,
    /// The first set source restricted allows (`emptyDir` after defaulting a source-less volume).
    pub(crate) allowed_source: Option<&'static str>,
    /// The first set source restricted forbids, in upstream's reporting order, with its position.
    pub(crate) restricted_source: Option<(&'static str, Pos)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AnnotationView {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) pos: Pos,
}

/// How to build a [`PodView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewOptions {
    /// Apply Kubernetes volume defaulting (a volume with no source becomes `emptyDir`). On by default, as the
    /// API server does it before admission; off reproduces the pure PSA check (`unknown` volume type).
    pub default_volumes: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            default_volumes: true,
        }
    }
}

/// The pod fields PSA reads, typed, with positions. Build once with [`PodView::from_template`]; evaluate at
/// any level/version with [`crate::Evaluator::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct PodView {
    pub(crate) spec_path: &'static str,
    pub(crate) spec_pos: Pos,
    pub(crate) host_network: Option<Spanned<bool>>,
    pub(crate) host_pid: Option<Spanned<bool>>,
    pub(crate) host_ipc: Option<Spanned<bool>>,
    pub(crate) host_users: Option<Spanned<bool>>,
    /// `spec.os` is set and `spec.os.name == "windows"`.
    pub(crate) windows: bool,
    pub(crate) pod_security_context: Option<SecurityContextView>,
    pub(crate) sysctls: Vec<Spanned<String>>,
    pub(crate) containers: Vec<ContainerView>,
    pub(crate) volumes: Vec<VolumeView>,
    /// `container.apparmor.security.beta.kubernetes.io/*` annotations, source order, last duplicate wins.
    pub(crate) apparmor_annotations: Vec<AnnotationView>,
    /// `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp.security.alpha.kubernetes.io/*`.
    pub(crate) seccomp_annotations: Vec<AnnotationView>,
    /// Whether checks build the field paths of their evidence ([`PodView::without_evidence`]).
    pub(crate) evidence: bool,
}

pub(crate) const APPARMOR_ANNOTATION_PREFIX: &str =
    "container.apparmor.security.beta.kubernetes.io/";
pub(crate) const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str =
    "container.seccomp.security.alpha.kubernetes.io/";

/// Volume sources restricted allows (`check_restrictedVolumes.go`).
pub(crate) const ALLOWED_VOLUME_SOURCES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Volume sources restricted forbids, in the order upstream picks the reported type.
pub(crate) const RESTRICTED_VOLUME_SOURCES: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

impl PodView {
    /// Builds the view with Kubernetes volume defaulting applied.
    pub fn from_template(template: &PodTemplate) -> Result<PodView, FieldError> {
        PodView::from_template_with(template, ViewOptions::default())
    }

    /// Builds the view with explicit options.
    pub fn from_template_with(
        template: &PodTemplate,
        options: ViewOptions,
    ) -> Result<PodView, FieldError> {
        let spec_root = FieldPath::root(template.spec_path);
        let spec = template.spec;
        let spec_entries = map_or_empty(spec, &spec_root)?;

        let mut view = PodView::empty(template.spec_path, spec.pos);
        view.host_network = opt_bool(spec_entries, "hostNetwork", &spec_root)?;
        view.host_pid = opt_bool(spec_entries, "hostPID", &spec_root)?;
        view.host_ipc = opt_bool(spec_entries, "hostIPC", &spec_root)?;
        view.host_users = opt_bool(spec_entries, "hostUsers", &spec_root)?;

        if let Some(os) = child(spec_entries, "os") {
            let os_path = spec_root.key("os");
            let os_entries = expect_map(os, &os_path)?;
            let name = opt_string(os_entries, "name", &os_path)?;
            view.windows = name.is_some_and(|n| n.value == "windows");
        }

        if let Some(sc) = child(spec_entries, "securityContext") {
            let sc_path = spec_root.key("securityContext");
            let sc_entries = expect_map(sc, &sc_path)?;
            view.pod_security_context =
                Some(read_security_context(sc_entries, &sc_path, Scope::Pod)?);
            if let Some(sysctls) = child(sc_entries, "sysctls") {
                let sysctls_path = sc_path.key("sysctls");
                for (index, item) in expect_seq(sysctls, &sysctls_path)?.iter().enumerate() {
                    let item_path = sysctls_path.index(index);
                    let item_entries = expect_map(item, &item_path)?;
                    let name = opt_string(item_entries, "name", &item_path)?.unwrap_or(Spanned {
                        value: String::new(),
                        pos: item.pos,
                    });
                    view.sysctls.push(name);
                }
            }
        }

        for list in ContainerList::VISIT_ORDER {
            let Some(items) = child(spec_entries, list.field()) else {
                continue;
            };
            let list_path = spec_root.key(list.field());
            for (index, item) in expect_seq(items, &list_path)?.iter().enumerate() {
                let item_path = list_path.index(index);
                view.containers
                    .push(read_container(item, list, index, &item_path)?);
            }
        }

        if let Some(volumes) = child(spec_entries, "volumes") {
            let volumes_path = spec_root.key("volumes");
            for (index, item) in expect_seq(volumes, &volumes_path)?.iter().enumerate() {
                let item_path = volumes_path.index(index);
                view.volumes
                    .push(read_volume(item, index, &item_path, options)?);
            }
        }

        if let Some(metadata) = template.metadata.filter(|m| !m.is_null()) {
            let metadata_path = metadata_path_of(template.spec_path);
            let metadata_root = FieldPath::root(&metadata_path);
            let metadata_entries = expect_map(metadata, &metadata_root)?;
            if let Some(annotations) = child(metadata_entries, "annotations") {
                let annotations_path = metadata_root.key("annotations");
                read_annotations(
                    expect_map(annotations, &annotations_path)?,
                    &annotations_path,
                    &mut view,
                )?;
            }
        }
        Ok(view)
    }

    /// The view of an empty pod spec at `spec_path`, which the readers then fill in.
    pub(crate) fn empty(spec_path: &'static str, spec_pos: Pos) -> PodView {
        PodView {
            spec_path,
            spec_pos,
            host_network: None,
            host_pid: None,
            host_ipc: None,
            host_users: None,
            windows: false,
            pod_security_context: None,
            sysctls: Vec::new(),
            containers: Vec::new(),
            volumes: Vec::new(),
            apparmor_annotations: Vec::new(),
            seccomp_annotations: Vec::new(),
            evidence: true,
        }
    }

    /// The view for a caller that needs verdicts and messages only (admission): checks then leave the field
    /// paths of their evidence empty instead of formatting them. Verdicts, reasons and details are unchanged.
    pub fn without_evidence(mut self) -> PodView {
        self.evidence = false;
        self
    }

    /// The dotted path of the pod spec this view was built from.
    pub fn spec_path(&self) -> &'static str {
        self.spec_path
    }

    /// Names of all containers in visiting order (init, regular, ephemeral).
    pub fn container_names(&self) -> impl Iterator<Item = &str> {
        self.containers.iter().map(|c| c.name.as_str())
    }

    pub(crate) fn metadata_path(&self) -> String {
        metadata_path_of(self.spec_path)
    }

    /// `<spec_path>.<suffix>`.
    pub(crate) fn spec_field(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.spec_path)
    }

    /// True when `spec.hostUsers` is set and false (a user-namespace pod).
    pub(crate) fn user_namespaced(&self) -> bool {
        matches!(self.host_users, Some(Spanned { value: false, .. }))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Pod,
    Container,
}

fn read_security_context(
    entries: &[Entry],
    path: &FieldPath,
    scope: Scope,
) -> Result<SecurityContextView, FieldError> {
    let mut sc = SecurityContextView {
        run_as_non_root: opt_bool(entries, "runAsNonRoot", path)?,
        run_as_user: opt_i64(entries, "runAsUser", path)?,
        seccomp_profile: read_profile(entries, "seccompProfile", path)?,
        apparmor_profile: read_profile(entries, "appArmorProfile", path)?,
        ..SecurityContextView::default()
    };
    if let Some(selinux) = child(entries, "seLinuxOptions") {
        let selinux_path = path.key("seLinuxOptions");
        let selinux_entries = expect_map(selinux, &selinux_path)?;
        let text = |key: &str| -> Result<String, FieldError> {
            Ok(opt_string(selinux_entries, key, &selinux_path)?
                .map(|s| s.value)
                .unwrap_or_default())
        };
        sc.selinux_options = Some(SeLinuxView {
            selinux_type: text("type")?,
            user: text("user")?,
            role: text("role")?,
            pos: selinux.pos,
        });
    }
    if let Some(windows) = child(entries, "windowsOptions") {
        let windows_path = path.key("windowsOptions");
        let windows_entries = expect_map(windows, &windows_path)?;
        sc.host_process = opt_bool(windows_entries, "hostProcess", &windows_path)?;
    }
    if scope == Scope::Container {
        sc.privileged = opt_bool(entries, "privileged", path)?;
        sc.allow_privilege_escalation = opt_bool(entries, "allowPrivilegeEscalation", path)?;
        sc.proc_mount = opt_string(entries, "procMount", path)?;
        if let Some(caps) = child(entries, "capabilities") {
            let caps_path = path.key("capabilities");
            let caps_entries = expect_map(caps, &caps_path)?;
            let add = string_list(caps_entries, "add", &caps_path)?;
            let drop = string_list(caps_entries, "drop", &caps_path)?
                .into_iter()
                .map(|s| s.value)
                .collect();
            sc.capabilities = Some(CapabilitiesView {
                add,
                drop,
                pos: caps.pos,
            });
        }
    }
    Ok(sc)
}

fn read_profile(
    entries: &[Entry],
    key: &'static str,
    path: &FieldPath,
) -> Result<Option<ProfileView>, FieldError> {
    let Some(profile) = child(entries, key) else {
        return Ok(None);
    };
    let profile_path = path.key(key);
    let profile_entries = expect_map(profile, &profile_path)?;
    Ok(Some(
        match opt_string(profile_entries, "type", &profile_path)? {
            Some(t) => ProfileView {
                profile_type: t.value,
                pos: t.pos,
                has_type: true,
            },
            None => ProfileView {
                profile_type: String::new(),
                pos: profile.pos,
                has_type: false,
            },
        },
    ))
}

fn read_container(
    node: &Node,
    list: ContainerList,
    index: usize,
    path: &FieldPath,
) -> Result<ContainerView, FieldError> {
    let entries = expect_map(node, path)?;
    let name = opt_string(entries, "name", path)?
        .map(|s| s.value)
        .unwrap_or_default();
    let security_context = match child(entries, "securityContext") {
        Some(sc) => {
            let sc_path = path.key("securityContext");
            Some(read_security_context(
                expect_map(sc, &sc_path)?,
                &sc_path,
                Scope::Container,
            )?)
        }
        None => None,
    };
    let mut host_ports = Vec::new();
    if let Some(ports) = child(entries, "ports") {
        let ports_path = path.key("ports");
        for (port_index, port) in expect_seq(ports, &ports_path)?.iter().enumerate() {
            let port_path = ports_path.index(port_index);
            let port_entries = expect_map(port, &port_path)?;
            if let Some(host_port) = opt_i64(port_entries, "hostPort", &port_path)? {
                let value = i32::try_from(host_port.value).map_err(|_| {
                    field_error(
                        host_port.pos,
                        &port_path.key("hostPort"),
                        "expected a 32-bit integer, found an out-of-range integer",
                    )
                })?;
                if value != 0 {
                    host_ports.push((
                        port_index,
                        Spanned {
                            value,
                            pos: host_port.pos,
                        },
                    ));
                }
            }
        }
    }
    let mut probe_hosts = Vec::new();
    for (probe_key, http_suffix, tcp_suffix) in [
        (
            "livenessProbe",
            "livenessProbe.httpGet.host",
            "livenessProbe.tcpSocket.host",
        ),
        (
            "readinessProbe",
            "readinessProbe.httpGet.host",
            "readinessProbe.tcpSocket.host",
        ),
        (
            "startupProbe",
            "startupProbe.httpGet.host",
            "startupProbe.tcpSocket.host",
        ),
    ] {
        if let Some(probe) = child(entries, probe_key) {
            let probe_path = path.key(probe_key);
            read_handler_hosts(
                expect_map(probe, &probe_path)?,
                &probe_path,
                (http_suffix, tcp_suffix),
                &mut probe_hosts,
            )?;
        }
    }
    if let Some(lifecycle) = child(entries, "lifecycle") {
        let lifecycle_path = path.key("lifecycle");
        let lifecycle_entries = expect_map(lifecycle, &lifecycle_path)?;
        for (handler_key, http_suffix, tcp_suffix) in [
            (
                "postStart",
                "lifecycle.postStart.httpGet.host",
                "lifecycle.postStart.tcpSocket.host",
            ),
            (
                "preStop",
                "lifecycle.preStop.httpGet.host",
                "lifecycle.preStop.tcpSocket.host",
            ),
        ] {
            if let Some(handler) = child(lifecycle_entries, handler_key) {
                let handler_path = lifecycle_path.key(handler_key);
                read_handler_hosts(
                    expect_map(handler, &handler_path)?,
                    &handler_path,
                    (http_suffix, tcp_suffix),
                    &mut probe_hosts,
                )?;
            }
        }
    }
    Ok(ContainerView {
        name,
        list,
        index,
        pos: node.pos,
        security_context,
        host_ports,
        probe_hosts,
    })
}

/// Collects the non-empty `httpGet.host` / `tcpSocket.host` of a probe or lifecycle handler.
fn read_handler_hosts(
    entries: &[Entry],
    path: &FieldPath,
    (http_suffix, tcp_suffix): (&'static str, &'static str),
    out: &mut Vec<HostRef>,
) -> Result<(), FieldError> {
    for (action, suffix) in [("httpGet", http_suffix), ("tcpSocket", tcp_suffix)] {
        if let Some(action_node) = child(entries, action) {
            let action_path = path.key(action);
            let action_entries = expect_map(action_node, &action_path)?;
            if let Some(host) = opt_string(action_entries, "host", &action_path)? {
                if !host.value.is_empty() {
                    out.push(HostRef {
                        host: host.value,
                        pos: host.pos,
                        suffix,
                    });
                }
            }
        }
    }
    Ok(())
}

fn read_volume(
    node: &Node,
    index: usize,
    path: &FieldPath,
    options: ViewOptions,
) -> Result<VolumeView, FieldError> {
    let entries = expect_map(node, path)?;
    let name = opt_string(entries, "name", path)?
        .map(|s| s.value)
        .unwrap_or_default();
    let source_set = |key: &str| -> Result<Option<Pos>, FieldError> {
        match child(entries, key) {
            Some(source) => {
                expect_map(source, &path.key(key))?;
                Ok(Some(source.pos))
            }
            None => Ok(None),
        }
    };
    let mut allowed_source = None;
    for key in ALLOWED_VOLUME_SOURCES {
        if source_set(key)?.is_some() && allowed_source.is_none() {
            allowed_source = Some(key);
        }
    }
    let mut restricted_source = None;
    for key in RESTRICTED_VOLUME_SOURCES {
        if let Some(pos) = source_set(key)? {
            if restricted_source.is_none() {
                restricted_source = Some((key, pos));
            }
        }
    }
    let host_path = match restricted_source {
        Some(("hostPath", pos)) => Some(pos),
        _ => None,
    };
    if options.default_volumes && allowed_source.is_none() && restricted_source.is_none() {
        allowed_source = Some("emptyDir");
    }
    Ok(VolumeView {
        name,
        index,
        pos: node.pos,
        host_path,
        allowed_source,
        restricted_source,
    })
}

fn read_annotations(
    entries: &[Entry],
    path: &FieldPath,
    view: &mut PodView,
) -> Result<(), FieldError> {
    for entry in entries {
        let key = entry.key.as_str();
        let target = if key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            &mut view.apparmor_annotations
        } else if key == SECCOMP_POD_ANNOTATION
            || key.starts_with(SECCOMP_CONTAINER_ANNOTATION_PREFIX)
        {
            &mut view.seccomp_annotations
        } else {
            continue;
        };
        // Go decodes a null map value to "".
        let value = match &entry.value.value {
            Value::Str(s) => s.clone(),
            Value::Null => String::new(),
            _ => return Err(wrong_type(&entry.value, &path.key(key), "a string")),
        };
        let annotation = AnnotationView {
            key: entry.key.clone(),
            value,
            pos: entry.key_pos,
        };
        // A Go map keeps the last duplicate.
        match target.iter_mut().find(|a| a.key == annotation.key) {
            Some(existing) => *existing = annotation,
            None => target.push(annotation),
        }
    }
    Ok(())
}

/// A dotted field path built lazily: segments live on the stack and are only rendered for an error.
#[derive(Clone, Copy)]
struct FieldPath<'p> {
    parent: Option<&'p FieldPath<'p>>,
    segment: Segment<'p>,
}

#[derive(Clone, Copy)]
enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'p> FieldPath<'p> {
    fn root(path: &'p str) -> FieldPath<'p> {
        FieldPath {
            parent: None,
            segment: Segment::Key(path),
        }
    }

    fn key(&'p self, key: &'p str) -> FieldPath<'p> {
        FieldPath {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    fn index(&'p self, index: usize) -> FieldPath<'p> {
        FieldPath {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut current = Some(self);
        while let Some(path) = current {
            segments.push(path.segment);
            current = path.parent;
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(index) => {
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

fn field_error(pos: Pos, path: &FieldPath, message: &str) -> FieldError {
    FieldError {
        pos,
        field_path: path.render(),
        message: message.to_owned(),
    }
}

fn wrong_type(node: &Node, path: &FieldPath, expected: &str) -> FieldError {
    let found = match node.value {
        Value::Int(_) => "an integer",
        Value::Null => "null",
        _ => match node.type_name() {
            "boolean" => "a boolean",
            "number" => "a number",
            "string" => "a string",
            "list" => "a list",
            "map" => "a map",
            other => other,
        },
    };
    FieldError {
        pos: node.pos,
        field_path: path.render(),
        message: format!("expected {expected}, found {found}"),
    }
}

/// The entry under `key`, unless absent or null.
fn child<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|e| e.key == key)
        .map(|e| &e.value)
        .filter(|n| !n.is_null())
}

fn expect_map<'n>(node: &'n Node, path: &FieldPath) -> Result<&'n [Entry], FieldError> {
    node.as_map().ok_or_else(|| wrong_type(node, path, "a map"))
}

/// A map, or no entries for null (an explicit `spec: null`).
fn map_or_empty<'n>(node: &'n Node, path: &FieldPath) -> Result<&'n [Entry], FieldError> {
    if node.is_null() {
        return Ok(&[]);
    }
    expect_map(node, path)
}

fn expect_seq<'n>(node: &'n Node, path: &FieldPath) -> Result<&'n [Node], FieldError> {
    node.as_seq()
        .ok_or_else(|| wrong_type(node, path, "a list"))
}

fn opt_bool(
    entries: &[Entry],
    key: &str,
    path: &FieldPath,
) -> Result<Option<Spanned<bool>>, FieldError> {
    child(entries, key)
        .map(|node| match node.as_bool() {
            Some(value) => Ok(Spanned {
                value,
                pos: node.pos,
            }),
            None => Err(wrong_type(node, &path.key(key), "a boolean")),
        })
        .transpose()
}

fn opt_i64(
    entries: &[Entry],
    key: &str,
    path: &FieldPath,
) -> Result<Option<Spanned<i64>>, FieldError> {
    child(entries, key)
        .map(|node| match node.as_i64() {
            Some(value) => Ok(Spanned {
                value,
                pos: node.pos,
            }),
            None => Err(wrong_type(node, &path.key(key), "an integer")),
        })
        .transpose()
}

fn opt_string(
    entries: &[Entry],
    key: &str,
    path: &FieldPath,
) -> Result<Option<Spanned<String>>, FieldError> {
    child(entries, key)
        .map(|node| match node.as_str() {
            Some(value) => Ok(Spanned {
                value: value.to_owned(),
                pos: node.pos,
            }),
            None => Err(wrong_type(node, &path.key(key), "a string")),
        })
        .transpose()
}

/// A list of strings (capabilities); null items decode to "" like Go.
fn string_list(
    entries: &[Entry],
    key: &str,
    path: &FieldPath,
) -> Result<Vec<Spanned<String>>, FieldError> {
    let Some(node) = child(entries, key) else {
        return Ok(Vec::new());
    };
    let list_path = path.key(key);
    let items = expect_seq(node, &list_path)?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let value = match &item.value {
            Value::Str(s) => s.clone(),
            Value::Null => String::new(),
            _ => return Err(wrong_type(item, &list_path.index(index), "a string")),
        };
        out.push(Spanned {
            value,
            pos: item.pos,
        });
    }
    Ok(out)
}
