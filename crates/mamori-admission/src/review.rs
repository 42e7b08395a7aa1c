//! The AdmissionReview v1 wire format: the request as the engine reads it, and the response it writes (the
//! request echoed back verbatim, `response` filled in as upstream's webhook does, §5.10).

use mamori_model::Node;
use mamori_pss::{scan_pod_json, ScannedPod};
use mamori_yaml::json_scan::{JsonScanner, ObjectBuild};
use mamori_yaml::JsonNode;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::OnceCell;

/// Only the envelope: the request stays raw so it can be echoed back byte for byte. This pass only skims the
/// request (serde_json's skipping scan); the second pass decodes it.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "apiVersion", borrow, default)]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct GroupVersionResource {
    #[serde(default)]
    group: String,
    #[serde(default)]
    resource: String,
}

#[derive(Deserialize, Default)]
struct UserInfo {
    #[serde(default)]
    username: String,
}

/// The request fields; `O` is how `object` is read: decoded into a tree in the same pass ([`EagerObject`]),
/// or kept raw (`Option<&RawValue>`) and decoded on use.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestWire<'a, O> {
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    resource: GroupVersionResource,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(default)]
    object: O,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
}

/// How much of the request's objects is built into trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectParts {
    /// Everything but the bookkeeping nothing evaluates (`managedFields`, kubectl's last-applied copy): what
    /// catalogue rules need.
    AllButBookkeeping,
    /// Only what Pod Security reads ([`JsonNode::deserialize_pod_security_fields`]): when no catalogue rule
    /// runs at admission. Rejects exactly what the full build rejects.
    PodSecurity,
}

impl ObjectParts {
    /// What the scanner builds for these parts.
    fn build(self) -> ObjectBuild {
        match self {
            ObjectParts::AllButBookkeeping => ObjectBuild::WithoutBookkeeping,
            ObjectParts::PodSecurity => ObjectBuild::PodSecurity,
        }
    }

    fn decode_str(self, text: &str) -> Result<Option<Node>, String> {
        let mut scan = JsonScanner::new(text);
        if let Some(node) = scan.node(self.build()) {
            if scan.finish().is_some() {
                return Ok(Some(node).filter(|n| !n.is_null()));
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let node = match self {
            ObjectParts::AllButBookkeeping => JsonNode::deserialize_without_bookkeeping(&mut de),
            ObjectParts::PodSecurity => JsonNode::deserialize_pod_security_fields(&mut de),
        }
        .and_then(|node| de.end().map(|()| node))
        .map_err(|e| e.to_string())?;
        Ok(Some(node.0).filter(|n| !n.is_null()))
    }
}

/// `request.object` decoded straight into a tree while the request is read (no intermediate raw slice and no
/// second scan); `POD_SECURITY` = [`ObjectParts::PodSecurity`], else [`ObjectParts::AllButBookkeeping`].
#[derive(Default)]
struct EagerObject<const POD_SECURITY: bool>(Option<Node>);

impl<'de, const POD_SECURITY: bool> Deserialize<'de> for EagerObject<POD_SECURITY> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = if POD_SECURITY {
            JsonNode::deserialize_pod_security_fields(deserializer)
        } else {
            JsonNode::deserialize_without_bookkeeping(deserializer)
        };
        node.map(|node| EagerObject(Some(node.0).filter(|n| !n.is_null())))
    }
}

/// An object of the request. `request.object` arrives decoded (every decision on a CREATE or UPDATE of a pod
/// or workload needs it): as a tree, or, when only Pod Security reads it, straight into its Pod Security view
/// with the tree built from its text on demand; `oldObject` is decoded only when a decision needs it (a pod
/// UPDATE), so a workload UPDATE's never is.
pub(crate) struct LazyObject<'a> {
    raw: Option<&'a str>,
    parts: ObjectParts,
    node: OnceCell<Result<Option<Node>, String>>,
    /// What Pod Security reads, read straight from the JSON while the request was read (no tree built), and
    /// the kind it was read as; the tree is then built from `raw` only if something else asks for it.
    pod: Option<(&'static str, ScannedPod)>,
}

impl<'a> LazyObject<'a> {
    fn new(raw: Option<&'a str>, parts: ObjectParts) -> LazyObject<'a> {
        LazyObject {
            raw,
            parts,
            node: OnceCell::new(),
            pod: None,
        }
    }

    fn decoded(node: Option<Node>, parts: ObjectParts) -> LazyObject<'a> {
        LazyObject {
            raw: None,
            parts,
            node: OnceCell::from(Ok(node)),
            pod: None,
        }
    }

    /// The object's Pod Security view when it was read straight from the JSON as an object of `kind`.
    pub(crate) fn scanned_pod(&self, kind: &str) -> Option<&ScannedPod> {
        self.pod
            .as_ref()
            .filter(|(read_as, _)| *read_as == kind)
            .map(|(_, pod)| pod)
    }

    fn decode(&self) -> Result<Option<Node>, String> {
        match self.raw {
            Some(raw) => self.parts.decode_str(raw),
            None => Ok(None),
        }
    }

    /// The object (`Ok(None)` when absent or null), or why it could not be decoded.
    pub(crate) fn get(&self) -> Result<Option<&Node>, &str> {
        match self.node.get_or_init(|| self.decode()) {
            Ok(node) => Ok(node.as_ref()),
            Err(err) => Err(err),
        }
    }

    /// Moves the decoded object out (decoding it first); [`LazyObject::put`] gives it back.
    pub(crate) fn take(&mut self) -> Result<Option<Node>, String> {
        let _ = self.get();
        self.node.take().unwrap_or(Ok(None))
    }

    pub(crate) fn put(&mut self, node: Node) {
        self.node = OnceCell::from(Ok(Some(node)));
    }
}

/// A decoded admission request.
pub(crate) struct Request<'a> {
    /// The request's JSON text, echoed back verbatim.
    pub raw: &'a str,
    pub uid: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub namespace: String,
    pub operation: String,
    pub username: String,
    pub object: LazyObject<'a>,
    pub old_object: LazyObject<'a>,
}

/// Decodes the body. `Err` = HTTP 400: not JSON, not an `admission.k8s.io/v1` AdmissionReview, no request or
/// no uid.
///
/// The common case is one pass of the hand-written scanner ([`decode_scanned`]). Anything it does not handle
/// (escaped keys, a duplicate member, very deep nesting, any error) goes through [`decode_two_passes`], the
/// serde_json reference: its errors and results are what the scanner must reproduce.
pub(crate) fn decode(body: &[u8], parts: ObjectParts) -> Result<Request<'_>, String> {
    match decode_scanned(body, parts) {
        Some(request) => request,
        None => match parts {
            ObjectParts::AllButBookkeeping => decode_two_passes::<false>(body),
            ObjectParts::PodSecurity => decode_two_passes::<true>(body),
        },
    }
}

/// The request fields the engine reads, as both decoders produce them (`None` = absent or null).
#[derive(Default)]
struct RequestFields {
    uid: Option<String>,
    group: String,
    resource: String,
    subresource: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    operation: Option<String>,
    username: String,
}

/// The [`ObjectParts`] an `EagerObject::<POD_SECURITY>` builds.
const fn parts_of(pod_security: bool) -> ObjectParts {
    if pod_security {
        ObjectParts::PodSecurity
    } else {
        ObjectParts::AllButBookkeeping
    }
}

/// One pass over the body with [`JsonScanner`]: the envelope and request members walked by hand, the object
/// built on the way, the request's span kept for the verbatim echo. `None` = outside the scanner's subset or
/// not valid (see its contract): the caller falls back to the reference path, which reports the error.
fn decode_scanned(body: &[u8], parts: ObjectParts) -> Option<Result<Request<'_>, String>> {
    // UTF-8 is checked once for the whole body; the scanner then slices `&str` at ASCII delimiters.
    let text = std::str::from_utf8(body).ok()?;
    let mut scan = JsonScanner::new(text);
    scan.object_start()?;
    let (mut api_version, mut kind) = (None::<Cow<'_, str>>, None::<Cow<'_, str>>);
    let mut request = None;
    let mut first = true;
    while let Some(key) = scan.object_key(first)? {
        first = false;
        match key {
            "apiVersion" if api_version.is_none() => api_version = Some(scan.string()?),
            "kind" if kind.is_none() => kind = Some(scan.string()?),
            "request" if request.is_none() => request = Some(scanned_request(&mut scan, parts)?),
            "apiVersion" | "kind" | "request" => return None,
            _ => {
                scan.raw_value()?;
            }
        }
    }
    scan.finish()?;
    if api_version.as_deref() != Some("admission.k8s.io/v1")
        || kind.as_deref() != Some("AdmissionReview")
    {
        return None;
    }
    let request: ScannedRequest<'_> = request?;
    Some(request_from(
        request.raw,
        request.fields,
        request.object,
        request.old_object,
        parts,
    ))
}

/// What [`scanned_request`] read: the request's text, its fields, the object built (`None` = absent or null)
/// and the old object's text.
struct ScannedRequest<'a> {
    raw: &'a str,
    fields: RequestFields,
    object: LazyObject<'a>,
    old_object: Option<&'a str>,
}

/// The request object under the cursor, read as [`RequestWire`] reads it: the same members, of the same
/// types (a string where it takes a `String`, a string or null for an `Option<String>`, an object for a
/// struct); a member read twice is left to the reference, which rejects it.
fn scanned_request<'a>(
    scan: &mut JsonScanner<'a>,
    parts: ObjectParts,
) -> Option<ScannedRequest<'a>> {
    const MEMBERS: [&str; 9] = [
        "uid",
        "resource",
        "subResource",
        "name",
        "namespace",
        "operation",
        "userInfo",
        "object",
        "oldObject",
    ];
    scan.skip_whitespace();
    let start = scan.offset();
    scan.object_start()?;
    let mut fields = RequestFields::default();
    let (mut object, mut old_object) = (LazyObject::decoded(None, parts), None);
    let mut seen = [false; MEMBERS.len()];
    let mut first = true;
    while let Some(key) = scan.object_key(first)? {
        first = false;
        if let Some(index) = MEMBERS.iter().position(|m| *m == key) {
            if std::mem::replace(&mut seen[index], true) {
                return None;
            }
        }
        let owned = |s: Option<Cow<'_, str>>| s.map(Cow::into_owned);
        match key {
            "uid" => fields.uid = owned(scan.string_or_null()?),
            "resource" => {
                let [group, resource] = scanned_struct(scan, ["group", "resource"])?;
                (fields.group, fields.resource) = (group, resource);
            }
            "subResource" => fields.subresource = owned(scan.string_or_null()?),
            "name" => fields.name = owned(scan.string_or_null()?),
            "namespace" => fields.namespace = owned(scan.string_or_null()?),
            "operation" => fields.operation = owned(scan.string_or_null()?),
            "userInfo" => [fields.username] = scanned_struct(scan, ["username"])?,
            "object" => {
                object = match pod_security_kind(parts, &fields, &seen) {
                    Some(kind) if scan.peek()? == b'{' => {
                        scan.skip_whitespace();
                        let start = scan.offset();
                        let pod = scan_pod_json(scan, kind)?;
                        let mut lazy =
                            LazyObject::new(scan.text_between(start, scan.offset()), parts);
                        // Admission needs verdicts and messages, not the field paths of evidence.
                        lazy.pod = pod.map(|pod| {
                            let view = pod.view.without_evidence();
                            (kind, ScannedPod { view, ..pod })
                        });
                        lazy
                    }
                    _ => LazyObject::decoded(
                        Some(scan.node(parts.build())?).filter(|n| !n.is_null()),
                        parts,
                    ),
                }
            }
            "oldObject" => {
                old_object = if scan.null() {
                    None
                } else {
                    Some(scan.raw_value()?)
                }
            }
            _ => {
                scan.raw_value()?;
            }
        }
    }
    Some(ScannedRequest {
        raw: scan.text_between(start, scan.offset())?,
        fields,
        object,
        old_object,
    })
}

/// The kind to read `request.object` as straight into a Pod Security view ([`scan_pod_json`]), when only Pod
/// Security reads it and the request fields read so far say which kind it is: a pod CREATE or a workload
/// CREATE/UPDATE. A pod UPDATE compares the object with the old one, which takes trees; so does anything
/// whose resource or operation comes after the object in the text.
fn pod_security_kind(
    parts: ObjectParts,
    fields: &RequestFields,
    seen: &[bool; 9],
) -> Option<&'static str> {
    let [_, resource_seen, _, _, _, operation_seen, ..] = *seen;
    if parts != ObjectParts::PodSecurity || !resource_seen {
        return None;
    }
    match (fields.group.as_str(), fields.resource.as_str()) {
        ("", "pods") => {
            (operation_seen && fields.operation.as_deref() == Some("CREATE")).then_some("Pod")
        }
        (group, resource) => crate::psa::pod_controller_kind(group, resource),
    }
}

/// An object read as a derived struct of `String` fields with defaults reads it: the named members must be
/// strings (each at most once), the others are skipped.
fn scanned_struct<const N: usize>(
    scan: &mut JsonScanner<'_>,
    names: [&str; N],
) -> Option<[String; N]> {
    scan.object_start()?;
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut first = true;
    while let Some(key) = scan.object_key(first)? {
        first = false;
        match names.iter().position(|name| *name == key) {
            Some(index) if values[index].is_none() => {
                values[index] = Some(scan.string()?.into_owned());
            }
            Some(_) => return None,
            None => {
                scan.raw_value()?;
            }
        }
    }
    Some(values.map(Option::unwrap_or_default))
}

/// The reference decoding: the envelope with the request kept raw, then the request fields with the object
/// built on the way. Should that second pass fail (malformed request field, or an object the tree builder
/// refuses, such as one with duplicate keys), the request is read again with the object kept raw, so a bad
/// object is denied when used and bad fields are a 400, as before objects were decoded eagerly.
fn decode_two_passes<const POD_SECURITY: bool>(body: &[u8]) -> Result<Request<'_>, String> {
    let parts = parts_of(POD_SECURITY);
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| format!("invalid AdmissionReview JSON: {e}"))?;
    let api_version = envelope.api_version.as_deref().unwrap_or("");
    let kind = envelope.kind.as_deref().unwrap_or("");
    if api_version != "admission.k8s.io/v1" || kind != "AdmissionReview" {
        return Err(format!(
            "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, found {api_version:?} {kind:?}"
        ));
    }
    let raw = envelope
        .request
        .ok_or_else(|| "AdmissionReview has no request".to_owned())?;
    let (fields, object, old_object) =
        match serde_json::from_str::<RequestWire<'_, EagerObject<POD_SECURITY>>>(raw.get()) {
            Ok(mut wire) => {
                let object = LazyObject::decoded(wire.object.0.take(), parts);
                let (fields, old_object) = wire.into_fields();
                (fields, object, old_object)
            }
            Err(_) => {
                let mut wire: RequestWire<'_, Option<&RawValue>> = serde_json::from_str(raw.get())
                    .map_err(|e| format!("invalid AdmissionReview request: {e}"))?;
                let object = LazyObject::new(wire.object.take().map(RawValue::get), parts);
                let (fields, old_object) = wire.into_fields();
                (fields, object, old_object)
            }
        };
    request_from(raw.get(), fields, object, old_object, parts)
}

fn request_from<'a>(
    raw: &'a str,
    fields: RequestFields,
    object: LazyObject<'a>,
    old_object: Option<&'a str>,
    parts: ObjectParts,
) -> Result<Request<'a>, String> {
    let uid = fields
        .uid
        .filter(|uid| !uid.is_empty())
        .ok_or_else(|| "AdmissionReview request has no uid".to_owned())?;
    Ok(Request {
        raw,
        uid,
        group: fields.group,
        resource: fields.resource,
        subresource: fields.subresource.unwrap_or_default(),
        name: fields.name.unwrap_or_default(),
        namespace: fields.namespace.unwrap_or_default(),
        operation: fields.operation.unwrap_or_default(),
        username: fields.username,
        object,
        old_object: LazyObject::new(old_object, parts),
    })
}

impl<'a, O> RequestWire<'a, O> {
    /// The fields and the old object's text (the object itself already taken out).
    fn into_fields(self) -> (RequestFields, Option<&'a str>) {
        let fields = RequestFields {
            uid: self.uid,
            group: self.resource.group,
            resource: self.resource.resource,
            subresource: self.sub_resource,
            name: self.name,
            namespace: self.namespace,
            operation: self.operation,
            username: self.user_info.username,
        };
        (fields, self.old_object.map(RawValue::get))
    }
}

/// `metav1.StatusCause`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    pub reason: &'static str,
    pub message: String,
    pub field: String,
}

/// `metav1.StatusDetails` (only the fields upstream sets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub causes: Vec<Cause>,
}

/// `metav1.Status` of a rejected request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Status {
    pub message: String,
    pub reason: &'static str,
    pub details: Option<Details>,
    pub code: u16,
}

/// `admissionv1.AdmissionResponse` minus the uid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: Option<Status>,
    pub warnings: Vec<String>,
    /// Unprefixed keys; written sorted, as Go encodes maps.
    pub audit_annotations: Vec<(&'static str, String)>,
}

impl Response {
    pub(crate) fn allowed(&self) -> bool {
        self.status.is_none()
    }

    pub(crate) fn annotate(&mut self, key: &'static str, value: String) {
        match self.audit_annotations.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.audit_annotations.push((key, value)),
        }
    }
}

fn json_string(out: &mut Vec<u8>, text: &str) {
    // Serialising a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// The response body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":<raw>,
/// "response":{...}}`, keys in the order Go's encoder writes them.
pub(crate) fn write_body(raw: &str, uid: &str, response: &Response) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(RESPONSE_HEAD.len() + raw.len() + response_size_hint(uid, response));
    out.extend_from_slice(RESPONSE_HEAD);
    out.extend_from_slice(raw.as_bytes());
    write_tail(&mut out, uid, response);
    out
}

/// What a response body starts with, up to the echoed request.
pub const RESPONSE_HEAD: &[u8] =
    b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":";

/// What follows the echoed request: the `response` member and the closing brace.
pub(crate) fn response_tail(uid: &str, response: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(response_size_hint(uid, response));
    write_tail(&mut out, uid, response);
    out
}

fn write_tail(out: &mut Vec<u8>, uid: &str, response: &Response) {
    out.extend_from_slice(b",\"response\":{\"uid\":");
    json_string(out, uid);
    out.extend_from_slice(if response.allowed() {
        b",\"allowed\":true"
    } else {
        b",\"allowed\":false"
    });
    if let Some(status) = &response.status {
        write_status(out, status);
    }
    if !response.audit_annotations.is_empty() {
        let mut sorted: Vec<&(&str, String)> = response.audit_annotations.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        out.extend_from_slice(b",\"auditAnnotations\":{");
        for (i, (key, value)) in sorted.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(out, key);
            out.push(b':');
            json_string(out, value);
        }
        out.push(b'}');
    }
    if !response.warnings.is_empty() {
        out.extend_from_slice(b",\"warnings\":[");
        for (i, warning) in response.warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(out, warning);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
}

fn write_status(out: &mut Vec<u8>, status: &Status) {
    out.extend_from_slice(b",\"status\":{\"metadata\":{},\"status\":\"Failure\",\"message\":");
    json_string(out, &status.message);
    out.extend_from_slice(b",\"reason\":");
    json_string(out, status.reason);
    if let Some(details) = &status.details {
        out.extend_from_slice(b",\"details\":{");
        let mut first = true;
        let mut field = |out: &mut Vec<u8>, key: &str, value: &str| {
            if value.is_empty() {
                return;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            json_string(out, key);
            out.push(b':');
            json_string(out, value);
        };
        field(out, "name", &details.name);
        field(out, "group", &details.group);
        field(out, "kind", &details.kind);
        if !details.causes.is_empty() {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(b"\"causes\":[");
            for (i, cause) in details.causes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let mut parts: Vec<(&str, &str)> = Vec::with_capacity(3);
                for (key, value) in [
                    ("reason", cause.reason),
                    ("message", cause.message.as_str()),
                    ("field", cause.field.as_str()),
                ] {
                    if !value.is_empty() {
                        parts.push((key, value));
                    }
                }
                out.push(b'{');
                for (j, (key, value)) in parts.into_iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    json_string(out, key);
                    out.push(b':');
                    json_string(out, value);
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"code\":");
    push_decimal(out, status.code);
    out.push(b'}');
}

/// The bytes `write_body` adds around the echoed request, give or take escaping: one allocation for the body.
fn response_size_hint(uid: &str, response: &Response) -> usize {
    const FIXED: usize = 160;
    let status = response.status.as_ref().map_or(0, |status| {
        let details = status.details.as_ref().map_or(0, |d| {
            64 + d.name.len()
                + d.group.len()
                + d.kind.len()
                + d.causes
                    .iter()
                    .map(|c| 48 + c.message.len() + c.field.len())
                    .sum::<usize>()
        });
        96 + status.message.len() + details
    });
    let annotations: usize = response
        .audit_annotations
        .iter()
        .map(|(key, value)| 6 + key.len() + value.len())
        .sum();
    let warnings: usize = response.warnings.iter().map(|w| 3 + w.len()).sum();
    let text = status + annotations + warnings;
    // Messages quote container names (`containers "a", "b"`), and each quote is escaped: a quarter more
    // keeps the buffer from growing (and copying) in the common case.
    FIXED + uid.len() + text + text / 4
}

/// A number in decimal, without going through `format!`.
fn push_decimal(out: &mut Vec<u8>, value: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start -= 1;
        // `rest % 10` is below 10, so the digit is ASCII.
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body(object: &str) -> String {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u1","resource":{{"group":"","resource":"pods"}},"namespace":"ns","operation":"UPDATE","object":{object},"oldObject":{{"kind":"Pod"}}}}}}"#
        )
    }

    #[test]
    fn decimal_codes() {
        for code in [0u16, 7, 200, 400, 403, 422, 500, 65535] {
            let mut out = Vec::new();
            push_decimal(&mut out, code);
            assert_eq!(out, code.to_string().into_bytes());
        }
    }

    #[test]
    fn object_is_decoded_in_the_request_pass_without_bookkeeping() {
        let text = body(
            r#"{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"m"}],"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}}"#,
        );
        let request =
            decode(text.as_bytes(), ObjectParts::AllButBookkeeping).expect("valid review");
        assert_eq!(request.uid, "u1");
        assert_eq!(request.operation, "UPDATE");
        let object = request.object.get().expect("decoded").expect("present");
        assert_eq!(
            object.path(&["metadata", "name"]).and_then(Node::as_str),
            Some("p")
        );
        assert_eq!(object.path(&["metadata", "managedFields"]), None);
        assert_eq!(
            object
                .path(&["metadata", "annotations"])
                .and_then(Node::as_map),
            Some(&[][..])
        );
        // The echo is the request verbatim, bookkeeping included.
        assert!(request.raw.contains("managedFields"));
        let old = request.old_object.get().expect("decoded").expect("present");
        assert_eq!(old.get("kind").and_then(Node::as_str), Some("Pod"));
    }

    #[test]
    fn an_object_the_tree_refuses_is_an_error_of_the_object_not_of_the_request() {
        let text = body(r#"{"kind":"Pod","kind":"Pod"}"#);
        let request = decode(text.as_bytes(), ObjectParts::AllButBookkeeping)
            .expect("the request itself is fine");
        let err = request.object.get().expect_err("duplicate key");
        assert!(err.contains("duplicate key"), "{err}");
        let null = body("null");
        let request = decode(null.as_bytes(), ObjectParts::AllButBookkeeping).expect("valid");
        assert_eq!(request.object.get(), Ok(None));
    }

    #[test]
    fn bad_request_fields_are_still_rejected() {
        let text = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":5,"object":{}}}"#;
        let err = decode(text.as_bytes(), ObjectParts::AllButBookkeeping)
            .err()
            .expect("uid is not a string");
        assert!(err.starts_with("invalid AdmissionReview request:"), "{err}");
    }

    fn summary(request: &Request) -> (String, String, String, String, String, String, String) {
        let object = format!(
            "{:?} / {:?}",
            request.object.get(),
            request.old_object.get()
        );
        (
            request.raw.to_owned(),
            request.uid.clone(),
            format!(
                "{}/{}/{}",
                request.group, request.resource, request.subresource
            ),
            format!("{}/{}", request.namespace, request.name),
            request.operation.clone(),
            request.username.clone(),
            object,
        )
    }

    #[test]
    fn the_scanner_agrees_with_the_reference_on_every_shape() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../mamori-loadgen/bodies");
        let mut bodies: Vec<String> = ["pod-compliant", "pod-violating", "deployment"]
            .iter()
            .map(|name| std::fs::read_to_string(format!("{dir}/{name}.json")).expect("body"))
            .collect();
        let compact = body(r#"{"kind":"Pod","metadata":{"name":"p"}}"#);
        let value: serde_json::Value = serde_json::from_str(&compact).expect("json");
        bodies.push(serde_json::to_string_pretty(&value).expect("pretty"));
        bodies.push(format!(" \n{compact}\n "));
        // Members in another order, an unknown member, nothing after the request.
        bodies.push(r#"{ "request" : {"uid":"u","object":null} , "x":[1,{"y":"\u00e9"}], "kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#.to_owned());
        for text in &bodies {
            let single = decode_scanned(text.as_bytes(), ObjectParts::AllButBookkeeping)
                .expect("common shape")
                .expect("valid");
            let reference = decode_two_passes::<false>(text.as_bytes()).expect("valid");
            assert_eq!(summary(&single), summary(&reference), "{text}");
            let single = decode_scanned(text.as_bytes(), ObjectParts::PodSecurity)
                .expect("common shape")
                .expect("valid");
            let reference = decode_two_passes::<true>(text.as_bytes()).expect("valid");
            assert_eq!(summary(&single), summary(&reference), "{text}");
        }
    }

    #[test]
    fn what_the_scanner_leaves_to_the_reference_gets_the_reference_error() {
        let cases = [
            "",
            "[]",
            "{}",
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}} x"#,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"},}"#,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","kind":"AdmissionReview","request":{"uid":"u"}}"#,
            r#"{"apiVersion":"v1","kind":"AdmissionReview","request":{"uid":"u"}}"#,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{}}}"#,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"a":1,"a":2}}}"#,
        ];
        for text in cases {
            let decoded =
                decode(text.as_bytes(), ObjectParts::AllButBookkeeping).map(|r| summary(&r));
            let reference = decode_two_passes::<false>(text.as_bytes()).map(|r| summary(&r));
            assert_eq!(decoded, reference, "{text}");
            let decoded = decode(text.as_bytes(), ObjectParts::PodSecurity).map(|r| summary(&r));
            let reference = decode_two_passes::<true>(text.as_bytes()).map(|r| summary(&r));
            assert_eq!(decoded, reference, "{text}");
        }
        assert!(decode(cases[4].as_bytes(), ObjectParts::PodSecurity)
            .err()
            .expect("trailing bytes")
            .contains("trailing characters"));
    }

    /// A request member: a key and the JSON text of its value, valid or not for the field.
    fn member(key: &'static str, values: &[&'static str]) -> impl Strategy<Value = String> {
        let values: Vec<&'static str> = values.to_vec();
        prop::sample::select(values).prop_map(move |v| format!("\"{key}\":{v}"))
    }

    /// Reviews of every shape the two decoders must agree on: members in any order, absent, repeated, of the
    /// wrong type, unknown, with escapes; objects valid, invalid or null.
    fn review_text() -> impl Strategy<Value = String> {
        let request = (
            member("uid", &[r#""u1""#, r#""""#, "null", "5", r#""\u0075""#]),
            member(
                "resource",
                &[
                    r#"{"group":"","resource":"pods"}"#,
                    r#"{"group":"apps","version":"v1","resource":"deployments"}"#,
                    r#"{"group":null}"#,
                    "null",
                    r#"["","pods"]"#,
                ],
            ),
            member("subResource", &[r#""ephemeralcontainers""#, "null"]),
            member("name", &[r#""p""#, "null", "1"]),
            member("namespace", &[r#""shop""#, r#""kube-system""#, "null"]),
            member("operation", &[r#""CREATE""#, r#""UPDATE""#, "null"]),
            member(
                "userInfo",
                &[
                    r#"{"username":"alice","groups":["a"]}"#,
                    r#"{"username":null}"#,
                    "{}",
                ],
            ),
            member(
                "object",
                &[
                    r#"{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","env":[{"name":"A"}]}]}}"#,
                    r#"{"kind":"Pod","spec":{"containers":[{"env":[{"name":"A","name":"B"}]}]}}"#,
                    r#"{"kind":"Pod","status":{"x":1,"x":2}}"#,
                    r#"{"a":-0,"b":1.5e3,"c":"\ud83d\ude00"}"#,
                    "null",
                    r#""text""#,
                ],
            ),
            member(
                "oldObject",
                &[r#"{"kind":"Pod"}"#, "null", r#"{"a":1,"a":2}"#],
            ),
            member("dryRun", &["false", r#"{"x":[1,{"y":"\u00e9"}]}"#]),
        );
        (request, 0usize..12, prop::bool::ANY, 0usize..4, " ?\n?").prop_flat_map(
            |(members, drop, repeat, envelope, space)| {
                let mut members = vec![
                    members.0, members.1, members.2, members.3, members.4, members.5, members.6,
                    members.7, members.8, members.9,
                ];
                if drop < members.len() {
                    members.remove(drop);
                }
                if repeat {
                    let again = members[0].clone();
                    members.push(again);
                }
                let separator = format!(",{space}");
                Just(members).prop_shuffle().prop_map(move |members| {
                    let request = format!("{{{}}}", members.join(&separator));
                    let (api_version, kind) = match envelope {
                        0 | 1 => ("admission.k8s.io/v1", "AdmissionReview"),
                        2 => ("admission.k8s.io/v1beta1", "AdmissionReview"),
                        _ => ("admission.k8s.io/v1", "Review"),
                    };
                    let mut envelope_members = [
                        format!(r#""apiVersion":"{api_version}""#),
                        format!(r#""kind":"{kind}""#),
                        format!(r#""request":{request}"#),
                    ];
                    if envelope == 1 {
                        envelope_members.reverse();
                    }
                    format!("{{{}}}", envelope_members.join(&separator))
                })
            },
        )
    }

    proptest! {
        #[test]
        fn the_scanner_and_the_reference_decode_every_review_alike(text in review_text()) {
            for parts in [ObjectParts::AllButBookkeeping, ObjectParts::PodSecurity] {
                let decoded = decode(text.as_bytes(), parts).map(|r| summary(&r));
                let reference = match parts {
                    ObjectParts::AllButBookkeeping => decode_two_passes::<false>(text.as_bytes()),
                    ObjectParts::PodSecurity => decode_two_passes::<true>(text.as_bytes()),
                }
                .map(|r| summary(&r));
                prop_assert_eq!(decoded, reference, "{:?}: {}", parts, text);
            }
        }
    }

    #[test]
    fn pod_security_parts_leave_out_unread_container_fields_and_status() {
        let text = body(
            r#"{"kind":"Pod","metadata":{"name":"p"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i","env":[{"name":"A","value":"1"}],"resources":{},"securityContext":{"privileged":true},"readinessProbe":{"httpGet":{"host":"h"}}}]},"status":{"phase":"Running"}}"#,
        );
        let full = decode(text.as_bytes(), ObjectParts::AllButBookkeeping).expect("valid");
        let lean = decode(text.as_bytes(), ObjectParts::PodSecurity).expect("valid");
        let full = full.object.get().expect("decoded").expect("present");
        let lean = lean.object.get().expect("decoded").expect("present");
        let container = |root: &Node| -> Vec<String> {
            root.path(&["spec", "containers"])
                .and_then(Node::as_seq)
                .and_then(|items| items.first())
                .and_then(Node::as_map)
                .map(|entries| entries.iter().map(|e| e.key.clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            container(full),
            [
                "name",
                "image",
                "env",
                "resources",
                "securityContext",
                "readinessProbe"
            ]
        );
        assert_eq!(
            container(lean),
            ["name", "image", "securityContext", "readinessProbe"]
        );
        assert!(full.get("status").is_some());
        assert_eq!(lean.get("status"), None);
        assert_eq!(lean.get("metadata"), full.get("metadata"));
        assert_eq!(
            lean.path(&["spec", "hostNetwork"]),
            full.path(&["spec", "hostNetwork"])
        );
    }

    #[test]
    fn pod_security_parts_reject_what_the_full_build_rejects() {
        // A duplicate key inside a skipped field (env) is still an error of the object, as in the full build.
        let text = body(
            r#"{"kind":"Pod","spec":{"containers":[{"name":"c","env":[{"name":"A","name":"B"}]}]}}"#,
        );
        for parts in [ObjectParts::AllButBookkeeping, ObjectParts::PodSecurity] {
            let request = decode(text.as_bytes(), parts).expect("the request itself is fine");
            let err = request.object.get().expect_err("duplicate key");
            assert_eq!(
                err, "duplicate key \"name\" at line 1 column 73",
                "{parts:?}"
            );
        }
    }
}
