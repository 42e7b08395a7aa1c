//! Options shared by the commands: inputs, limits, threads, policy and output destination.

use clap::Args;
use mamori_load::Input;
use mamori_pss::{Level, LevelVersion, Version};
use mamori_yaml::Limits;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Resource limits for untrusted input (defaults: document 64 MiB, depth 128, 2,000,000 nodes, 10,000 alias
/// expansions per document).
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest single YAML/JSON document accepted, e.g. 64MiB, 512KiB, 1G or plain bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_document_size: Option<usize>,
    /// Deepest nesting of maps/lists accepted in a document.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Most nodes accepted in one document.
    #[arg(long, value_name = "N")]
    pub max_nodes: Option<usize>,
    /// Most alias expansions accepted in one document (alias-bomb protection).
    #[arg(long, value_name = "N")]
    pub max_aliases: Option<usize>,
    /// Worker threads (0 = one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

impl LimitArgs {
    /// The effective limits: defaults overridden by the flags given.
    pub fn limits(&self) -> Limits {
        let defaults = Limits::default();
        Limits {
            max_depth: self.max_depth.unwrap_or(defaults.max_depth),
            max_nodes: self.max_nodes.unwrap_or(defaults.max_nodes),
            max_alias_expansions: self.max_aliases.unwrap_or(defaults.max_alias_expansions),
            max_document_bytes: self
                .max_document_size
                .unwrap_or(defaults.max_document_bytes),
        }
    }
}

/// A Pod Security level as the user typed it, validated with upstream's parser.
#[derive(Debug, Clone)]
pub struct LevelArg {
    pub text: String,
    pub level: Level,
}

/// A Pod Security version as the user typed it, validated with upstream's parser.
#[derive(Debug, Clone)]
pub struct VersionArg {
    pub text: String,
    pub version: Version,
}

/// clap value parser for `--level`; the error is upstream's text.
pub fn parse_level(text: &str) -> Result<LevelArg, String> {
    Level::parse(text)
        .map(|level| LevelArg {
            text: text.to_owned(),
            level,
        })
        .map_err(|e| e.to_string())
}

/// clap value parser for `--version`; the error is upstream's text.
pub fn parse_version(text: &str) -> Result<VersionArg, String> {
    Version::parse(text)
        .map(|version| VersionArg {
            text: text.to_owned(),
            version,
        })
        .map_err(|e| e.to_string())
}

/// `restricted`, the level `mamori scan` evaluates when neither flag nor config names one.
pub fn default_level() -> LevelArg {
    LevelArg {
        text: "restricted".to_owned(),
        level: Level::Restricted,
    }
}

/// `latest`, the version evaluated when neither flag nor config names one.
pub fn default_version() -> VersionArg {
    VersionArg {
        text: "latest".to_owned(),
        version: Version::LATEST,
    }
}

/// The policy both commands evaluate.
pub fn level_version(level: &LevelArg, version: &VersionArg) -> LevelVersion {
    LevelVersion::new(level.level, version.version)
}

/// `64MiB`, `64M`, `512k`, `1G`, `1048576` → bytes (binary multiples).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?} (e.g. 64MiB, 512KiB, 1G)"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size unit in {text:?} (use KiB, MiB or GiB)"
            ))
        }
    };
    match number.checked_mul(multiplier) {
        Some(0) | None => Err(format!(
            "size {text:?} must be between 1 byte and {} bytes",
            usize::MAX
        )),
        Some(bytes) => Ok(bytes),
    }
}

/// Command-line paths → loader inputs (`-` is stdin).
pub fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(p.clone())
            }
        })
        .collect()
}

/// Where a report goes: stdout, or a file given with `--output`.
pub struct Destination {
    pub writer: Box<dyn Write>,
    /// Whether the destination is an interactive terminal (stdout only).
    pub is_terminal: bool,
}

impl Destination {
    /// Opens `--output FILE` (created or truncated) or stdout, buffered.
    pub fn open(output: Option<&Path>) -> Result<Destination, String> {
        match output {
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Destination {
                    writer: Box::new(BufWriter::new(file)),
                    is_terminal: false,
                })
            }
            None => {
                let stdout = io::stdout();
                let is_terminal = stdout.is_terminal();
                Ok(Destination {
                    writer: Box::new(BufWriter::with_capacity(1 << 16, stdout.lock())),
                    is_terminal,
                })
            }
        }
    }
}

/// Turns a write failure into the command's error message.
pub fn write_error(err: io::Error) -> String {
    if err.kind() == io::ErrorKind::BrokenPipe {
        // The reader went away (`mamori scan … | head`): stop quietly with the status a shell reports for a
        // process killed by SIGPIPE (128 + 13), so `set -o pipefail` still sees that output was cut short.
        std::process::exit(EXIT_BROKEN_PIPE);
    }
    format!("cannot write output: {err}")
}

/// Exit status when stdout's reader has gone away.
pub const EXIT_BROKEN_PIPE: i32 = 141;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999999999999G").is_err());
    }

    #[test]
    fn upstream_parse_errors() {
        assert_eq!(
            parse_level("root").unwrap_err(),
            "must be one of privileged, baseline, restricted"
        );
        assert_eq!(
            parse_version("1.25").unwrap_err(),
            "must be \"latest\" or \"v1.x\""
        );
        assert_eq!(parse_version("v1.25").map(|v| v.text).unwrap(), "v1.25");
    }
}
