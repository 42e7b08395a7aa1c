//! Detection of unrendered Helm / Go template text.
//!
//! Go template actions (`{{ ... }}`) are legitimate inside quoted strings, block scalars (`|`, `>`) and comments:
//! Prometheus rules, Argo workflows and Grafana dashboards carry them on purpose. They are a sign of an unrendered
//! chart only where YAML expects a value or a structure:
//!
//! - a node that starts with `{{` (a line `{{- if .Values.x }}`, `key: {{ .Values.x }}`, `- {{ include ... }}`);
//! - inside a plain (unquoted) scalar, an action that is unmistakably Helm: a trim marker (`{{-`, `-}}`) or a
//!   reference to Helm's objects and functions (`.Values`, `.Release`, `include`, `toYaml`, `if`, `end`, ...).
//!   Plain `{{.ID}}`-style format strings (e.g. `--format={{.Names}}`) are valid YAML and are left alone.

/// The message given for a document that looks like a Helm template.
pub(crate) const HELM_MESSAGE: &str =
    "this looks like a Helm/Go template ({{ ... }}), not a rendered manifest; \
render it first: helm template <release> <chart> | mamori scan -";

/// Where template text was found: 1-based line within the text and 1-based column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateAt {
    pub line: u32,
    pub col: u32,
}

/// Helm-specific words that may follow `{{` (after an optional trim marker and spaces) inside a plain scalar.
const HELM_WORDS: &[&str] = &[
    ".Values",
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    ".Template",
    "$.",
    "include ",
    "template ",
    "tpl ",
    "toYaml",
    "toJson",
    "if ",
    "else",
    "end",
    "range ",
    "with ",
    "define ",
    "default ",
    "required ",
    "quote ",
    "printf ",
    "lookup ",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    /// Inside a double-quoted scalar that continues on the next line.
    DoubleQuoted,
    /// Inside a single-quoted scalar that continues on the next line.
    SingleQuoted,
    /// Inside a block scalar whose content lines are indented more than `parent_indent`.
    Block {
        parent_indent: isize,
    },
}

/// Returns where a document's text first looks like an unrendered Helm/Go template, or `None`.
pub fn looks_like_helm_template(text: &str) -> Option<TemplateAt> {
    // Almost every document has no `{{` at all; only those get the careful scan.
    memchr::memmem::find(text.as_bytes(), b"{{")?;
    let mut scanner = Scanner {
        state: State::Normal,
        flow_depth: 0,
    };
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(byte_col) = scanner.scan_line(line) {
            let col = line
                .get(..byte_col)
                .map_or(byte_col, |prefix| prefix.chars().count())
                + 1;
            return Some(TemplateAt {
                line: u32::try_from(index + 1).unwrap_or(u32::MAX),
                col: u32::try_from(col).unwrap_or(u32::MAX),
            });
        }
    }
    None
}

struct Scanner {
    state: State,
    flow_depth: usize,
}

fn is_blank(byte: Option<&u8>) -> bool {
    matches!(byte, None | Some(b' ' | b'\t'))
}

/// Index just past the closing quote of a double-quoted scalar whose content starts at `from`.
fn end_of_double_quoted(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(byte) = bytes.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Index just past the closing quote of a single-quoted scalar whose content starts at `from` (`''` escapes).
fn end_of_single_quoted(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(byte) = bytes.get(i) {
        if *byte == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// True when `{{` at the start of `rest` is unmistakably a Helm action.
fn is_helm_action(rest: &str) -> bool {
    let inner = rest.get(2..).unwrap_or_default();
    if inner.starts_with('-') {
        return true;
    }
    let inner = inner.trim_start_matches([' ', '\t']);
    HELM_WORDS.iter().any(|word| inner.starts_with(word))
}

/// True when a block scalar header (`|`, `>-`, `|2+` ...) spans the rest of the line from `at`.
fn is_block_header(bytes: &[u8], at: usize) -> bool {
    let mut i = at + 1;
    while matches!(bytes.get(i), Some(b'0'..=b'9' | b'+' | b'-')) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    matches!(bytes.get(i), None | Some(b'#'))
}

impl Scanner {
    /// Scans one line; returns the byte column of template text, if any.
    fn scan_line(&mut self, line: &str) -> Option<usize> {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        let mut i = 0;
        // Whether the cursor is where a new node may start (and so `{{` would be a template action).
        let mut at_node_start = true;
        match self.state {
            State::Block { parent_indent } => {
                if indent == bytes.len()
                    || isize::try_from(indent).unwrap_or(isize::MAX) > parent_indent
                {
                    return None;
                }
                self.state = State::Normal;
            }
            State::DoubleQuoted => match end_of_double_quoted(bytes, 0) {
                Some(end) => {
                    self.state = State::Normal;
                    i = end;
                    at_node_start = false;
                }
                None => return None,
            },
            State::SingleQuoted => match end_of_single_quoted(bytes, 0) {
                Some(end) => {
                    self.state = State::Normal;
                    i = end;
                    at_node_start = false;
                }
                None => return None,
            },
            State::Normal => {}
        }
        // Column of the node a block scalar on this line would belong to (-1: the document root).
        let mut parent_indent: isize = -1;
        loop {
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            let &byte = bytes.get(i)?;
            if byte == b'#' && (i == 0 || is_blank(bytes.get(i - 1))) {
                return None;
            }
            let col = isize::try_from(i).unwrap_or(isize::MAX);
            if !at_node_start {
                match byte {
                    b':' if is_blank(bytes.get(i + 1)) || self.flow_depth > 0 => {
                        at_node_start = true
                    }
                    b',' if self.flow_depth > 0 => at_node_start = true,
                    b']' | b'}' => self.flow_depth = self.flow_depth.saturating_sub(1),
                    _ => {}
                }
                i += 1;
                continue;
            }
            match byte {
                b'{' if bytes.get(i + 1) == Some(&b'{') => return Some(i),
                b'-' | b'?' if is_blank(bytes.get(i + 1)) => {
                    parent_indent = col;
                    i += 1;
                }
                b'[' | b'{' => {
                    self.flow_depth += 1;
                    i += 1;
                }
                b']' | b'}' => {
                    self.flow_depth = self.flow_depth.saturating_sub(1);
                    at_node_start = false;
                    i += 1;
                }
                b',' if self.flow_depth > 0 => i += 1,
                b'"' => {
                    parent_indent = col;
                    match end_of_double_quoted(bytes, i + 1) {
                        Some(end) => {
                            i = end;
                            at_node_start = false;
                        }
                        None => {
                            self.state = State::DoubleQuoted;
                            return None;
                        }
                    }
                }
                b'\'' => {
                    parent_indent = col;
                    match end_of_single_quoted(bytes, i + 1) {
                        Some(end) => {
                            i = end;
                            at_node_start = false;
                        }
                        None => {
                            self.state = State::SingleQuoted;
                            return None;
                        }
                    }
                }
                b'|' | b'>' if is_block_header(bytes, i) => {
                    self.state = State::Block { parent_indent };
                    return None;
                }
                b'&' | b'!' | b'*' => {
                    while !is_blank(bytes.get(i)) {
                        i += 1;
                    }
                    at_node_start = byte != b'*';
                }
                _ => {
                    // A plain scalar (possibly a key): runs to `: `, ` #`, a flow indicator in flow context, or
                    // the end of the line.
                    parent_indent = col;
                    loop {
                        let &c = bytes.get(i)?;
                        if c == b'{'
                            && bytes.get(i + 1) == Some(&b'{')
                            && is_helm_action(line.get(i..)?)
                        {
                            return Some(i);
                        }
                        if c == b':' && (is_blank(bytes.get(i + 1)) || self.flow_depth > 0) {
                            i += 1;
                            break;
                        }
                        if c == b'#' && is_blank(bytes.get(i.wrapping_sub(1))) && i > 0 {
                            return None;
                        }
                        if self.flow_depth > 0 && matches!(c, b',' | b']' | b'}') {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(u32, u32)> {
        looks_like_helm_template(text).map(|t| (t.line, t.col))
    }

    #[test]
    fn flags_template_structure() {
        assert_eq!(at("{{- if .Values.enabled }}\nkind: Pod\n"), Some((1, 1)));
        assert_eq!(
            at("kind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"),
            Some((3, 9))
        );
        assert_eq!(at("items:\n  - {{ include \"x\" . }}\n"), Some((2, 5)));
        assert_eq!(at("name: app-{{ .Release.Name }}\n"), Some((1, 11)));
        assert_eq!(at("a: [x, {{ .Values.y }}]\n"), Some((1, 8)));
        assert_eq!(
            at("spec:\n  {{- toYaml .Values.spec | nindent 2 }}\n"),
            Some((2, 3))
        );
    }

    #[test]
    fn leaves_legitimate_braces_alone() {
        assert_eq!(
            at("expr: \"rate(x{job=\\\"{{ $labels.job }}\\\"}[5m])\"\n"),
            None
        );
        assert_eq!(at("summary: '{{ $value }} is high'\n"), None);
        assert_eq!(
            at("script: |\n  echo {{ .Values.x }}\n  {{- end }}\nkind: Pod\n"),
            None
        );
        assert_eq!(
            at("- name: a\n  args: >-\n    {{workflow.name}}\nnext: 1\n"),
            None
        );
        assert_eq!(at("# {{ .Values.commented }}\nkind: Pod\n"), None);
        assert_eq!(at("args: [\"--format\", \"{{.Names}}\"]\n"), None);
        assert_eq!(at("args:\n  - --format={{.ID}}\n"), None);
        assert_eq!(
            at("msg: \"multi\n  line {{ x }}\n  end\"\nkind: Pod\n"),
            None
        );
        assert_eq!(at("kind: Pod # {{ x }}\n"), None);
    }

    #[test]
    fn block_scalar_ends_at_dedent() {
        assert_eq!(
            at("a: |\n  {{ fine }}\nb: {{ .Values.bad }}\n"),
            Some((3, 4))
        );
    }
}
