//! Inputs (files, directories, `-` for stdin) → a stream of raw documents → Kubernetes objects.
//!
//! # Streaming and limits
//!
//! Input is never read whole into memory. A buffered reader splits each YAML stream into documents at lines that
//! are a document marker (`---` or `...` at column 0, followed by whitespace or the end of the line) and hands
//! each document to the caller as soon as it is complete. Memory therefore stays bounded by the largest document
//! kept, which is itself bounded:
//!
//! - **Document size** — [`Limits::max_document_bytes`] (64 MiB by default). A larger document yields one error
//!   (`file:line:1: document 3 is larger than the 64 MiB limit (raise with --max-document-size)`); the reader then
//!   discards bytes up to the next document marker without buffering them. A `.json` file is one document and is
//!   limited the same way.
//! - **Depth, node count, aliases** — enforced by [`mamori_yaml::parse_document`] when a document is parsed.
//!
//! # Checks done while reading
//!
//! - Invalid UTF-8 gives `file:line:col: invalid UTF-8 (byte 0xff)` for that document only.
//! - A UTF-8 byte order mark at the start of a file is skipped; CRLF line endings are read as LF.
//! - Helm / Go template text (`{{ ... }}` where YAML expects a value, outside quoted strings, block scalars and
//!   comments) is reported with a hint to render the chart first; see [`looks_like_helm_template`].
//!
//! Every error names the file, line and column; the other documents of the run still load.

mod helm;
mod objects;
mod reader;
mod walk;

pub use helm::looks_like_helm_template;
pub use mamori_yaml::Limits;
pub use objects::parse_raw;
pub use reader::read_stream;

use mamori_model::{K8sObject, Pos};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// An input that cannot be loaded (or a part of it): file, absolute position and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Errors about a whole file (cannot read it) or a live cluster have no position.
        if self.pos.is_known() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.pos.line, self.pos.col, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl std::error::Error for LoadError {}

/// Something worth telling the user that is not an error, e.g. a document that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.is_known() {
            write!(f, "{}:{}: {}", self.file, self.pos.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// The text of one document as read from its file, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDocument {
    /// The file name as the user gave it (`-` for stdin).
    pub file: Arc<str>,
    /// 0-based index of the document in its file (documents with no content are not counted).
    pub doc_index: u32,
    /// 1-based line of `text`'s first line in the file.
    pub first_line: u32,
    /// The document text, LF line endings, without its `---` marker.
    pub text: String,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file or a directory (read recursively).
    Path(PathBuf),
    /// Standard input, named `-` in messages.
    Stdin,
}

/// One item of loaded input.
#[derive(Debug, Clone)]
pub enum Loaded {
    Object(K8sObject),
    Note(Note),
    Error(LoadError),
}

/// Streams the raw documents of all inputs in order (directories recursively, entries sorted by name, only
/// `.yaml`/`.yml`/`.json` files). Unreadable paths, invalid UTF-8, oversize documents and Helm template text
/// arrive as `Err` items; the stream goes on with the next document.
pub fn read_documents(
    inputs: &[Input],
    limits: &Limits,
    sink: &mut dyn FnMut(Result<RawDocument, LoadError>),
) {
    for input in inputs {
        match input {
            Input::Stdin => {
                let stdin = std::io::stdin();
                read_stream(stdin.lock(), Arc::from("-"), false, limits, sink);
            }
            Input::Path(path) => walk::read_path(path, limits, sink),
        }
    }
}

/// Reads and parses every input sequentially (a convenience for small inputs and tests; `mamori-scan` runs the
/// same steps in parallel).
pub fn load_all(inputs: &[Input], limits: &Limits) -> Vec<Loaded> {
    let mut out = Vec::new();
    read_documents(inputs, limits, &mut |item| match item {
        Ok(doc) => out.extend(parse_raw(&doc, limits)),
        Err(err) => out.push(Loaded::Error(err)),
    });
    out
}

/// Formats a byte count the way limits are spoken of (`64 MiB`, `512 KiB`, `1000 bytes`).
pub(crate) fn human_bytes(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    const GIB: usize = 1024 * 1024 * 1024;
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
