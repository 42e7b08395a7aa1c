//! Message helpers shared by the checks (`policy/helpers.go`): pluralisation, `joinQuote`, sorted sets.

/// `singular` iff `count == 1` (upstream `pluralize`).
pub(crate) fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 {
        singular
    } else {
        plural
    }
}

/// `"a", "b"` — items wrapped in one pair of quotes joined by `", "`, no escaping; empty for no items
/// (upstream `joinQuote`).
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from("\"");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str("\", \"");
        }
        out.push_str(item.as_ref());
    }
    out.push('"');
    out
}

/// `container "a"` / `containers "a", "b"`.
pub(crate) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// Sorts bytewise and removes duplicates, like Go's `sets.List()`.
pub(crate) fn sorted_set<S: AsRef<str> + Ord>(mut items: Vec<S>) -> Vec<S> {
    items.sort_unstable();
    items.dedup_by(|a, b| a.as_ref() == b.as_ref());
    items
}

/// `pod`, `container(s) "a", ...` or `pod and container(s) ...` (the `badSetters` join of several checks).
pub(crate) fn setters<S: AsRef<str>>(pod: bool, containers: &[S]) -> String {
    match (pod, containers.is_empty()) {
        (true, true) => String::from("pod"),
        (true, false) => format!("pod and {}", containers_phrase(containers)),
        (false, _) => containers_phrase(containers),
    }
}
