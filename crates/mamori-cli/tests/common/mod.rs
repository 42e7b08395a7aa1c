//! Helpers for the CLI tests: run the built `mamori` binary from the crate directory (so fixture paths in
//! outputs are short and relative) and compare against golden files.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The crate directory; every command runs here so paths like `tests/fixtures/...` appear in outputs.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root (for `examples/`).
pub fn repo_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// A `mamori` command with a clean colour environment.
pub fn mamori() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .current_dir(crate_dir())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    command
}

/// Runs `mamori args...` and returns its output.
pub fn run(args: &[&str]) -> Output {
    mamori().args(args).output().expect("run mamori")
}

/// Runs `mamori args...` with `stdin` piped in.
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = mamori()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mamori");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait mamori")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// Compares `actual` with `tests/fixtures/golden/<name>` byte for byte. With `MAMORI_UPDATE_GOLDEN=1` the
/// golden file is (re)written instead — review the diff before committing.
pub fn assert_golden(name: &str, actual: &str) {
    let path = crate_dir().join("tests/fixtures/golden").join(name);
    if std::env::var_os("MAMORI_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing golden file {} ({e}); create it with MAMORI_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from golden {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}
