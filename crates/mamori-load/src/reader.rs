//! Splits a byte stream into documents without ever holding more than one (size-limited) document.

use crate::{helm, human_bytes, LoadError, RawDocument};
use mamori_model::Pos;
use mamori_yaml::Limits;
use std::io::{self, BufRead, Read};
use std::sync::Arc;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which document marker a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// `---`: a document starts (content may follow on the same line).
    Start,
    /// `...`: the current document ends.
    End,
}

/// Classifies a line from its first bytes (at most 4 are needed: the marker and the character after it).
fn marker_of(prefix: &[u8]) -> Option<Marker> {
    let kind = if prefix.starts_with(b"---") {
        Marker::Start
    } else if prefix.starts_with(b"...") {
        Marker::End
    } else {
        return None;
    };
    match prefix.get(3) {
        None | Some(b' ' | b'\t' | b'\r' | b'\n') => Some(kind),
        Some(_) => None,
    }
}

/// Consumes bytes up to and including the next newline, storing at most `max_store` of them in `dst`.
/// Returns (bytes consumed, whether a newline was consumed). Stops early (without consuming the rest of the
/// line) once `max_store` bytes are stored and `stop_when_full` is set.
fn read_line_part<R: BufRead>(
    reader: &mut R,
    dst: &mut Vec<u8>,
    max_store: usize,
    stop_when_full: bool,
) -> io::Result<(usize, bool)> {
    let mut consumed_total = 0usize;
    let mut stored = 0usize;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buf.is_empty() {
            return Ok((consumed_total, false));
        }
        let (line_part, ended) = match memchr::memchr(b'\n', buf) {
            Some(newline) => (buf.get(..=newline).unwrap_or(buf), true),
            None => (buf, false),
        };
        let room = max_store - stored;
        let (take, ended) = if stop_when_full && line_part.len() > room {
            (room, false)
        } else {
            (line_part.len(), ended)
        };
        let keep = take.min(room);
        dst.extend_from_slice(line_part.get(..keep).unwrap_or_default());
        stored += keep;
        reader.consume(take);
        consumed_total += take;
        if ended || (stop_when_full && stored == max_store) {
            return Ok((consumed_total, ended));
        }
    }
}

/// True when the text has no content: only blank lines and comments.
fn is_blank(bytes: &[u8]) -> bool {
    bytes.split(|b| *b == b'\n').all(|line| {
        match line.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
            None => true,
            Some(first) => *first == b'#',
        }
    })
}

/// Line and column (1-based, columns in characters) of byte `offset` in `bytes`, whose first line is `first_line`.
fn position_of(bytes: &[u8], offset: usize, first_line: u32) -> Pos {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let newlines = memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line_bytes = before.get(line_start..).unwrap_or_default();
    // The prefix is valid UTF-8 (it precedes the first invalid byte), so counting char starts counts chars.
    let col = line_bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count();
    Pos::new(
        first_line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX)),
        u32::try_from(col + 1).unwrap_or(u32::MAX),
    )
}

/// Turns finished document bytes into the item handed to the sink.
struct DocumentEmitter<'s> {
    file: Arc<str>,
    check_helm: bool,
    next_index: u32,
    sink: &'s mut dyn FnMut(Result<RawDocument, LoadError>),
}

impl DocumentEmitter<'_> {
    fn error(&mut self, pos: Pos, message: String) {
        (self.sink)(Err(LoadError {
            file: self.file.clone(),
            pos,
            message,
        }));
    }

    /// Claims the next document index (also used for oversize documents, which are never emitted).
    fn claim_index(&mut self) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        index
    }

    fn emit(&mut self, bytes: Vec<u8>, first_line: u32) {
        if is_blank(&bytes) {
            return;
        }
        let doc_index = self.claim_index();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                let bad = bytes.get(offset).copied().unwrap_or_default();
                let pos = position_of(&bytes, offset, first_line);
                self.error(pos, format!("invalid UTF-8 (byte 0x{bad:02x})"));
                return;
            }
        };
        if self.check_helm {
            if let Some(at) = helm::looks_like_helm_template(&text) {
                let pos = Pos::new(first_line.saturating_add(at.line.saturating_sub(1)), at.col);
                self.error(pos, helm::HELM_MESSAGE.to_owned());
                return;
            }
        }
        (self.sink)(Ok(RawDocument {
            file: self.file.clone(),
            doc_index,
            first_line,
            text,
        }));
    }
}

fn oversize_message(doc_index: u32, limits: &Limits) -> String {
    format!(
        "document {} is larger than the {} limit (raise with --max-document-size)",
        u64::from(doc_index) + 1,
        human_bytes(limits.max_document_bytes)
    )
}

/// Splits one YAML stream (a file or stdin, named `file` in messages) into documents and hands each to `sink` as
/// soon as it is complete. With `is_json` the whole stream is one document (still size-limited). Never fails:
/// read errors arrive as `Err` items.
pub fn read_stream<R: Read>(
    reader: R,
    file: Arc<str>,
    is_json: bool,
    limits: &Limits,
    sink: &mut dyn FnMut(Result<RawDocument, LoadError>),
) {
    let mut reader = io::BufReader::with_capacity(256 * 1024, reader);
    let mut emitter = DocumentEmitter {
        file,
        check_helm: !is_json,
        next_index: 0,
        sink,
    };
    let result = skip_bom(&mut reader).and_then(|()| {
        if is_json {
            read_json(&mut reader, limits, &mut emitter)
        } else {
            split_yaml(&mut reader, limits, &mut emitter)
        }
    });
    if let Err(err) = result {
        emitter.error(Pos::new(0, 0), format!("cannot read: {err}"));
    }
}

fn skip_bom<R: BufRead>(reader: &mut R) -> io::Result<()> {
    let mut prefix = Vec::with_capacity(3);
    // A BOM is only ever at the very start, so peeking at the first buffer is enough.
    loop {
        match reader.fill_buf() {
            Ok(buf) => {
                prefix.extend_from_slice(buf.get(..3).unwrap_or(buf));
                break;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    if prefix.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    Ok(())
}

fn read_json<R: BufRead>(
    reader: &mut R,
    limits: &Limits,
    emitter: &mut DocumentEmitter,
) -> io::Result<()> {
    let max = limits.max_document_bytes;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it"; never more.
    reader
        .take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > max {
        let index = emitter.claim_index();
        emitter.error(Pos::new(1, 1), oversize_message(index, limits));
        return Ok(());
    }
    emitter.emit(bytes, 1);
    Ok(())
}

/// Drops the `\r` of a CRLF line ending at the end of `buf`.
fn normalize_line_end(buf: &mut Vec<u8>) {
    if buf.ends_with(b"\r\n") {
        buf.truncate(buf.len() - 2);
        buf.push(b'\n');
    }
}

fn split_yaml<R: BufRead>(
    reader: &mut R,
    limits: &Limits,
    emitter: &mut DocumentEmitter,
) -> io::Result<()> {
    let max = limits.max_document_bytes;
    let mut doc: Vec<u8> = Vec::new();
    let mut doc_first_line: u32 = 1;
    // Set while discarding the rest of an oversize document.
    let mut skipping = false;
    let mut line_no: u32 = 0;
    let mut prefix: Vec<u8> = Vec::with_capacity(4);

    loop {
        prefix.clear();
        let (consumed, ended) = read_line_part(reader, &mut prefix, 4, true)?;
        if consumed == 0 {
            break;
        }
        line_no = line_no.saturating_add(1);

        match marker_of(&prefix) {
            Some(marker) => {
                if !skipping {
                    emitter.emit(std::mem::take(&mut doc), doc_first_line);
                }
                skipping = false;
                doc.clear();
                // Content after `--- ` belongs to the next document; the marker becomes spaces so columns hold.
                let mut rest = Vec::new();
                if !ended {
                    read_line_part(reader, &mut rest, max, false)?;
                }
                let after_marker = prefix.get(3..).unwrap_or_default();
                let has_content = marker == Marker::Start && !is_blank_line(after_marker, &rest);
                if has_content {
                    doc.extend_from_slice(b"   ");
                    doc.extend_from_slice(after_marker);
                    doc.extend_from_slice(&rest);
                    normalize_line_end(&mut doc);
                    doc_first_line = line_no;
                } else {
                    doc_first_line = line_no.saturating_add(1);
                }
            }
            None if skipping => {
                if !ended {
                    read_line_part(reader, &mut Vec::new(), 0, false)?;
                }
            }
            None => {
                doc.extend_from_slice(&prefix);
                if !ended {
                    let room = (max + 1).saturating_sub(doc.len());
                    read_line_part(reader, &mut doc, room, true)?;
                    if doc.len() > max {
                        let index = emitter.claim_index();
                        emitter.error(Pos::new(doc_first_line, 1), oversize_message(index, limits));
                        doc = Vec::new();
                        skipping = true;
                        read_line_part(reader, &mut Vec::new(), 0, false)?;
                        continue;
                    }
                }
                normalize_line_end(&mut doc);
                if doc.len() > max {
                    let index = emitter.claim_index();
                    emitter.error(Pos::new(doc_first_line, 1), oversize_message(index, limits));
                    doc = Vec::new();
                    skipping = true;
                }
            }
        }
    }
    if !skipping {
        emitter.emit(doc, doc_first_line);
    }
    Ok(())
}

/// True when the rest of a marker line (split in two parts) holds nothing but whitespace or a comment.
fn is_blank_line(first: &[u8], second: &[u8]) -> bool {
    match first
        .iter()
        .chain(second)
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        None => true,
        Some(first_char) => *first_char == b'#',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_need_whitespace_or_end_after_them() {
        assert_eq!(marker_of(b"---"), Some(Marker::Start));
        assert_eq!(marker_of(b"--- "), Some(Marker::Start));
        assert_eq!(marker_of(b"---\n"), Some(Marker::Start));
        assert_eq!(marker_of(b"...\r"), Some(Marker::End));
        assert_eq!(marker_of(b"----"), None);
        assert_eq!(marker_of(b"---a"), None);
        assert_eq!(marker_of(b" ---"), None);
    }

    #[test]
    fn position_counts_characters_not_bytes() {
        let bytes = "a: 1\nb: é\u{1F600}".as_bytes();
        assert_eq!(position_of(bytes, bytes.len(), 10), Pos::new(11, 6));
    }

    #[test]
    fn human_bytes_names_units() {
        assert_eq!(human_bytes(64 * 1024 * 1024), "64 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
