//! What can go wrong talking to a cluster, as one-line messages that say what to do.

use std::fmt;

/// Where a LIST looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// A cluster-scoped kind.
    Cluster,
    /// A namespaced kind across all namespaces.
    AllNamespaces,
    /// A namespaced kind in one namespace (or the Namespace object of that name).
    Namespace(String),
}

/// Which LIST failed: verb `list` on `plural` in `group`, in `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTarget {
    pub group: &'static str,
    pub plural: &'static str,
    pub scope: ListScope,
}

impl fmt::Display for ListTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (group \"{}\", ", self.plural, self.group)?;
        match &self.scope {
            ListScope::Cluster => f.write_str("cluster-scoped)"),
            ListScope::AllNamespaces => f.write_str("all namespaces)"),
            ListScope::Namespace(namespace) => write!(f, "namespace \"{namespace}\")"),
        }
    }
}

/// A failure to read from the cluster. `Display` is one line naming what failed and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No usable client configuration: kubeconfig unreadable or invalid, unknown context, not in a cluster.
    #[error("cannot load the cluster configuration: {message}")]
    Config { message: String },
    /// `--namespace` is not a valid namespace name (it becomes part of request URLs).
    #[error("invalid namespace {namespace:?}: a namespace name is a DNS label (lowercase letters, digits and '-', at most 63 characters)")]
    InvalidNamespace { namespace: String },
    /// The API server could not be reached (connection refused, DNS, TLS verification, timeout).
    #[error("cannot reach the API server at {server} (context \"{context}\"): {cause}")]
    Unreachable {
        server: String,
        context: String,
        cause: String,
    },
    /// 401: the server did not accept the credentials.
    #[error("the API server at {server} rejected the credentials of context \"{context}\" (401 Unauthorized: {message}): they are missing, expired or invalid; log in again or refresh the kubeconfig")]
    Unauthorized {
        server: String,
        context: String,
        message: String,
    },
    /// 403 on a LIST: the credentials lack the `list` permission on the kind.
    #[error("cannot list {target}: forbidden: the credentials lack \"list\" on \"{plural}\"{in_group}; grant it (see deploy/mamori-reader-clusterrole.yaml)", plural = target.plural, in_group = group_note(target.group))]
    Forbidden { target: ListTarget, message: String },
    /// 410 Gone on a continued LIST without a token to resume with: the kind was read only in part.
    #[error("cannot finish listing {target}: the continue token expired (410 Gone) after {read} objects and the server offered no token to resume; those objects are incomplete, run again")]
    ListExpired {
        target: ListTarget,
        read: u64,
        message: String,
    },
    /// Any other unsuccessful answer to a LIST.
    #[error("cannot list {target}: the API server answered {code}: {message}")]
    Api {
        target: ListTarget,
        code: u16,
        message: String,
    },
    /// The LIST answer could not be used (connection lost mid-body, too large, not a list).
    #[error("cannot list {target}: {message}")]
    Response { target: ListTarget, message: String },
}

fn group_note(group: &str) -> String {
    if group.is_empty() {
        String::new()
    } else {
        format!(" in API group \"{group}\"")
    }
}

/// Server-provided text made safe for a one-line terminal message: control characters escaped, length capped.
pub(crate) fn clean(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(group: &'static str, plural: &'static str, scope: ListScope) -> ListTarget {
        ListTarget {
            group,
            plural,
            scope,
        }
    }

    #[test]
    fn forbidden_names_kind_scope_and_permission() {
        let error = ClusterError::Forbidden {
            target: target("", "secrets", ListScope::Namespace("x".into())),
            message: "secrets is forbidden".into(),
        };
        assert_eq!(
            error.to_string(),
            "cannot list secrets (group \"\", namespace \"x\"): forbidden: the credentials lack \"list\" on \
             \"secrets\"; grant it (see deploy/mamori-reader-clusterrole.yaml)"
        );
        let error = ClusterError::Forbidden {
            target: target(
                "rbac.authorization.k8s.io",
                "clusterroles",
                ListScope::Cluster,
            ),
            message: String::new(),
        };
        assert!(error.to_string().starts_with(
            "cannot list clusterroles (group \"rbac.authorization.k8s.io\", cluster-scoped): forbidden: the \
             credentials lack \"list\" on \"clusterroles\" in API group \"rbac.authorization.k8s.io\";"
        ));
    }

    #[test]
    fn clean_escapes_control_characters_and_caps_length() {
        assert_eq!(clean("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(clean(&"x".repeat(400)).chars().count(), 301);
    }
}
