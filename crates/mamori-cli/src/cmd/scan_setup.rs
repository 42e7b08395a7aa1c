//! What `mamori scan` resolves before scanning: the mamori.yaml policy (`--config`, or `mamori.yaml` in the
//! working directory), today's date (`MAMORI_TODAY` for reproducible runs), the effective Pod Security
//! level/version (flag, else config, else restricted:latest), and the governance notes about exceptions.

use crate::options::{self, LevelArg, VersionArg};
use mamori_config::{Config, Date, Exception, Policy};
use mamori_model::Pos;
use mamori_report::Diagnostic;
use std::path::Path;
use std::sync::Arc;

/// Environment variable overriding today's date (YYYY-MM-DD) for exception expiry.
pub const TODAY_ENV: &str = "MAMORI_TODAY";

/// Today's date: `MAMORI_TODAY` when set, else the system clock (UTC).
pub fn today() -> Result<Date, String> {
    match std::env::var(TODAY_ENV) {
        Ok(text) if !text.is_empty() => Date::parse(&text).map_err(|e| format!("{TODAY_ENV}: {e}")),
        _ => Ok(Date::today_utc()),
    }
}

/// Loads `--config FILE`, else `./mamori.yaml` when present (unless `no_config`), else the empty config.
/// Every error of the file is reported, one per line, with its position.
pub fn load_config(explicit: Option<&Path>, no_config: bool) -> Result<Config, String> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None if no_config => None,
        None => mamori_config::discover(Path::new(".")).map(|p| {
            p.strip_prefix(".")
                .map_or_else(|_| p.clone(), Path::to_path_buf)
        }),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    mamori_config::load(&path).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("invalid configuration:\n{}", lines.join("\n"))
    })
}

/// The level/version actually evaluated: the flag, else mamori.yaml's `pss`, else restricted / latest.
pub fn effective_pss(
    level: Option<&LevelArg>,
    version: Option<&VersionArg>,
    config: &Config,
) -> Result<(LevelArg, VersionArg), String> {
    let level = match (level, config.pss.level) {
        (Some(flag), _) => flag.clone(),
        (None, Some(level)) => options::parse_level(level.as_str())?,
        (None, None) => options::parse_level("restricted")?,
    };
    let version = match (version, config.pss.version) {
        (Some(flag), _) => flag.clone(),
        (None, Some(version)) => options::parse_version(&version.to_string())?,
        (None, None) => options::parse_version("latest")?,
    };
    Ok((level, version))
}

/// One warning per expired exception: it no longer applies.
pub fn expired_notes(policy: &Policy) -> Vec<Diagnostic> {
    policy
        .expired()
        .map(|e| {
            note(
                policy,
                e,
                format!(
                    "warning: exception {} (owner {}) expired on {}; it no longer applies",
                    e.label(),
                    e.owner,
                    e.expires
                ),
            )
        })
        .collect()
}

/// One warning per exception in force that suppressed nothing (`--report-unused-exceptions`).
pub fn unused_notes(policy: &Policy) -> Vec<Diagnostic> {
    policy
        .unused()
        .into_iter()
        .map(|e| {
            note(
                policy,
                e,
                format!(
                    "warning: exception {} (owner {}, expires {}) matched no finding; remove it or narrow its scope",
                    e.label(),
                    e.owner,
                    e.expires
                ),
            )
        })
        .collect()
}

/// The summary note about suppressed findings, when there were any.
pub fn suppressed_note(policy: &Policy, suppressed: u64) -> Option<Diagnostic> {
    (suppressed > 0).then(|| Diagnostic {
        file: if policy.config().file.is_empty() {
            Arc::from("-")
        } else {
            policy.config().file.clone()
        },
        pos: Pos::UNKNOWN,
        message: format!("{suppressed} suppressed by exceptions"),
    })
}

fn note(policy: &Policy, exception: &Exception, message: String) -> Diagnostic {
    Diagnostic {
        file: policy.config().file.clone(),
        pos: exception.pos,
        message,
    }
}
