//! Files and directories → streams, in a deterministic order.

use crate::{read_stream, LoadError, RawDocument};
use mamori_model::Pos;
use mamori_yaml::Limits;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Extensions read when walking a directory (a file named explicitly is read whatever its name).
fn is_manifest_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| matches!(ext.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

fn is_json_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
}

fn name_of(path: &Path) -> Arc<str> {
    Arc::from(path.to_string_lossy().as_ref())
}

fn path_error(path: &Path, message: String) -> LoadError {
    LoadError {
        file: name_of(path),
        pos: Pos::new(0, 0),
        message,
    }
}

/// Reads a file or (recursively) a directory given by the user.
pub(crate) fn read_path(
    path: &Path,
    limits: &Limits,
    sink: &mut dyn FnMut(Result<RawDocument, LoadError>),
) {
    match fs::metadata(path) {
        Err(err) => sink(Err(path_error(path, describe_io_error(&err)))),
        Ok(meta) if meta.is_dir() => {
            let mut visited = HashSet::new();
            walk_dir(path, limits, &mut visited, sink);
        }
        Ok(_) => read_file(path, limits, sink),
    }
}

fn describe_io_error(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => format!("cannot read: {err}"),
    }
}

fn read_file(path: &Path, limits: &Limits, sink: &mut dyn FnMut(Result<RawDocument, LoadError>)) {
    match fs::File::open(path) {
        Ok(file) => read_stream(file, name_of(path), is_json_name(path), limits, sink),
        Err(err) => sink(Err(path_error(path, describe_io_error(&err)))),
    }
}

/// Walks a directory in sorted order. `visited` holds canonical directory paths so symlink loops end.
fn walk_dir(
    dir: &Path,
    limits: &Limits,
    visited: &mut HashSet<PathBuf>,
    sink: &mut dyn FnMut(Result<RawDocument, LoadError>),
) {
    match fs::canonicalize(dir) {
        Ok(canonical) => {
            if !visited.insert(canonical) {
                return;
            }
        }
        Err(err) => return sink(Err(path_error(dir, describe_io_error(&err)))),
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return sink(Err(path_error(dir, describe_io_error(&err)))),
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(err) => sink(Err(path_error(dir, describe_io_error(&err)))),
        }
    }
    paths.sort();
    for path in paths {
        // metadata() follows symlinks: a link to a directory is walked (once), a dangling link is reported.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk_dir(&path, limits, visited, sink),
            Ok(meta) if meta.is_file() && is_manifest_name(&path) => read_file(&path, limits, sink),
            Ok(_) => {}
            Err(err) if is_manifest_name(&path) => {
                sink(Err(path_error(&path, describe_io_error(&err))))
            }
            Err(_) => {}
        }
    }
}
