//! Command lines of the control-plane binaries, read the way the binaries read them, and the configuration
//! files those command lines point at.
//!
//! Parsing follows the flag libraries exactly:
//! - kube-apiserver, kube-controller-manager, kube-scheduler and the kubelet use spf13/pflag with Kubernetes'
//!   word-separator normalisation (`--anonymous_auth` is `--anonymous-auth`): `--flag=value`; `--flag value`
//!   (the next argument is consumed whatever it looks like, even `--other`) for non-bool flags; bool flags as
//!   `--flag` or `--flag=true|false` (a bool flag never consumes the next argument); `--` ends the flags;
//!   shorthands `-v 2`, `-v=2`, `-v2`. Repeated scalar flags: the last occurrence wins. Repeated stringSlice
//!   flags (`--enable-admission-plugins`, `--authorization-mode`, `--tls-cipher-suites`): pflag's
//!   `stringSliceValue.Set` replaces the default on the first occurrence and APPENDS on later ones; each value
//!   is one CSV record (Go `encoding/csv`: quotes allowed, spaces kept, `""` = empty list). `--feature-gates`
//!   merges `k=v` pairs across occurrences (later keys win), keys and values trimmed.
//! - etcd uses Go's standard `flag` package: `-flag` and `--flag` are the same, no name normalisation, bool
//!   flags never consume the next argument, and parsing STOPS at the first non-flag argument. etcd also reads
//!   `ETCD_<FLAG_NAME>` environment variables for flags not given on the command line.
//!
//! Bool parsing is Go's `strconv.ParseBool` (`1 t T TRUE true True 0 f F FALSE false False`). A flag the tables
//! below don't know is parsed leniently: `--x=v` is exact; `--x` takes the next argument as its value unless it
//! starts with `-` (control-plane binaries reject positional arguments, so a following bare word can only be
//! the unknown flag's value).
//!
//! Config files named by flags are matched against the scanned input by kind: the one object of that kind when
//! there is exactly one, otherwise the one whose source file has the flag's basename (see [`resolve_config`]).

use mamori_model::{K8sObject, Node, Pos};
use std::borrow::Cow;

/// Which flag library the binary uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagSyntax {
    /// spf13/pflag with Kubernetes' `_` → `-` name normalisation.
    Pflag,
    /// Go's standard `flag` package (etcd).
    GoFlag,
}

/// What the parser must know about a binary's flags.
#[derive(Debug, Clone, Copy)]
pub struct FlagSpec {
    pub syntax: FlagSyntax,
    /// Bool flags: present alone they mean `true`; they never take the next argument.
    pub bools: &'static [&'static str],
    /// Non-bool flags the rules read: they always take the next argument when no `=` is given.
    pub values: &'static [&'static str],
    /// pflag shorthand letters that take a value (`-v 2`); other shorthands are treated as bool.
    pub value_shorthands: &'static [u8],
}

/// klog's bool flags, registered on every Kubernetes component.
const KLOG_BOOLS: [&str; 6] = [
    "add-dir-header",
    "alsologtostderr",
    "logtostderr",
    "one-output",
    "skip-headers",
    "skip-log-headers",
];

macro_rules! with_klog {
    ($($name:literal),* $(,)?) => {
        &[$($name,)* KLOG_BOOLS[0], KLOG_BOOLS[1], KLOG_BOOLS[2], KLOG_BOOLS[3], KLOG_BOOLS[4], KLOG_BOOLS[5], "help"]
    };
}

/// kube-apiserver.
pub const APISERVER: FlagSpec = FlagSpec {
    syntax: FlagSyntax::Pflag,
    bools: with_klog!(
        "allow-privileged",
        "anonymous-auth",
        "audit-log-compress",
        "audit-log-batch-throttle-enable",
        "audit-log-truncate-enabled",
        "audit-webhook-batch-throttle-enable",
        "audit-webhook-truncate-enabled",
        "authentication-token-webhook-cache-authorized-ttl-unused",
        "contention-profiling",
        "debug-socket-path-unused",
        "enable-aggregator-routing",
        "enable-bootstrap-token-auth",
        "enable-garbage-collector",
        "enable-logs-handler",
        "enable-priority-and-fairness",
        "permit-address-sharing",
        "permit-port-sharing",
        "profiling",
        "service-account-extend-token-expiration",
        "service-account-lookup",
        "watch-cache",
    ),
    values: &[
        "admission-control",
        "audit-log-path",
        "audit-policy-file",
        "audit-webhook-config-file",
        "authentication-config",
        "authorization-config",
        "authorization-mode",
        "disable-admission-plugins",
        "enable-admission-plugins",
        "encryption-provider-config",
        "feature-gates",
        "kubelet-certificate-authority",
        "tls-cipher-suites",
        "tls-min-version",
        "token-auth-file",
    ],
    value_shorthands: b"v",
};

/// kube-controller-manager.
pub const CONTROLLER_MANAGER: FlagSpec = FlagSpec {
    syntax: FlagSyntax::Pflag,
    bools: with_klog!(
        "allocate-node-cidrs",
        "authentication-skip-lookup",
        "authentication-tolerate-lookup-failure",
        "configure-cloud-routes",
        "contention-profiling",
        "disable-attach-detach-reconcile-sync",
        "enable-dynamic-provisioning",
        "enable-garbage-collector",
        "enable-hostpath-provisioner",
        "enable-leader-migration",
        "leader-elect",
        "permit-address-sharing",
        "permit-port-sharing",
        "profiling",
        "use-service-account-credentials",
    ),
    values: &["feature-gates", "bind-address", "controllers"],
    value_shorthands: b"v",
};

/// kube-scheduler.
pub const SCHEDULER: FlagSpec = FlagSpec {
    syntax: FlagSyntax::Pflag,
    bools: with_klog!(
        "authentication-skip-lookup",
        "authentication-tolerate-lookup-failure",
        "contention-profiling",
        "leader-elect",
        "permit-address-sharing",
        "permit-port-sharing",
        "profiling",
    ),
    values: &["feature-gates", "bind-address", "config"],
    value_shorthands: b"v",
};

/// kubelet.
pub const KUBELET: FlagSpec = FlagSpec {
    syntax: FlagSyntax::Pflag,
    bools: with_klog!(
        "anonymous-auth",
        "authentication-token-webhook",
        "cgroups-per-qos",
        "enable-controller-attach-detach",
        "enable-debugging-handlers",
        "enable-server",
        "exit-on-lock-contention",
        "fail-cgroupv1",
        "fail-swap-on",
        "kernel-memcg-notification",
        "keep-terminated-pod-volumes",
        "local-storage-capacity-isolation",
        "make-iptables-util-chains",
        "protect-kernel-defaults",
        "register-node",
        "register-schedulable",
        "rotate-certificates",
        "rotate-server-certificates",
        "serialize-image-pulls",
    ),
    values: &[
        "authorization-mode",
        "config",
        "feature-gates",
        "read-only-port",
        "tls-cert-file",
    ],
    value_shorthands: b"v",
};

/// etcd (Go `flag`).
pub const ETCD: FlagSpec = FlagSpec {
    syntax: FlagSyntax::GoFlag,
    bools: &[
        "auto-tls",
        "client-cert-auth",
        "debug",
        "enable-grpc-gateway",
        "enable-pprof",
        "enable-v2",
        "experimental-enable-distributed-tracing",
        "experimental-enable-lease-checkpoint",
        "experimental-initial-corrupt-check",
        "experimental-memory-mlock",
        "experimental-peer-skip-client-san-verification",
        "force-new-cluster",
        "help",
        "peer-auto-tls",
        "peer-client-cert-auth",
        "pre-vote",
        "socket-reuse-address",
        "socket-reuse-port",
        "strict-reconfig-check",
        "unsafe-no-fsync",
        "version",
    ],
    values: &[
        "cert-file",
        "key-file",
        "trusted-ca-file",
        "peer-cert-file",
        "peer-key-file",
        "peer-trusted-ca-file",
        "config-file",
    ],
    value_shorthands: b"",
};

/// Where an argument sits in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgList {
    Command,
    Args,
}

/// One command-line argument with its source position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg<'a> {
    pub text: &'a str,
    pub pos: Pos,
    pub list: ArgList,
    /// Index inside `command` or `args`.
    pub index: usize,
}

impl<'a> Arg<'a> {
    /// A plain argument (tests, or command lines that did not come from a manifest).
    pub fn plain(text: &'a str, index: usize) -> Arg<'a> {
        Arg {
            text,
            pos: Pos::UNKNOWN,
            list: ArgList::Args,
            index,
        }
    }

    /// The field path of the argument under `container_path` (`spec.containers[0]`).
    pub fn field_path(&self, container_path: &str) -> String {
        let list = match self.list {
            ArgList::Command => "command",
            ArgList::Args => "args",
        };
        format!("{container_path}.{list}[{}]", self.index)
    }
}

/// One occurrence of a flag on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence<'a> {
    /// The name as written (without dashes and `=value`); compare with [`same_flag_name`].
    pub name: &'a str,
    /// The value text; `None` for a bool flag given alone (meaning `true`).
    pub value: Option<&'a str>,
    /// Index (into the parsed argument list) of the argument that names the flag.
    pub arg: usize,
    /// Index of the argument holding the value when it was a separate argument.
    pub value_arg: Option<usize>,
}

/// Something the binary itself would reject (it would not start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagProblem {
    pub arg: usize,
    pub message: String,
}

/// A parsed command line.
#[derive(Debug, Clone, Default)]
pub struct ParsedFlags<'a> {
    pub args: Vec<Arg<'a>>,
    pub occurrences: Vec<Occurrence<'a>>,
    /// Arguments that are not flags (after `--`, or where Go's `flag` stopped).
    pub positional: Vec<usize>,
    /// Index of the `--` that ended the flags.
    pub terminator: Option<usize>,
    pub problems: Vec<FlagProblem>,
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Flag-name equality after Kubernetes' normalisation (`_` and `-` are the same word separator).
pub fn same_flag_name(written: &str, wanted: &str) -> bool {
    written.len() == wanted.len()
        && written
            .bytes()
            .zip(wanted.bytes())
            .all(|(a, b)| a == b || (a == b'_' && b == b'-') || (a == b'-' && b == b'_'))
}

impl FlagSpec {
    fn name_matches(&self, written: &str, wanted: &str) -> bool {
        match self.syntax {
            FlagSyntax::Pflag => same_flag_name(written, wanted),
            FlagSyntax::GoFlag => written == wanted,
        }
    }

    fn is_bool(&self, name: &str) -> bool {
        self.bools.iter().any(|b| self.name_matches(name, b))
    }

    fn is_known_value(&self, name: &str) -> bool {
        self.values.iter().any(|b| self.name_matches(name, b))
    }
}

/// Parses a command line (the binary's own name already removed).
pub fn parse<'a>(args: Vec<Arg<'a>>, spec: &FlagSpec) -> ParsedFlags<'a> {
    let mut parsed = ParsedFlags {
        args,
        ..ParsedFlags::default()
    };
    let count = parsed.args.len();
    let mut i = 0;
    while i < count {
        let text = parsed.args.get(i).map_or("", |a| a.text);
        let next = i + 1;
        let bytes = text.as_bytes();
        let is_flag = bytes.len() >= 2 && bytes.first() == Some(&b'-');
        if !is_flag {
            parsed.positional.push(i);
            if spec.syntax == FlagSyntax::GoFlag {
                // Go's flag package stops at the first non-flag argument.
                parsed.positional.extend(next..count);
                break;
            }
            i = next;
            continue;
        }
        if text == "--" {
            parsed.terminator = Some(i);
            parsed.positional.extend(next..count);
            break;
        }
        let long = bytes.get(1) == Some(&b'-');
        if spec.syntax == FlagSyntax::Pflag && !long {
            i = parse_shorthand(&mut parsed, spec, i, text);
            continue;
        }
        let body = if long { &text[2..] } else { &text[1..] };
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            parsed.problems.push(FlagProblem {
                arg: i,
                message: format!("bad flag syntax: {text}"),
            });
            i = next;
            continue;
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        i = record_flag(&mut parsed, spec, i, name, inline);
    }
    parsed
}

/// Records `name` (from argument `i`); returns the index of the next argument to read.
fn record_flag<'a>(
    parsed: &mut ParsedFlags<'a>,
    spec: &FlagSpec,
    i: usize,
    name: &'a str,
    inline: Option<&'a str>,
) -> usize {
    let next = i + 1;
    if inline.is_some() || spec.is_bool(name) {
        parsed.occurrences.push(Occurrence {
            name,
            value: inline,
            arg: i,
            value_arg: None,
        });
        return next;
    }
    let following = parsed.args.get(next).map(|a| a.text);
    let known = spec.is_known_value(name);
    match following {
        Some(value) if known || !value.starts_with('-') => {
            parsed.occurrences.push(Occurrence {
                name,
                value: Some(value),
                arg: i,
                value_arg: Some(next),
            });
            next + 1
        }
        _ if known => {
            parsed.problems.push(FlagProblem {
                arg: i,
                message: format!("flag needs an argument: --{name}"),
            });
            next
        }
        _ => {
            // Unknown flag without a usable value: most likely an unlisted bool flag.
            parsed.occurrences.push(Occurrence {
                name,
                value: None,
                arg: i,
                value_arg: None,
            });
            next
        }
    }
}

/// pflag shorthands: `-v 2`, `-v=2`, `-v2`, and bool shorthand groups (`-h`).
fn parse_shorthand<'a>(
    parsed: &mut ParsedFlags<'a>,
    spec: &FlagSpec,
    i: usize,
    text: &'a str,
) -> usize {
    let next = i + 1;
    let shorts = &text[1..];
    let mut offset = 0;
    while offset < shorts.len() {
        let Some(letter) = shorts.get(offset..offset + 1) else {
            // A multi-byte character cannot be a shorthand.
            parsed.problems.push(FlagProblem {
                arg: i,
                message: format!("unknown shorthand flag in {text}"),
            });
            return next;
        };
        let rest = &shorts[offset + 1..];
        if !spec.value_shorthands.contains(&letter.as_bytes()[0]) {
            parsed.occurrences.push(Occurrence {
                name: letter,
                value: None,
                arg: i,
                value_arg: None,
            });
            offset += 1;
            continue;
        }
        if let Some(value) = rest.strip_prefix('=') {
            if !value.is_empty() {
                parsed.occurrences.push(Occurrence {
                    name: letter,
                    value: Some(value),
                    arg: i,
                    value_arg: None,
                });
                return next;
            }
        }
        if !rest.is_empty() {
            parsed.occurrences.push(Occurrence {
                name: letter,
                value: Some(rest),
                arg: i,
                value_arg: None,
            });
            return next;
        }
        return match parsed.args.get(next).map(|a| a.text) {
            Some(value) => {
                parsed.occurrences.push(Occurrence {
                    name: letter,
                    value: Some(value),
                    arg: i,
                    value_arg: Some(next),
                });
                next + 1
            }
            None => {
                parsed.problems.push(FlagProblem {
                    arg: i,
                    message: format!("flag needs an argument: {letter:?} in {text}"),
                });
                next
            }
        };
    }
    next
}

/// A bool flag's effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolFlag<'p, 'a> {
    /// Not on the command line.
    Unset,
    /// Set (last occurrence wins).
    Set(bool, &'p Occurrence<'a>),
    /// The last occurrence is not a Go bool: the binary refuses to start.
    Invalid(&'p Occurrence<'a>),
}

/// One item of a list flag, with the occurrence it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem<'p, 'a> {
    pub value: Cow<'a, str>,
    pub occurrence: &'p Occurrence<'a>,
}

impl<'a> ParsedFlags<'a> {
    /// Every occurrence of `name` (normalised), in order.
    pub fn all<'p>(&'p self, name: &'p str) -> impl Iterator<Item = &'p Occurrence<'a>> + 'p {
        self.occurrences
            .iter()
            .filter(move |o| same_flag_name(o.name, name))
    }

    /// The last occurrence of `name`: the effective one for scalar flags.
    pub fn last(&self, name: &str) -> Option<&Occurrence<'a>> {
        self.occurrences
            .iter()
            .rev()
            .find(|o| same_flag_name(o.name, name))
    }

    /// Whether `name` is on the command line.
    pub fn has(&self, name: &str) -> bool {
        self.last(name).is_some()
    }

    /// A scalar flag's value (last occurrence wins); `Some("")` for `--flag=`.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.last(name).and_then(|o| o.value)
    }

    /// A bool flag's effective value.
    pub fn bool_flag<'p>(&'p self, name: &str) -> BoolFlag<'p, 'a> {
        match self.last(name) {
            None => BoolFlag::Unset,
            Some(o) => match o.value {
                None => BoolFlag::Set(true, o),
                Some(text) => {
                    parse_go_bool(text).map_or(BoolFlag::Invalid(o), |b| BoolFlag::Set(b, o))
                }
            },
        }
    }

    /// A pflag stringSlice flag: the items of every occurrence appended in order (`None` when not given).
    /// An occurrence whose value is not a valid CSV record makes the binary refuse to start: `Err` names it.
    #[allow(clippy::type_complexity)]
    pub fn list<'p>(
        &'p self,
        name: &str,
    ) -> Option<Result<Vec<ListItem<'p, 'a>>, &'p Occurrence<'a>>> {
        let mut items = Vec::new();
        let mut seen = false;
        for occurrence in self
            .occurrences
            .iter()
            .filter(|o| same_flag_name(o.name, name))
        {
            seen = true;
            let Ok(record) = read_csv_record(occurrence.value.unwrap_or("")) else {
                return Some(Err(occurrence));
            };
            items.extend(
                record
                    .into_iter()
                    .map(|value| ListItem { value, occurrence }),
            );
        }
        seen.then_some(Ok(items))
    }

    /// The effective value of one feature gate in `--feature-gates` (pairs merged across occurrences, the
    /// later assignment wins). `None` when the gate is not mentioned or its value is not a bool.
    pub fn feature_gate(&self, gate: &str) -> Option<(bool, &Occurrence<'a>)> {
        let mut found = None;
        for occurrence in self.all("feature-gates") {
            for pair in occurrence.value.unwrap_or("").split(',') {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                if key.trim() == gate {
                    found = parse_go_bool(value.trim()).map(|b| (b, occurrence));
                }
            }
        }
        found
    }

    /// The argument carrying an occurrence's value (the flag argument itself for `--flag=value`).
    pub fn value_arg(&self, occurrence: &Occurrence<'a>) -> Option<&Arg<'a>> {
        self.args
            .get(occurrence.value_arg.unwrap_or(occurrence.arg))
    }
}

/// Reads one record the way Go's `encoding/csv` `Reader.Read` does with default options (comma separator,
/// quotes, no space trimming, `""` inside quotes = one quote, only the first line). An empty value is an empty
/// list (pflag's `readAsCSV`).
pub fn read_csv_record(value: &str) -> Result<Vec<Cow<'_, str>>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    // encoding/csv skips empty lines before the record and reads only the first record.
    let start = value.len() - value.trim_start_matches(['\n', '\r']).len();
    let text = &value[start..];
    if text.is_empty() {
        return Err("EOF".to_owned());
    }
    let mut fields = Vec::new();
    let mut rest = text;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let mut after = None;
            while let Some((at, c)) = chars.next() {
                if c == '"' {
                    if quoted[at + 1..].starts_with('"') {
                        field.push('"');
                        chars.next();
                    } else {
                        after = Some(&quoted[at + 1..]);
                        break;
                    }
                } else {
                    field.push(c);
                }
            }
            let Some(after) = after else {
                return Err(format!("extraneous or missing \" in quoted-field: {value}"));
            };
            fields.push(Cow::Owned(field));
            if let Some(more) = after.strip_prefix(',') {
                rest = more;
                continue;
            }
            if after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n") {
                return Ok(fields);
            }
            return Err(format!("extraneous or missing \" in quoted-field: {value}"));
        }
        let end = rest.find([',', '\n']).unwrap_or(rest.len());
        let field = rest[..end]
            .strip_suffix('\r')
            .filter(|_| rest[end..].starts_with('\n'));
        let field = field.unwrap_or(&rest[..end]);
        if field.contains('"') {
            return Err(format!("bare \" in non-quoted-field: {value}"));
        }
        fields.push(Cow::Borrowed(field));
        match rest[end..].strip_prefix(',') {
            Some(more) => rest = more,
            None => return Ok(fields),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Control-plane components in manifests.

/// A control-plane binary mamori audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
    Kubelet,
}

impl Component {
    /// The binary name (and kubeadm's `component` label value).
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Kubelet => "kubelet",
        }
    }

    /// How the binary parses its flags.
    pub fn spec(self) -> &'static FlagSpec {
        match self {
            Component::ApiServer => &APISERVER,
            Component::ControllerManager => &CONTROLLER_MANAGER,
            Component::Scheduler => &SCHEDULER,
            Component::Etcd => &ETCD,
            Component::Kubelet => &KUBELET,
        }
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A container running a control-plane component, with its parsed command line.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub object: &'a K8sObject,
    pub container: &'a Node,
    /// `spec.containers[0]`.
    pub container_path: String,
    pub flags: ParsedFlags<'a>,
}

impl<'a> Invocation<'a> {
    /// Position and field path of an occurrence's value (or of the flag when it has none).
    pub fn locate(&self, occurrence: &Occurrence<'a>) -> (Pos, String) {
        match self.flags.value_arg(occurrence) {
            Some(arg) => (arg.pos, arg.field_path(&self.container_path)),
            None => (self.object.source.pos, self.container_path.clone()),
        }
    }

    /// Where to point when a required flag is missing: the container's `command` (or `args`) list.
    pub fn locate_missing(&self) -> (Pos, String) {
        for key in ["command", "args"] {
            if let Some(entry) = self.container.entry(key) {
                return (entry.key_pos, format!("{}.{key}", self.container_path));
            }
        }
        (self.container.pos, self.container_path.clone())
    }

    /// A literal `env` value of the container (etcd reads `ETCD_*` variables for flags not on the command line).
    pub fn env(&self, name: &str) -> Option<(&'a str, Pos, String)> {
        let items = self.container.get("env").and_then(Node::as_seq)?;
        items.iter().enumerate().rev().find_map(|(i, item)| {
            (item.get("name").and_then(Node::as_str) == Some(name)).then_some(())?;
            let value = item.get("value")?;
            Some((
                value.as_str()?,
                value.pos,
                format!("{}.env[{i}].value", self.container_path),
            ))
        })
    }
}

/// The container's binary name when `command[0]` (or `hyperkube <component>`) names one we know.
fn command_component(container: &Node) -> Option<(Component, usize)> {
    let command = container.get("command").and_then(Node::as_seq)?;
    let first = basename(command.first()?.as_str()?);
    let (name, skip) = if first == "hyperkube" {
        (command.get(1)?.as_str()?, 2)
    } else {
        (first, 1)
    };
    let component = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
        Component::Kubelet,
    ]
    .into_iter()
    .find(|c| c.binary() == name)?;
    Some((component, skip))
}

/// The `keep` predicate of the controlplane inventory rules: every object of their other kinds (configuration
/// files), but of the Pods only those running a control-plane component or the kubelet.
pub fn keep_component_pods(object: &K8sObject, _settings: &crate::RuleSettings) -> bool {
    if object.id.kind != "Pod" {
        return true;
    }
    [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
        Component::Kubelet,
    ]
    .into_iter()
    .any(|c| !invocations(object, c).is_empty())
}

/// The containers of a Pod that run `component`: `command[0]`'s basename is the binary (kubeadm's static pods),
/// or the Pod carries the label `component: <binary>` and the container, named after the binary or the only
/// one, has no `command` (the image's entrypoint runs the binary and `args` are its flags). Cheap and
/// allocation-free for every other object.
pub fn invocations<'a>(object: &'a K8sObject, component: Component) -> Vec<Invocation<'a>> {
    if object.id.kind != "Pod" || !object.id.api_version.eq_ignore_ascii_case("v1") {
        return Vec::new();
    }
    let Some(containers) = object
        .root
        .path(&["spec", "containers"])
        .and_then(Node::as_seq)
    else {
        return Vec::new();
    };
    let labelled = object
        .root
        .path(&["metadata", "labels", "component"])
        .and_then(Node::as_str)
        == Some(component.binary());
    let mut out = Vec::new();
    for (index, container) in containers.iter().enumerate() {
        let skip = match command_component(container) {
            Some((c, skip)) if c == component => skip,
            Some(_) => continue,
            None if labelled && container.get("command").is_none() => {
                let named =
                    container.get("name").and_then(Node::as_str) == Some(component.binary());
                if !named && containers.len() != 1 {
                    continue;
                }
                0
            }
            None => continue,
        };
        let mut args = Vec::new();
        for (list, key) in [(ArgList::Command, "command"), (ArgList::Args, "args")] {
            let Some(items) = container.get(key).and_then(Node::as_seq) else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                if list == ArgList::Command && i < skip {
                    continue;
                }
                if let Some(text) = item.as_str() {
                    args.push(Arg {
                        text,
                        pos: item.pos,
                        list,
                        index: i,
                    });
                }
            }
        }
        out.push(Invocation {
            object,
            container,
            container_path: format!("spec.containers[{index}]"),
            flags: parse(args, component.spec()),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Config files named by flags.

/// How a flag's file path was matched against the input.
#[derive(Debug, Clone, Copy)]
pub enum Resolved<'a> {
    /// The input holds the file.
    Found(&'a K8sObject),
    /// No object of that kind in the input: the file is outside what was scanned.
    NotInInput,
    /// Several candidates and none (or more than one) has the flag's basename.
    Ambiguous,
}

/// Matches `path` (a flag value) with the objects of `kind` in the input: the only one when there is exactly
/// one (file paths in a scan rarely equal node paths), otherwise the only one whose source file name equals
/// the path's basename.
pub fn resolve_config<'a>(candidates: &[&'a K8sObject], path: &str) -> Resolved<'a> {
    match candidates {
        [] => Resolved::NotInInput,
        [only] => Resolved::Found(only),
        many => {
            let wanted = basename(path);
            let mut matching = many.iter().filter(|o| basename(&o.source.file) == wanted);
            match (matching.next(), matching.next()) {
                (Some(found), None) => Resolved::Found(found),
                _ => Resolved::Ambiguous,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The kubelet: KubeletConfiguration merged with command-line flags.

/// One kubelet as the input describes it: a command line (a Pod running `kubelet`) with the config file it
/// loads, or a KubeletConfiguration on its own.
#[derive(Debug)]
pub struct KubeletView<'a> {
    pub invocation: Option<Invocation<'a>>,
    /// The KubeletConfiguration in effect, when in the input.
    pub config: Option<&'a K8sObject>,
    /// `--config` was given but its file is not in the input (settings not on the command line are unknown).
    pub config_unknown: bool,
}

/// Where an effective kubelet setting comes from.
#[derive(Debug, Clone)]
pub enum KubeletSetting<'v, 'a> {
    /// A command-line flag (overrides the file).
    Flag {
        value: &'a str,
        pos: Pos,
        path: String,
        occurrence: &'v Occurrence<'a>,
    },
    /// The config file field.
    Config { node: &'a Node, path: String },
    /// Neither: the default applies (`legacy` = no config file, so the kubelet's insecure flag defaults).
    Default { legacy: bool },
    /// `--config` names a file outside the input and no flag sets it.
    Unknown,
}

/// Whether an object is a kubelet configuration file.
pub fn is_kubelet_configuration(object: &K8sObject) -> bool {
    object.id.kind == "KubeletConfiguration"
        && object.id.api_version.starts_with("kubelet.config.k8s.io/")
}

/// Every kubelet of the input: each Pod running `kubelet` (with its `--config` resolved among the
/// KubeletConfiguration objects) and each KubeletConfiguration no kubelet command line claimed.
pub fn kubelet_views<'a>(pods: &'a [K8sObject], configs: &'a [K8sObject]) -> Vec<KubeletView<'a>> {
    let configs: Vec<&'a K8sObject> = configs
        .iter()
        .filter(|o| is_kubelet_configuration(o))
        .collect();
    let mut claimed: Vec<&'a K8sObject> = Vec::new();
    let mut views = Vec::new();
    for pod in pods {
        for invocation in invocations(pod, Component::Kubelet) {
            let mut view = KubeletView {
                invocation: None,
                config: None,
                config_unknown: false,
            };
            if let Some(path) = invocation.flags.value("config") {
                match resolve_config(&configs, path) {
                    Resolved::Found(found) => {
                        claimed.push(found);
                        view.config = Some(found);
                    }
                    Resolved::NotInInput | Resolved::Ambiguous => view.config_unknown = true,
                }
            }
            view.invocation = Some(invocation);
            views.push(view);
        }
    }
    for config in configs {
        if !claimed.iter().any(|c| std::ptr::eq(*c, config)) {
            views.push(KubeletView {
                invocation: None,
                config: Some(config),
                config_unknown: false,
            });
        }
    }
    views
}

/// The literal value of an etcd setting: the command-line flag (last wins), else the `ETCD_<NAME>` variable
/// etcd reads for flags not given (literal `env[].value` only). Returns the value with where it is written.
pub fn etcd_setting<'a>(invocation: &Invocation<'a>, flag: &str) -> Option<(&'a str, Pos, String)> {
    if let Some(occurrence) = invocation.flags.last(flag) {
        let (pos, path) = invocation.locate(occurrence);
        return Some((occurrence.value.unwrap_or("true"), pos, path));
    }
    let variable = format!("ETCD_{}", flag.to_ascii_uppercase().replace('-', "_"));
    invocation.env(&variable)
}

impl<'a> KubeletView<'a> {
    /// The object findings are reported on: the config file when a setting comes from it, else the Pod.
    pub fn object(&self) -> Option<&'a K8sObject> {
        self.invocation.as_ref().map(|i| i.object).or(self.config)
    }

    /// The effective setting of `flag` / config field `config_path` (flags override the file).
    pub fn setting(&self, flag: &str, config_path: &[&str]) -> KubeletSetting<'_, 'a> {
        if let Some(invocation) = &self.invocation {
            if let Some(occurrence) = invocation.flags.last(flag) {
                let (pos, path) = invocation.locate(occurrence);
                return KubeletSetting::Flag {
                    value: occurrence.value.unwrap_or("true"),
                    pos,
                    path,
                    occurrence,
                };
            }
        }
        if let Some(config) = self.config {
            if let Some(node) = config.root.path(config_path) {
                if !node.is_null() {
                    return KubeletSetting::Config {
                        node,
                        path: config_path.join("."),
                    };
                }
            }
            return KubeletSetting::Default { legacy: false };
        }
        if self.config_unknown {
            return KubeletSetting::Unknown;
        }
        KubeletSetting::Default { legacy: true }
    }

    /// A feature gate: `--feature-gates` first, then `featureGates` in the file.
    pub fn feature_gate(&self, gate: &str) -> Option<(bool, Pos, String, &'a K8sObject)> {
        if let Some(invocation) = &self.invocation {
            if let Some((value, occurrence)) = invocation.flags.feature_gate(gate) {
                let (pos, path) = invocation.locate(occurrence);
                return Some((value, pos, path, invocation.object));
            }
        }
        let config = self.config?;
        let node = config.root.path(&["featureGates", gate])?;
        Some((
            node.as_bool()?,
            node.pos,
            format!("featureGates.{gate}"),
            config,
        ))
    }

    /// The object, position and path to report a setting at.
    pub fn report_at(
        &self,
        setting: &KubeletSetting<'_, 'a>,
    ) -> Option<(&'a K8sObject, Pos, String)> {
        match setting {
            KubeletSetting::Flag { pos, path, .. } => {
                Some((self.invocation.as_ref()?.object, *pos, path.clone()))
            }
            KubeletSetting::Config { node, path } => Some((self.config?, node.pos, path.clone())),
            KubeletSetting::Default { .. } | KubeletSetting::Unknown => {
                if let Some(config) = self.config {
                    return Some((config, config.source.pos, String::new()));
                }
                let invocation = self.invocation.as_ref()?;
                let (pos, path) = invocation.locate_missing();
                Some((invocation.object, pos, path))
            }
        }
    }

    /// `Pod/name` or `KubeletConfiguration/name (file)` for messages.
    pub fn describe(&self) -> String {
        match (&self.invocation, self.config) {
            (Some(i), Some(c)) => format!(
                "kubelet in Pod {} (config {})",
                i.object.id.name,
                basename(&c.source.file)
            ),
            (Some(i), None) => format!("kubelet in Pod {}", i.object.id.name),
            (None, Some(c)) => format!("KubeletConfiguration in {}", basename(&c.source.file)),
            (None, None) => "kubelet".to_owned(),
        }
    }
}

/// A setting's value rendered for messages.
pub fn describe_node(node: &Node) -> String {
    match &node.value {
        mamori_model::node::Value::Str(s) => format!("{s:?}"),
        mamori_model::node::Value::Bool(b) => b.to_string(),
        mamori_model::node::Value::Int(i) => i.to_string(),
        mamori_model::node::Value::Float(f) => f.to_string(),
        mamori_model::node::Value::Null => "null".to_owned(),
        other => other.type_name().to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared checks for flag rules.

/// `kube-apiserver in Pod kube-system/kube-apiserver-cp1` for messages.
pub fn who(invocation: &Invocation<'_>, component: Component) -> String {
    let id = &invocation.object.id;
    match &id.namespace {
        Some(ns) => format!("{} in Pod {ns}/{}", component.binary(), id.name),
        None => format!("{} in Pod {}", component.binary(), id.name),
    }
}

/// Requires bool flag `--flag` of `component` to be `required`; `default` is the binary's default when the
/// flag is absent. `consequence` completes the message ("anonymous requests reach the API").
pub fn require_bool_flag(
    object: &K8sObject,
    component: Component,
    flag: &str,
    default: bool,
    required: bool,
    consequence: &str,
    out: &mut crate::Emitter<'_>,
) {
    if object.id.kind != "Pod" {
        return;
    }
    for invocation in invocations(object, component) {
        match invocation.flags.bool_flag(flag) {
            BoolFlag::Set(value, occurrence) if value != required => {
                let (pos, path) = invocation.locate(occurrence);
                out.emit(
                    object,
                    pos,
                    path,
                    format!(
                        "{} sets --{flag}={value}: {consequence}",
                        who(&invocation, component)
                    ),
                );
            }
            BoolFlag::Unset if default != required => {
                let (pos, path) = invocation.locate_missing();
                out.emit(
                    object,
                    pos,
                    path,
                    format!(
                        "{} does not set --{flag} (default {default}): {consequence}; set --{flag}={required}",
                        who(&invocation, component)
                    ),
                );
            }
            BoolFlag::Invalid(occurrence) => {
                let (pos, path) = invocation.locate(occurrence);
                out.emit(
                    object,
                    pos,
                    path,
                    format!(
                        "{} sets --{flag}={:?}, which is not a Go bool ({} refuses to start); set --{flag}={required}",
                        who(&invocation, component),
                        occurrence.value.unwrap_or(""),
                        component.binary()
                    ),
                );
            }
            BoolFlag::Set(..) | BoolFlag::Unset => {}
        }
    }
}

/// Requires every flag of `flags` to be set to a non-empty value on `component`'s command line; one finding
/// per invocation naming the missing ones.
pub fn require_flags(
    object: &K8sObject,
    component: Component,
    flags: &[&str],
    consequence: &str,
    out: &mut crate::Emitter<'_>,
) {
    if object.id.kind != "Pod" {
        return;
    }
    for invocation in invocations(object, component) {
        let missing: Vec<String> = flags
            .iter()
            .filter(|f| invocation.flags.value(f).is_none_or(str::is_empty))
            .map(|f| format!("--{f}"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let (pos, path) = invocation.locate_missing();
        out.emit(
            object,
            pos,
            path,
            format!(
                "{} does not set {}: {consequence}",
                who(&invocation, component),
                missing.join(" or ")
            ),
        );
    }
}

/// What a kubelet setting amounts to, for rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeletValue {
    /// Written value (flag text, or config scalar rendered).
    Written(String),
    /// Not written: the default applies (`legacy`: no config file, the kubelet's insecure flag defaults).
    Default { legacy: bool },
    /// Decided by a config file that is not in the input.
    Unknown,
}

/// Runs `judge` on setting `flag` / `config_path` of every kubelet in the inventory (Pods running `kubelet`
/// and KubeletConfiguration objects) and reports what it returns, prefixed with the kubelet's description.
pub fn audit_kubelet(
    inventory: &crate::Inventory,
    flag: &str,
    config_path: &[&str],
    judge: impl Fn(&KubeletView<'_>, &KubeletValue) -> Option<String>,
    out: &mut crate::Emitter<'_>,
) {
    let views = kubelet_views(
        inventory.of_kind("Pod"),
        inventory.of_kind("KubeletConfiguration"),
    );
    for view in &views {
        let setting = view.setting(flag, config_path);
        let value = match &setting {
            KubeletSetting::Flag { value, .. } => KubeletValue::Written((*value).to_owned()),
            KubeletSetting::Config { node, .. } => KubeletValue::Written(match &node.value {
                mamori_model::node::Value::Str(s) => s.clone(),
                _ => describe_node(node),
            }),
            KubeletSetting::Default { legacy } => KubeletValue::Default { legacy: *legacy },
            KubeletSetting::Unknown => KubeletValue::Unknown,
        };
        let Some(problem) = judge(view, &value) else {
            continue;
        };
        if let Some((object, pos, path)) = view.report_at(&setting) {
            out.emit(object, pos, path, format!("{}: {problem}", view.describe()));
        }
    }
}

/// A kubelet bool setting: `Some(Ok(b))` when written as a bool, `Some(Err(text))` when written otherwise,
/// `None` when not written.
pub fn kubelet_bool(value: &KubeletValue) -> Option<Result<bool, &str>> {
    match value {
        KubeletValue::Written(text) => Some(parse_go_bool(text).ok_or(text.as_str())),
        KubeletValue::Default { .. } | KubeletValue::Unknown => None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Audit policy (audit.k8s.io) rules: first match wins.

/// How messages name an audit Policy: its metadata.name, else its file name (policy files rarely have names).
pub fn policy_name(object: &K8sObject) -> &str {
    if object.id.name.is_empty() {
        basename(&object.source.file)
    } else {
        &object.id.name
    }
}

/// Whether an object is an audit Policy file.
pub fn is_audit_policy(object: &K8sObject) -> bool {
    object.id.kind == "Policy" && object.id.api_version.starts_with("audit.k8s.io/")
}

fn non_empty(rule: &Node, key: &str) -> bool {
    rule.get(key)
        .and_then(Node::as_seq)
        .is_some_and(|s| !s.is_empty())
}

/// Whether an audit rule restricts requests by user, group, verb, namespace, resource or URL (a rule with none
/// of these matches every request).
pub fn audit_rule_is_catch_all(rule: &Node) -> bool {
    ![
        "users",
        "userGroups",
        "verbs",
        "namespaces",
        "resources",
        "nonResourceURLs",
    ]
    .iter()
    .any(|k| non_empty(rule, k))
}

/// How an audit rule applies to requests for `group`/`resource`: `None` = never, `Some(true)` = to every such
/// request, `Some(false)` = to some (restricted by users, groups, verbs, namespaces or resource names).
pub fn audit_rule_applies(rule: &Node, group: &str, resource: &str) -> Option<bool> {
    let resources = rule.get("resources").and_then(Node::as_seq).unwrap_or(&[]);
    if resources.is_empty() && non_empty(rule, "nonResourceURLs") {
        return None;
    }
    let mut every = !["users", "userGroups", "verbs", "namespaces"]
        .iter()
        .any(|k| non_empty(rule, k));
    if !resources.is_empty() {
        let matching = resources.iter().find(|gr| {
            let rule_group = gr.get("group").and_then(Node::as_str).unwrap_or("");
            let names = gr.get("resources").and_then(Node::as_seq).unwrap_or(&[]);
            rule_group == group
                && (names.is_empty()
                    || names
                        .iter()
                        .any(|n| matches!(n.as_str(), Some(r) if r == resource || r == "*")))
        })?;
        every &= !non_empty(matching, "resourceNames");
    }
    Some(every)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words<'a>(words: &[&'a str], spec: &FlagSpec) -> ParsedFlags<'a> {
        parse(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| Arg::plain(w, i))
                .collect(),
            spec,
        )
    }

    #[test]
    fn equals_and_separate_values() {
        let p = parse_words(
            &[
                "--token-auth-file",
                "/x.csv",
                "--audit-log-path=/var/log/a.log",
            ],
            &APISERVER,
        );
        assert_eq!(p.value("token-auth-file"), Some("/x.csv"));
        assert_eq!(p.value("audit-log-path"), Some("/var/log/a.log"));
        assert!(p.positional.is_empty());
    }

    #[test]
    fn value_flag_consumes_next_argument_even_if_it_looks_like_a_flag() {
        let p = parse_words(
            &["--authorization-mode", "--anonymous-auth=false"],
            &APISERVER,
        );
        assert_eq!(
            p.value("authorization-mode"),
            Some("--anonymous-auth=false")
        );
        assert_eq!(p.bool_flag("anonymous-auth"), BoolFlag::Unset);
    }

    #[test]
    fn bool_flag_never_consumes_next_argument() {
        let p = parse_words(&["--anonymous-auth", "false", "--profiling"], &APISERVER);
        assert!(matches!(
            p.bool_flag("anonymous-auth"),
            BoolFlag::Set(true, _)
        ));
        assert_eq!(p.positional, vec![1]);
        assert!(matches!(p.bool_flag("profiling"), BoolFlag::Set(true, _)));
    }

    #[test]
    fn go_parse_bool_forms() {
        for (text, want) in [
            ("1", Some(true)),
            ("T", Some(true)),
            ("True", Some(true)),
            ("f", Some(false)),
            ("FALSE", Some(false)),
        ] {
            assert_eq!(parse_go_bool(text), want, "{text}");
        }
        for text in ["yes", "no", "tRUE", "", "on", " true"] {
            assert_eq!(parse_go_bool(text), None, "{text}");
        }
        let p = parse_words(&["--anonymous-auth=no"], &APISERVER);
        assert!(matches!(
            p.bool_flag("anonymous-auth"),
            BoolFlag::Invalid(_)
        ));
    }

    #[test]
    fn last_scalar_wins_and_names_are_normalised() {
        let p = parse_words(
            &["--anonymous-auth=false", "--anonymous_auth=true"],
            &APISERVER,
        );
        assert!(matches!(
            p.bool_flag("anonymous-auth"),
            BoolFlag::Set(true, _)
        ));
    }

    #[test]
    fn go_flag_does_not_normalise_and_accepts_single_dash() {
        let p = parse_words(
            &["-client-cert-auth", "--peer_client_cert_auth=true"],
            &ETCD,
        );
        assert!(matches!(
            p.bool_flag("client-cert-auth"),
            BoolFlag::Set(true, _)
        ));
        assert!(p
            .occurrences
            .iter()
            .all(|o| o.name != "peer-client-cert-auth"));
    }

    #[test]
    fn go_flag_stops_at_first_positional() {
        let p = parse_words(
            &["--cert-file=/a", "stray", "--client-cert-auth=true"],
            &ETCD,
        );
        assert_eq!(p.positional, vec![1, 2]);
        assert_eq!(p.bool_flag("client-cert-auth"), BoolFlag::Unset);
    }

    #[test]
    fn pflag_keeps_parsing_after_positional_and_double_dash_ends() {
        let p = parse_words(
            &["stray", "--profiling=false", "--", "--anonymous-auth=false"],
            &APISERVER,
        );
        assert!(matches!(p.bool_flag("profiling"), BoolFlag::Set(false, _)));
        assert_eq!(p.bool_flag("anonymous-auth"), BoolFlag::Unset);
        assert_eq!(p.positional, vec![0, 3]);
    }

    #[test]
    fn string_slice_appends_across_occurrences() {
        let p = parse_words(
            &[
                "--enable-admission-plugins=NodeRestriction",
                "--enable-admission-plugins",
                "AlwaysAdmit,PodSecurity",
            ],
            &APISERVER,
        );
        let Some(Ok(items)) = p.list("enable-admission-plugins") else {
            panic!("list expected")
        };
        let names: Vec<&str> = items.iter().map(|i| i.value.as_ref()).collect();
        assert_eq!(names, ["NodeRestriction", "AlwaysAdmit", "PodSecurity"]);
        assert!(p.list("disable-admission-plugins").is_none());
    }

    #[test]
    fn csv_records_like_go() {
        let read =
            |s| read_csv_record(s).map(|v| v.into_iter().map(Cow::into_owned).collect::<Vec<_>>());
        assert_eq!(read(""), Ok(vec![]));
        assert_eq!(read("a, b"), Ok(vec!["a".to_owned(), " b".to_owned()]));
        assert_eq!(
            read("\"a,b\",c"),
            Ok(vec!["a,b".to_owned(), "c".to_owned()])
        );
        assert_eq!(read("\"x\"\"y\""), Ok(vec!["x\"y".to_owned()]));
        assert_eq!(read("a,"), Ok(vec!["a".to_owned(), String::new()]));
        assert_eq!(read("a\nb"), Ok(vec!["a".to_owned()]));
        assert_eq!(read("a\r\nb"), Ok(vec!["a".to_owned()]));
        assert!(read("a\"b").is_err());
        assert!(read("\"ab").is_err());
        assert!(read("\"a\"b").is_err());
    }

    #[test]
    fn feature_gates_merge() {
        let p = parse_words(
            &[
                "--feature-gates=A=true, RotateKubeletServerCertificate = false",
                "--feature-gates=B=false",
            ],
            &KUBELET,
        );
        assert!(matches!(
            p.feature_gate("RotateKubeletServerCertificate"),
            Some((false, _))
        ));
        assert!(matches!(p.feature_gate("A"), Some((true, _))));
        let p = parse_words(
            &["--feature-gates=X=false", "--feature-gates=X=true"],
            &KUBELET,
        );
        assert!(matches!(p.feature_gate("X"), Some((true, _))));
    }

    #[test]
    fn shorthands() {
        let p = parse_words(&["-v", "2", "-v=3", "-v4", "-h"], &APISERVER);
        let values: Vec<_> = p.all("v").map(|o| o.value).collect();
        assert_eq!(values, [Some("2"), Some("3"), Some("4")]);
        assert!(p.has("h"));
    }

    #[test]
    fn missing_value_and_bad_syntax_are_problems() {
        let p = parse_words(&["---x", "--=1", "--token-auth-file"], &APISERVER);
        assert_eq!(p.problems.len(), 3, "{:?}", p.problems);
    }

    #[test]
    fn unknown_flags_are_lenient() {
        let p = parse_words(
            &[
                "--some-new-bool",
                "--profiling=false",
                "--some-new-value",
                "x",
            ],
            &APISERVER,
        );
        assert_eq!(p.value("some-new-value"), Some("x"));
        assert!(matches!(p.bool_flag("profiling"), BoolFlag::Set(false, _)));
        assert_eq!(p.last("some-new-bool").and_then(|o| o.value), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z-]{0,12}",
                "--[a-z_-]{0,12}(=[a-zA-Z0-9,\"]{0,8})?",
                "-[a-zA-Z=0-9]{0,4}",
                Just("--".to_owned()),
                Just("--anonymous-auth".to_owned()),
                Just("--token-auth-file".to_owned()),
                "\\PC{0,6}",
            ]
        }

        proptest! {
            #[test]
            fn never_panics_and_indices_are_in_range(words in proptest::collection::vec(word(), 0..16)) {
                let refs: Vec<&str> = words.iter().map(String::as_str).collect();
                for spec in [&APISERVER, &ETCD, &KUBELET] {
                    let p = parse_words(&refs, spec);
                    for o in &p.occurrences {
                        prop_assert!(o.arg < refs.len());
                        prop_assert!(o.value_arg.is_none_or(|v| v == o.arg + 1 && v < refs.len()));
                    }
                    // Every argument is accounted for exactly once: a flag, a separate value, positional or a problem.
                    let mut seen = vec![0u8; refs.len()];
                    for o in &p.occurrences {
                        seen[o.arg] = 1;
                        if let Some(v) = o.value_arg { seen[v] += 1; }
                    }
                    for &i in &p.positional { seen[i] += 1; }
                    if let Some(t) = p.terminator { seen[t] += 1; }
                    for problem in &p.problems { seen[problem.arg] = 1; }
                    prop_assert!(seen.iter().all(|&n| n == 1), "{:?} {:?}", refs, p);
                    let _ = p.list("enable-admission-plugins");
                    let _ = p.feature_gate("X");
                }
            }

            #[test]
            fn equals_form_round_trips(name in "[a-z][a-z-]{0,10}", value in "[^\n]{0,12}") {
                let arg = format!("--{name}={value}");
                let p = parse_words(&[arg.as_str()], &APISERVER);
                prop_assert_eq!(p.value(&name), Some(value.as_str()));
            }

            #[test]
            fn csv_of_plain_fields_is_split(fields in proptest::collection::vec("[A-Za-z0-9 ]{0,6}", 1..6)) {
                let joined = fields.join(",");
                let read = read_csv_record(&joined).map_err(TestCaseError::fail)?;
                if joined.is_empty() {
                    prop_assert!(read.is_empty());
                } else {
                    let read: Vec<String> = read.into_iter().map(Cow::into_owned).collect();
                    prop_assert_eq!(read, fields);
                }
            }

            #[test]
            fn a_bool_flag_followed_by_anything_leaves_it_alone(next in "\\PC{1,10}") {
                let p = parse_words(&["--profiling", next.as_str()], &APISERVER);
                prop_assert!(matches!(p.bool_flag("profiling"), BoolFlag::Set(true, _)));
            }
        }
    }
}
