//! Container image references, parsed exactly as the kubelet and the container runtimes read them
//! (`github.com/distribution/reference`, `ParseNormalizedNamed`), plus the non-allocating container walk and the
//! registry-pattern matching the image and workload rules share.
//!
//! Grammar (distribution/reference `reference.go`):
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | IPv4address | '[' IPv6address ']'
//! domain-name      := domain-component ['.' domain-component]*
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! port-number      := /[0-9]+/
//! remote-name      := path-component ['/' path-component]*
//! path-component   := alpha-numeric [separator alpha-numeric]*
//! alpha-numeric    := /[a-z0-9]+/
//! separator        := /[_.]|__|[-]+/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" hex        algorithm := /[A-Za-z][A-Za-z0-9]*([+._-][A-Za-z][A-Za-z0-9]*)*/
//!                                              hex       := /[0-9a-fA-F]{32,}/
//! ```
//!
//! Normalisation (`splitDockerDomain`): the part before the first `/` is a registry host only when it contains
//! `.` or `:`, is `localhost`, or has an upper-case letter; otherwise the image is on Docker Hub (`docker.io`),
//! and a single-component Docker Hub name gets the `library/` prefix (`nginx` = `docker.io/library/nginx`).
//! `index.docker.io` is the legacy name of `docker.io`. A `:` after the last `/` starts the tag; a `:` before it
//! belongs to the registry port (`localhost:5000/app` has no tag).

use mamori_model::Node;
use std::fmt;

/// The Docker Hub registry, the default of unqualified names.
pub const DOCKER_HUB: &str = "docker.io";
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_LENGTH_MAX: usize = 128;

/// A parsed image reference. Borrowed from the input: parsing never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry as written (`registry.example.com:5000`, `[::1]:5000`), None for Docker Hub short names.
    pub domain: Option<&'a str>,
    /// The repository path as written, without the registry (`shop/web`, `nginx`).
    pub path: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:…`
    pub digest: Option<&'a str>,
}

/// Why a string is not an image reference (distribution/reference's error texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRefError {
    /// `repository name must have at least one component`
    Empty,
    /// `invalid reference format`
    InvalidFormat,
    /// `invalid reference format: repository name (…) must be lowercase`
    NotLowercase,
    /// `repository name must not be more than 255 characters`
    NameTooLong,
    /// `invalid repository name (…), cannot specify 64-byte hexadecimal strings`
    HexadecimalName,
    /// `invalid digest format` (a malformed `@…` part)
    InvalidDigest,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageRefError::Empty => "repository name must have at least one component",
            ImageRefError::InvalidFormat => "invalid reference format",
            ImageRefError::NotLowercase => {
                "invalid reference format: repository name must be lowercase"
            }
            ImageRefError::NameTooLong => "repository name must not be more than 255 characters",
            ImageRefError::HexadecimalName => {
                "invalid repository name, cannot specify 64-byte hexadecimal strings"
            }
            ImageRefError::InvalidDigest => "invalid digest format",
        })
    }
}

impl std::error::Error for ImageRefError {}

impl<'a> ImageRef<'a> {
    /// Parses `text` as `ParseNormalizedNamed` does (the kubelet's reading of `image:`).
    pub fn parse(text: &'a str) -> Result<ImageRef<'a>, ImageRefError> {
        if text.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if is_hex64(text) {
            return Err(ImageRefError::HexadecimalName);
        }
        // A name never contains '@', so the first one starts the digest.
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((before, digest)) => (before, Some(digest)),
            None => (text, None),
        };
        if let Some(digest) = digest {
            if !is_digest(digest) {
                return Err(ImageRefError::InvalidDigest);
            }
        }
        // The tag is after the last ':' only when no '/' follows it (else the ':' is a registry port).
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(i) if !name_and_tag[i..].contains('/') => {
                (&name_and_tag[..i], Some(&name_and_tag[i + 1..]))
            }
            _ => (name_and_tag, None),
        };
        if let Some(tag) = tag {
            if !is_tag(tag) {
                return Err(ImageRefError::InvalidFormat);
            }
        }
        if name.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ImageRefError::NameTooLong);
        }
        let (domain, path) = split_domain(name);
        if let Some(domain) = domain {
            if !is_domain(domain) {
                return Err(ImageRefError::InvalidFormat);
            }
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ImageRefError::NotLowercase);
        }
        if !is_remote_name(path) {
            return Err(ImageRefError::InvalidFormat);
        }
        Ok(ImageRef {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The registry after normalisation: `docker.io` for short names and `index.docker.io`.
    pub fn registry(&self) -> &'a str {
        match self.domain {
            None => DOCKER_HUB,
            Some(d) if d == LEGACY_DOCKER_HUB => DOCKER_HUB,
            Some(d) => d,
        }
    }

    /// Whether the image comes from Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry() == DOCKER_HUB
    }

    /// Whether Docker Hub's `library/` prefix is implied (`nginx` → `library/nginx`).
    fn implied_library(&self) -> bool {
        self.is_docker_hub() && !self.path.contains('/')
    }

    /// The fully qualified repository name, `docker.io/library/nginx` (allocates: for messages).
    pub fn normalized_name(&self) -> String {
        let library = if self.implied_library() {
            OFFICIAL_PREFIX
        } else {
            ""
        };
        format!("{}/{library}{}", self.registry(), self.path)
    }

    /// The registry host without its port (`[::1]` keeps its brackets).
    pub fn host(&self) -> &'a str {
        split_port(self.registry()).0
    }

    /// The registry port when one is written (`5000`).
    pub fn port(&self) -> Option<&'a str> {
        split_port(self.registry()).1
    }

    /// Whether the registry is named by an IPv4 or a bracketed IPv6 literal.
    pub fn host_is_ip_literal(&self) -> bool {
        let host = self.host();
        host.starts_with('[') || is_ipv4(host)
    }

    /// Whether the registry is this machine (`localhost`, `127.0.0.0/8`, `[::1]`): for a pod that is the node.
    pub fn host_is_loopback(&self) -> bool {
        let host = self.host();
        host.eq_ignore_ascii_case("localhost")
            || host == "[::1]"
            || (is_ipv4(host) && host.starts_with("127."))
    }

    /// Whether the normalised repository lies under `pattern`: a registry host (with its port when it has one,
    /// compared case-insensitively) and an optional repository path prefix matched at `/` boundaries
    /// (`ghcr.io/org` covers `ghcr.io/org/app`, not `ghcr.io/organisation/app`). `docker.io` and
    /// `index.docker.io` name Docker Hub, where `docker.io/library` covers the official images (`nginx`).
    /// A trailing `/` is ignored; an `http://` or `https://` prefix is ignored. Never allocates.
    pub fn is_under(&self, pattern: &str) -> bool {
        let pattern = pattern
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let (pattern_registry, pattern_path) = match pattern.split_once('/') {
            Some((registry, path)) => (registry, Some(path)),
            None => (pattern, None),
        };
        let pattern_registry = if pattern_registry.eq_ignore_ascii_case(LEGACY_DOCKER_HUB) {
            DOCKER_HUB
        } else {
            pattern_registry
        };
        if pattern_registry.is_empty() || !pattern_registry.eq_ignore_ascii_case(self.registry()) {
            return false;
        }
        let Some(prefix) = pattern_path else {
            return true;
        };
        // Compare against the path with the implied `library/` without building it.
        let path = self.path;
        if self.implied_library() {
            match prefix.strip_prefix("library") {
                Some("") => true,
                Some(rest) => match rest.strip_prefix('/') {
                    Some(rest) => path_under(path, rest),
                    None => false,
                },
                None => false,
            }
        } else {
            path_under(path, prefix)
        }
    }
}

/// `path` equals `prefix` or continues it after a `/`.
fn path_under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// `splitDockerDomain`: the first component is a registry when it has `.`, `:`, is `localhost` or has upper case.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// Splits `host[:port]`, minding the colons inside a bracketed IPv6 literal.
fn split_port(domain: &str) -> (&str, Option<&str>) {
    let host_end = if domain.starts_with('[') {
        domain.find(']').map_or(domain.len(), |i| i + 1)
    } else {
        domain.find(':').unwrap_or(domain.len())
    };
    let (host, rest) = domain.split_at(host_end);
    (host, rest.strip_prefix(':'))
}

fn is_domain(domain: &str) -> bool {
    let (host, port) = split_port(domain);
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    } else if host.len() != domain.len() {
        return false; // text after `]` that is not `:port`
    }
    if let Some(inner) = host.strip_prefix('[') {
        let Some(ipv6) = inner.strip_suffix(']') else {
            return false;
        };
        return !ipv6.is_empty() && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    !host.is_empty() && host.split('.').all(is_domain_component)
}

fn is_domain_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

fn is_remote_name(path: &str) -> bool {
    path.split('/').all(is_path_component)
}

/// `alpha-numeric [separator alpha-numeric]*` with separator `[_.]|__|[-]+`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    let mut expect_alnum = true;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            expect_alnum = false;
            continue;
        }
        if expect_alnum {
            return false;
        }
        let run_start = i;
        match b {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        debug_assert!(i > run_start);
        expect_alnum = true;
    }
    !expect_alnum
}

fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            word(*first)
                && bytes.len() <= TAG_LENGTH_MAX
                && rest.iter().all(|b| word(*b) || *b == b'.' || *b == b'-')
        }
        None => false,
    }
}

fn is_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|component| {
        let bytes = component.as_bytes();
        matches!(bytes.split_first(), Some((first, rest))
            if first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_alphanumeric))
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_hex64(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_ipv4(host: &str) -> bool {
    let mut parts = 0;
    for part in host.split('.') {
        parts += 1;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if part.parse::<u16>().map_or(true, |n| n > 255) {
            return false;
        }
    }
    parts == 4
}

/// One container of a pod spec, found without allocating (the path is built only when a finding is emitted).
#[derive(Clone, Copy)]
pub struct ContainerSlot<'a> {
    /// `initContainers`, `containers` or `ephemeralContainers`.
    pub list: &'static str,
    pub index: usize,
    pub node: &'a Node,
}

impl<'a> ContainerSlot<'a> {
    /// The container's `name` ("" when absent).
    pub fn name(&self) -> &'a str {
        self.node.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// `spec.template.spec.containers[1]` (allocates: call it when emitting).
    pub fn path(&self, spec_path: &str) -> String {
        format!("{spec_path}.{}[{}]", self.list, self.index)
    }

    /// `container "web"` / `init container "setup"` / `ephemeral container "debug"`, for messages.
    pub fn describe(&self) -> String {
        let what = match self.list {
            "initContainers" => "init container",
            "ephemeralContainers" => "ephemeral container",
            _ => "container",
        };
        format!("{what} {:?}", self.name())
    }
}

/// The containers of a pod spec in PSA's order (init, regular, ephemeral); entries that are not maps are skipped.
pub fn container_slots(spec: &Node) -> impl Iterator<Item = ContainerSlot<'_>> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |list| {
            spec.get(list)
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter(|(_, node)| node.as_map().is_some())
                .map(move |(index, node)| ContainerSlot { list, index, node })
        })
}

/// The `image` of one container, with its node (for the finding position).
#[derive(Clone, Copy)]
pub struct ContainerImage<'a> {
    pub slot: ContainerSlot<'a>,
    /// The `image` value node.
    pub node: &'a Node,
    pub text: &'a str,
}

impl ContainerImage<'_> {
    /// `spec.template.spec.containers[1].image` (allocates: call it when emitting).
    pub fn path(&self, spec_path: &str) -> String {
        format!("{}.image", self.slot.path(spec_path))
    }
}

/// The string `image` of every container (init, regular, ephemeral) of a pod spec; absent or non-string images
/// are skipped (the API server rejects them; PSS evaluation reports wrong types).
pub fn container_images(spec: &Node) -> impl Iterator<Item = ContainerImage<'_>> {
    container_slots(spec).filter_map(|slot| {
        let node = slot.node.get("image")?;
        let text = node.as_str()?;
        Some(ContainerImage { slot, node, text })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ImageRef<'_> {
        match ImageRef::parse(text) {
            Ok(image) => image,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn short_names_are_docker_hub_library() {
        let image = parse("nginx");
        assert_eq!(image.domain, None);
        assert_eq!(image.registry(), "docker.io");
        assert_eq!(image.path, "nginx");
        assert_eq!(image.tag, None);
        assert_eq!(image.normalized_name(), "docker.io/library/nginx");
        assert_eq!(
            parse("bitnami/redis:7").normalized_name(),
            "docker.io/bitnami/redis"
        );
        assert_eq!(
            parse("index.docker.io/library/nginx").normalized_name(),
            "docker.io/library/nginx"
        );
        assert_eq!(
            parse("docker.io/nginx").normalized_name(),
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn registry_host_detection() {
        assert_eq!(parse("localhost/app").domain, Some("localhost"));
        assert_eq!(parse("localhost:5000/app").domain, Some("localhost:5000"));
        assert_eq!(
            parse("registry.example.com/a/b").domain,
            Some("registry.example.com")
        );
        assert_eq!(parse("myregistry:5000/app").domain, Some("myregistry:5000"));
        // No dot, no colon, not localhost: a Docker Hub user.
        assert_eq!(parse("myregistry/app").domain, None);
        // Upper case in the first component makes it a host (it cannot be a repository).
        assert_eq!(parse("Registry/app").domain, Some("Registry"));
        assert_eq!(parse("[::1]:5000/app").domain, Some("[::1]:5000"));
        assert_eq!(parse("10.0.0.5/app").domain, Some("10.0.0.5"));
    }

    #[test]
    fn tag_versus_port() {
        let image = parse("localhost:5000/app");
        assert_eq!((image.tag, image.port()), (None, Some("5000")));
        let image = parse("localhost:5000/app:1.2");
        assert_eq!((image.tag, image.port()), (Some("1.2"), Some("5000")));
        assert_eq!(image.host(), "localhost");
        let image = parse("nginx:1.25-alpine");
        assert_eq!(image.tag, Some("1.25-alpine"));
        assert_eq!(image.path, "nginx");
        let image = parse("[::1]:5000/app:v1");
        assert_eq!(
            (image.host(), image.port(), image.tag),
            ("[::1]", Some("5000"), Some("v1"))
        );
    }

    #[test]
    fn digests() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let text = format!("nginx@sha256:{hex}");
        let image = parse(&text);
        assert_eq!(image.digest, Some(format!("sha256:{hex}").as_str()));
        assert_eq!(image.tag, None);
        let text = format!("ghcr.io/org/app:1.0@sha256:{hex}");
        let image = parse(&text);
        assert_eq!((image.tag, image.path), (Some("1.0"), "org/app"));
        assert!(image.digest.is_some());
        assert_eq!(
            ImageRef::parse("nginx@sha256:abc"),
            Err(ImageRefError::InvalidDigest)
        );
        assert_eq!(ImageRef::parse("nginx@"), Err(ImageRefError::InvalidDigest));
        assert_eq!(ImageRef::parse(hex), Err(ImageRefError::HexadecimalName));
    }

    #[test]
    fn invalid_references() {
        for text in [
            "",
            ":tag",
            "http://registry.example.com/app",
            "app:",
            "app:-bad",
            "a//b",
            "a/b/",
            "-a/b",
            "a-/b:1",
            "reg.example.com:port/app",
            "reg..example.com/app",
            "app:tag with space",
            "[::1/app",
            "app__-x",
            "a___b",
        ] {
            assert!(ImageRef::parse(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(
            ImageRef::parse("docker.io/Nginx"),
            Err(ImageRefError::NotLowercase)
        );
        let long_tag = format!("app:{}", "a".repeat(129));
        assert!(ImageRef::parse(&long_tag).is_err());
        let long_name = format!("a/{}", "b".repeat(260));
        assert_eq!(ImageRef::parse(&long_name), Err(ImageRefError::NameTooLong));
    }

    #[test]
    fn separators() {
        for text in [
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a-b_c.d",
            "a.b/c__d/e--f",
        ] {
            assert!(ImageRef::parse(text).is_ok(), "{text:?} rejected");
        }
        for text in ["a..b", "a._b", "a_.b", "a.", ".a", "a-", "a_-b"] {
            assert!(ImageRef::parse(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn host_classes() {
        assert!(parse("127.0.0.1:5000/app").host_is_loopback());
        assert!(parse("localhost/app").host_is_loopback());
        assert!(parse("[::1]/app").host_is_loopback());
        assert!(!parse("10.1.2.3/app").host_is_loopback());
        assert!(parse("10.1.2.3/app").host_is_ip_literal());
        assert!(parse("[fd00::1]:5000/app").host_is_ip_literal());
        assert!(!parse("1.2.3.4.example.com/app").host_is_ip_literal());
        assert!(!parse("300.1.1.1/app").host_is_ip_literal());
    }

    #[test]
    fn registry_patterns() {
        let image = parse("ghcr.io/org/app:1");
        assert!(image.is_under("ghcr.io"));
        assert!(image.is_under("GHCR.io/org"));
        assert!(image.is_under("ghcr.io/org/"));
        assert!(image.is_under("ghcr.io/org/app"));
        assert!(!image.is_under("ghcr.io/or"));
        assert!(!image.is_under("ghcr.io/org/app2"));
        assert!(!image.is_under("ghcr.io:443"));
        assert!(!image.is_under("docker.io"));
        let hub = parse("nginx:1.25");
        assert!(hub.is_under("docker.io"));
        assert!(hub.is_under("index.docker.io"));
        assert!(hub.is_under("docker.io/library"));
        assert!(hub.is_under("docker.io/library/nginx"));
        assert!(!hub.is_under("docker.io/library/nginx-extra"));
        assert!(!hub.is_under("docker.io/nginx-org"));
        let user = parse("bitnami/redis");
        assert!(user.is_under("docker.io/bitnami"));
        assert!(!user.is_under("docker.io/library"));
        assert!(parse("localhost:5000/app").is_under("localhost:5000"));
        assert!(!parse("localhost:5000/app").is_under("localhost"));
        assert!(!hub.is_under(""));
    }
}
