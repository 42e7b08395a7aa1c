//! Go's `%q` (`strconv.Quote`) for strings, used in annotation details and `violates PodSecurity %q`.

use std::fmt::Write;
use unicode_general_category::{get_general_category, GeneralCategory};

/// Quotes `text` exactly like Go's `strconv.Quote`: `\"` and `\\` escaped, `\a \b \f \n \r \t \v` named,
/// other ASCII controls and DEL as `\xNN`, other non-printable runes as `\uNNNN`/`\UNNNNNNNN`, printable
/// non-ASCII kept as is. This is not JSON escaping (U+0001 is `\x01`, not `\u0001`).
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ if is_go_printable(ch) => out.push(ch),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            _ => {
                let code = u32::from(ch);
                // Writing to a String cannot fail.
                let _ = if code < 0x20 || code == 0x7f {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
fn is_go_printable(ch: char) -> bool {
    if ch.is_ascii() {
        return (' '..='~').contains(&ch);
    }
    !matches!(
        get_general_category(ch),
        GeneralCategory::SpaceSeparator
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
    )
}
