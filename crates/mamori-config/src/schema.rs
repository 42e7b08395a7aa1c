//! Shape checks shared by the section parsers (`parse` for mamori.yaml, `admission` for its `admission:`
//! section), so both word their errors the same way.

use crate::suggest::closest;
use mamori_model::{Entry, Node, Pos};

/// The entries of a map (nothing for null), reporting through `error` a value that is not a map and every key
/// not in `known` (with the closest known key as a hint, or the full list when none is close).
pub(crate) fn map_entries<'n>(
    node: &'n Node,
    what: &str,
    known: &[&str],
    mut error: impl FnMut(Pos, String),
) -> &'n [Entry] {
    if node.is_null() {
        return &[];
    }
    let Some(entries) = node.as_map() else {
        error(
            node.pos,
            format!("{what} must be a map, found a {}", node.type_name()),
        );
        return &[];
    };
    for entry in entries {
        if !known.contains(&entry.key.as_str()) {
            let hint = closest(&entry.key, known.iter().copied()).map_or_else(
                || format!(" (expected one of: {})", known.join(", ")),
                |k| format!(" (did you mean {k:?}?)"),
            );
            error(
                entry.key_pos,
                format!("unknown key {:?} in {what}{hint}", entry.key),
            );
        }
    }
    entries
}
