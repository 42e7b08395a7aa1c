//! [`PodView`] read straight from an object's JSON text, without building its document tree first.
//!
//! Admission reads one object per request, and building a (pruned) tree of it only for [`PodView`] to read
//! a few dozen fields back out of it was the larger half of a review (docs/benchmarks.md). This reader walks
//! the JSON once with [`JsonScanner`], fills the view's fields as their keys go by and passes over everything
//! else with the scanner's validating skip.
//!
//! **Contract.** [`scan_pod_json`] returns:
//! - `None` when the scanner declines the text (invalid JSON, a duplicate key, anything outside its subset):
//!   the caller decodes the object the reference way, which words the error;
//! - `Some(None)` for valid JSON this reader does not take on: a field Pod Security reads has an unexpected
//!   type (a [`FieldError`] on the tree path, worded there), or the pod template is missing or is not an
//!   object. The caller builds the tree and [`PodView::from_template`] decides;
//! - `Some(Some(pod))` otherwise, and then `pod.view` equals what [`PodView::from_template`] builds from the
//!   tree of the same text, [`pod_template`](crate::pod_template) of the same kind
//!   (the parity tests in `tests/view_json.rs`), with default volume handling.

use crate::view::{
    AnnotationView, CapabilitiesView, ContainerList, ContainerView, HostRef, PodView, ProfileView,
    SeLinuxView, SecurityContextView, Spanned, VolumeView, ALLOWED_VOLUME_SOURCES,
    APPARMOR_ANNOTATION_PREFIX, RESTRICTED_VOLUME_SOURCES, SECCOMP_CONTAINER_ANNOTATION_PREFIX,
    SECCOMP_POD_ANNOTATION,
};
use mamori_model::{Pos, Value};
use mamori_yaml::json_scan::JsonScanner;

/// What Pod Security admission reads of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedPod {
    pub view: PodView,
    /// The pod spec's `runtimeClassName` when it is a string (for runtime-class exemptions).
    pub runtime_class: Option<String>,
    /// The object's own `kind` when it is a string.
    pub object_kind: Option<String>,
}

/// Reads the object under the scanner's cursor (whitespace, then the object) as an object of `kind`: see
/// the module documentation for what each outcome means. Kinds without a pod template give `Some(None)`.
pub fn scan_pod_json(scan: &mut JsonScanner<'_>, kind: &str) -> Option<Option<ScannedPod>> {
    let (template_path, spec_path): (&[&str], &'static str) = match kind {
        "Pod" => (&[], "spec"),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => (&["spec", "template"], "spec.template.spec"),
        "CronJob" => (
            &["spec", "jobTemplate", "spec", "template"],
            "spec.jobTemplate.spec.template.spec",
        ),
        "PodTemplate" => (&["template"], "template.spec"),
        _ => {
            scan.skip_value()?;
            return Some(None);
        }
    };
    let mut reader = Reader {
        scan,
        unusual: false,
        template_found: false,
        object_kind: None,
        runtime_class: None,
        view: PodView::empty(spec_path, Pos::UNKNOWN),
        lists: Default::default(),
    };
    if reader.scan.peek()? != b'{' {
        reader.scan.skip_value()?;
        return Some(None);
    }
    reader.along(template_path, true)?;
    if reader.unusual || !reader.template_found {
        return Some(None);
    }
    let [init, regular, ephemeral] = reader.lists;
    let mut containers = init;
    containers.extend(regular);
    containers.extend(ephemeral);
    reader.view.containers = containers;
    Some(Some(ScannedPod {
        view: reader.view,
        runtime_class: reader.runtime_class,
        object_kind: reader.object_kind,
    }))
}

/// The hosts a container view lists, in [`PodView::from_template`]'s order: the `httpGet` then the `tcpSocket`
/// host of `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle.postStart` and `lifecycle.preStop`.
const HOST_SUFFIXES: [[&str; 2]; 5] = [
    ["livenessProbe.httpGet.host", "livenessProbe.tcpSocket.host"],
    [
        "readinessProbe.httpGet.host",
        "readinessProbe.tcpSocket.host",
    ],
    ["startupProbe.httpGet.host", "startupProbe.tcpSocket.host"],
    [
        "lifecycle.postStart.httpGet.host",
        "lifecycle.postStart.tcpSocket.host",
    ],
    [
        "lifecycle.preStop.httpGet.host",
        "lifecycle.preStop.tcpSocket.host",
    ],
];

/// Which security context is read: container-only fields are not read (nor type-checked) at pod level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Pod,
    Container,
}

/// Every method returns `None` when the scanner declines the text (the whole read is abandoned) and sets
/// `unusual` (passing the value over) for valid JSON of a type the tree path would report as a
/// [`FieldError`].
struct Reader<'s, 'a> {
    scan: &'s mut JsonScanner<'a>,
    unusual: bool,
    template_found: bool,
    object_kind: Option<String>,
    runtime_class: Option<String>,
    view: PodView,
    /// Containers per list, joined in upstream's visiting order at the end.
    lists: [Vec<ContainerView>; 3],
}

impl<'a> Reader<'_, 'a> {
    /// Passes over a value of a type the tree path reports.
    fn unexpected(&mut self) -> Option<()> {
        self.unusual = true;
        self.scan.skip_value()
    }

    /// An object, its members handed to `member`; `null` is absent when `null_is_absent`, anything else is
    /// unexpected. `Some(true)` when it was an object.
    fn object(
        &mut self,
        null_is_absent: bool,
        mut member: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<bool> {
        match self.scan.peek()? {
            b'{' => {
                let mut object = self.scan.begin_object()?;
                while let Some(key) = self.scan.next_member(&mut object)? {
                    member(self, key)?;
                }
                Some(true)
            }
            b'n' if null_is_absent => self.scan.null().then_some(false),
            _ => self.unexpected().map(|()| false),
        }
    }

    /// An array (`null` is absent), its items handed to `item` with their index.
    fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<()> {
        match self.scan.peek()? {
            b'[' => {
                let mut array = self.scan.begin_array()?;
                let mut index = 0;
                while self.scan.next_item(&mut array)? {
                    item(self, index)?;
                    index += 1;
                }
                Some(())
            }
            b'n' => self.scan.null().then_some(()),
            _ => self.unexpected(),
        }
    }

    fn opt_bool(&mut self) -> Option<Option<Spanned<bool>>> {
        match self.scan.peek()? {
            b't' | b'f' => self.scan.boolean().map(|value| Some(spanned(value))),
            b'n' => self.scan.null().then_some(None),
            _ => self.unexpected().map(|()| None),
        }
    }

    fn opt_string(&mut self) -> Option<Option<Spanned<String>>> {
        match self.scan.peek()? {
            b'"' => self.scan.string().map(|s| Some(spanned(s.into_owned()))),
            b'n' => self.scan.null().then_some(None),
            _ => self.unexpected().map(|()| None),
        }
    }

    /// A string, or `""` for `null` (Go's decoding of a null list item or map value).
    fn string_or_empty(&mut self) -> Option<String> {
        match self.scan.peek()? {
            b'"' => self.scan.string().map(|s| s.into_owned()),
            b'n' => self.scan.null().then(String::new),
            _ => self.unexpected().map(|()| String::new()),
        }
    }

    fn opt_i64(&mut self) -> Option<Option<Spanned<i64>>> {
        match self.scan.peek()? {
            b'-' | b'0'..=b'9' => match self.scan.number_value()? {
                Value::Int(value) => Some(Some(spanned(value))),
                _ => {
                    self.unusual = true;
                    Some(None)
                }
            },
            b'n' => self.scan.null().then_some(None),
            _ => self.unexpected().map(|()| None),
        }
    }

    /// An object on the way to the pod template (`path` = the keys still to follow; empty = this is the
    /// template). Anything but an object along the way is left to the tree path.
    fn along(&mut self, path: &'static [&'static str], root: bool) -> Option<()> {
        let is_object = self.object(false, |reader, key| {
            if root && key == "kind" {
                reader.object_kind = match reader.scan.peek()? {
                    b'"' => Some(reader.scan.string()?.into_owned()),
                    _ => {
                        reader.scan.skip_value()?;
                        None
                    }
                };
                return Some(());
            }
            match path.split_first() {
                Some((next, rest)) if *next == key => reader.along(rest, false),
                Some(_) => reader.scan.skip_value(),
                None => match key {
                    "metadata" => reader.template_metadata(),
                    "spec" => reader.pod_spec(),
                    _ => reader.scan.skip_value(),
                },
            }
        })?;
        if is_object && path.is_empty() {
            self.template_found = true;
        }
        Some(())
    }

    fn template_metadata(&mut self) -> Option<()> {
        self.object(true, |reader, key| match key {
            "annotations" => reader.annotations(),
            _ => reader.scan.skip_value(),
        })
        .map(drop)
    }

    fn annotations(&mut self) -> Option<()> {
        self.object(true, |reader, key| {
            let apparmor = key.starts_with(APPARMOR_ANNOTATION_PREFIX);
            let seccomp = key == SECCOMP_POD_ANNOTATION
                || key.starts_with(SECCOMP_CONTAINER_ANNOTATION_PREFIX);
            if !apparmor && !seccomp {
                return reader.scan.skip_value();
            }
            let value = reader.string_or_empty()?;
            let annotation = AnnotationView {
                key: key.to_owned(),
                value,
                pos: Pos::UNKNOWN,
            };
            if apparmor {
                reader.view.apparmor_annotations.push(annotation);
            } else {
                reader.view.seccomp_annotations.push(annotation);
            }
            Some(())
        })
        .map(drop)
    }

    fn pod_spec(&mut self) -> Option<()> {
        self.object(true, |reader, key| match key {
            "hostNetwork" => {
                reader.view.host_network = reader.opt_bool()?;
                Some(())
            }
            "hostPID" => {
                reader.view.host_pid = reader.opt_bool()?;
                Some(())
            }
            "hostIPC" => {
                reader.view.host_ipc = reader.opt_bool()?;
                Some(())
            }
            "hostUsers" => {
                reader.view.host_users = reader.opt_bool()?;
                Some(())
            }
            "runtimeClassName" => {
                reader.runtime_class = match reader.scan.peek()? {
                    b'"' => Some(reader.scan.string()?.into_owned()),
                    _ => {
                        reader.scan.skip_value()?;
                        None
                    }
                };
                Some(())
            }
            "os" => reader
                .object(true, |reader, key| match key {
                    "name" => {
                        reader.view.windows =
                            reader.opt_string()?.is_some_and(|n| n.value == "windows");
                        Some(())
                    }
                    _ => reader.scan.skip_value(),
                })
                .map(drop),
            "securityContext" => {
                let mut sc = SecurityContextView::default();
                let mut sysctls = Vec::new();
                let set = reader.object(true, |reader, key| match key {
                    "sysctls" => reader.array(|reader, _| {
                        let mut name = None;
                        let is_object = reader.object(false, |reader, key| match key {
                            "name" => {
                                name = reader.opt_string()?;
                                Some(())
                            }
                            _ => reader.scan.skip_value(),
                        })?;
                        if is_object {
                            sysctls.push(name.unwrap_or_else(|| spanned(String::new())));
                        }
                        Some(())
                    }),
                    _ => reader.security_context_member(&mut sc, key, Scope::Pod),
                })?;
                if set {
                    reader.view.pod_security_context = Some(sc);
                    reader.view.sysctls = sysctls;
                }
                Some(())
            }
            "initContainers" => reader.containers(ContainerList::InitContainers),
            "containers" => reader.containers(ContainerList::Containers),
            "ephemeralContainers" => reader.containers(ContainerList::EphemeralContainers),
            "volumes" => reader.array(|reader, index| reader.volume(index)),
            _ => reader.scan.skip_value(),
        })
        .map(drop)
    }

    fn security_context_member(
        &mut self,
        sc: &mut SecurityContextView,
        key: &str,
        scope: Scope,
    ) -> Option<()> {
        match (key, scope) {
            ("runAsNonRoot", _) => sc.run_as_non_root = self.opt_bool()?,
            ("runAsUser", _) => sc.run_as_user = self.opt_i64()?,
            ("seccompProfile", _) => sc.seccomp_profile = self.profile()?,
            ("appArmorProfile", _) => sc.apparmor_profile = self.profile()?,
            ("seLinuxOptions", _) => {
                let mut options = SeLinuxView {
                    selinux_type: String::new(),
                    user: String::new(),
                    role: String::new(),
                    pos: Pos::UNKNOWN,
                };
                let set = self.object(true, |reader, key| {
                    let field = match key {
                        "type" => &mut options.selinux_type,
                        "user" => &mut options.user,
                        "role" => &mut options.role,
                        _ => return reader.scan.skip_value(),
                    };
                    *field = reader.opt_string()?.map(|s| s.value).unwrap_or_default();
                    Some(())
                })?;
                sc.selinux_options = set.then_some(options);
            }
            ("windowsOptions", _) => {
                let mut host_process = None;
                self.object(true, |reader, key| match key {
                    "hostProcess" => {
                        host_process = reader.opt_bool()?;
                        Some(())
                    }
                    _ => reader.scan.skip_value(),
                })?;
                sc.host_process = host_process;
            }
            ("privileged", Scope::Container) => sc.privileged = self.opt_bool()?,
            ("allowPrivilegeEscalation", Scope::Container) => {
                sc.allow_privilege_escalation = self.opt_bool()?
            }
            ("procMount", Scope::Container) => sc.proc_mount = self.opt_string()?,
            ("capabilities", Scope::Container) => {
                let mut capabilities = CapabilitiesView {
                    add: Vec::new(),
                    drop: Vec::new(),
                    pos: Pos::UNKNOWN,
                };
                let set = self.object(true, |reader, key| match key {
                    "add" => reader.array(|reader, _| {
                        let value = reader.string_or_empty()?;
                        capabilities.add.push(spanned(value));
                        Some(())
                    }),
                    "drop" => reader.array(|reader, _| {
                        let value = reader.string_or_empty()?;
                        capabilities.drop.push(value);
                        Some(())
                    }),
                    _ => reader.scan.skip_value(),
                })?;
                sc.capabilities = set.then_some(capabilities);
            }
            _ => self.scan.skip_value()?,
        }
        Some(())
    }

    /// A `seccompProfile` or `appArmorProfile`.
    fn profile(&mut self) -> Option<Option<ProfileView>> {
        let mut profile_type = None;
        let set = self.object(true, |reader, key| match key {
            "type" => {
                profile_type = reader.opt_string()?;
                Some(())
            }
            _ => reader.scan.skip_value(),
        })?;
        Some(set.then(|| ProfileView {
            has_type: profile_type.is_some(),
            profile_type: profile_type.map(|t| t.value).unwrap_or_default(),
            pos: Pos::UNKNOWN,
        }))
    }

    fn containers(&mut self, list: ContainerList) -> Option<()> {
        let slot = match list {
            ContainerList::InitContainers => 0,
            ContainerList::Containers => 1,
            ContainerList::EphemeralContainers => 2,
        };
        // A list given twice is a duplicate key, which the scanner refuses; start afresh regardless.
        self.lists[slot].clear();
        self.array(|reader, index| {
            let container = reader.container(list, index)?;
            reader.lists[slot].extend(container);
            Some(())
        })
    }

    /// One container; `None` inside when it is not an object (the tree path reports it).
    fn container(&mut self, list: ContainerList, index: usize) -> Option<Option<ContainerView>> {
        let mut name = String::new();
        let mut security_context = None;
        let mut host_ports = Vec::new();
        let mut hosts: [[Option<String>; 2]; 5] = Default::default();
        let is_object = self.object(false, |reader, key| match key {
            "name" => {
                name = reader.opt_string()?.map(|s| s.value).unwrap_or_default();
                Some(())
            }
            "securityContext" => {
                let mut sc = SecurityContextView::default();
                let set = reader.object(true, |reader, key| {
                    reader.security_context_member(&mut sc, key, Scope::Container)
                })?;
                security_context = set.then_some(sc);
                Some(())
            }
            "ports" => reader.array(|reader, port_index| {
                let mut host_port = None;
                reader.object(false, |reader, key| match key {
                    "hostPort" => {
                        host_port = reader.opt_i64()?;
                        Some(())
                    }
                    _ => reader.scan.skip_value(),
                })?;
                if let Some(port) = host_port {
                    match i32::try_from(port.value) {
                        Ok(0) => {}
                        Ok(value) => host_ports.push((port_index, spanned(value))),
                        Err(_) => reader.unusual = true,
                    }
                }
                Some(())
            }),
            "livenessProbe" => reader.handler(&mut hosts[0]),
            "readinessProbe" => reader.handler(&mut hosts[1]),
            "startupProbe" => reader.handler(&mut hosts[2]),
            "lifecycle" => {
                let (post_start, pre_stop) = hosts[3..].split_at_mut(1);
                reader
                    .object(true, |reader, key| match key {
                        "postStart" => reader.handler(&mut post_start[0]),
                        "preStop" => reader.handler(&mut pre_stop[0]),
                        _ => reader.scan.skip_value(),
                    })
                    .map(drop)
            }
            _ => reader.scan.skip_value(),
        })?;
        let mut probe_hosts = Vec::new();
        for (handler, suffixes) in hosts.into_iter().zip(HOST_SUFFIXES) {
            for (host, suffix) in handler.into_iter().zip(suffixes) {
                if let Some(host) = host.filter(|h| !h.is_empty()) {
                    probe_hosts.push(HostRef {
                        host,
                        pos: Pos::UNKNOWN,
                        suffix,
                    });
                }
            }
        }
        Some(is_object.then_some(ContainerView {
            name,
            list,
            index,
            pos: Pos::UNKNOWN,
            security_context,
            host_ports,
            probe_hosts,
        }))
    }

    /// A probe or lifecycle handler: the hosts of its `httpGet` and `tcpSocket`.
    fn handler(&mut self, hosts: &mut [Option<String>; 2]) -> Option<()> {
        self.object(true, |reader, key| {
            let slot = match key {
                "httpGet" => 0,
                "tcpSocket" => 1,
                _ => return reader.scan.skip_value(),
            };
            let mut host = None;
            reader.object(true, |reader, key| match key {
                "host" => {
                    host = reader.opt_string()?.map(|s| s.value);
                    Some(())
                }
                _ => reader.scan.skip_value(),
            })?;
            hosts[slot] = host;
            Some(())
        })
        .map(drop)
    }

    /// One volume, with Kubernetes' defaulting (no source set → `emptyDir`).
    fn volume(&mut self, index: usize) -> Option<()> {
        let mut name = String::new();
        let mut allowed = usize::MAX;
        let mut restricted = usize::MAX;
        let is_object = self.object(false, |reader, key| {
            if key == "name" {
                name = reader.opt_string()?.map(|s| s.value).unwrap_or_default();
                return Some(());
            }
            let allowed_at = ALLOWED_VOLUME_SOURCES.iter().position(|s| *s == key);
            let restricted_at = RESTRICTED_VOLUME_SOURCES.iter().position(|s| *s == key);
            if allowed_at.is_none() && restricted_at.is_none() {
                return reader.scan.skip_value();
            }
            // Only whether a source is set is read; its contents are passed over.
            let set = reader.object(true, |reader, _| reader.scan.skip_value())?;
            if set {
                allowed = allowed.min(allowed_at.unwrap_or(usize::MAX));
                restricted = restricted.min(restricted_at.unwrap_or(usize::MAX));
            }
            Some(())
        })?;
        if !is_object {
            return Some(());
        }
        let mut allowed_source = ALLOWED_VOLUME_SOURCES.get(allowed).copied();
        let restricted_source = RESTRICTED_VOLUME_SOURCES
            .get(restricted)
            .map(|source| (*source, Pos::UNKNOWN));
        let host_path = match restricted_source {
            Some(("hostPath", pos)) => Some(pos),
            _ => None,
        };
        if allowed_source.is_none() && restricted_source.is_none() {
            allowed_source = Some("emptyDir");
        }
        self.view.volumes.push(VolumeView {
            name,
            index,
            pos: Pos::UNKNOWN,
            host_path,
            allowed_source,
            restricted_source,
        });
        Some(())
    }
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned {
        value,
        pos: Pos::UNKNOWN,
    }
}
