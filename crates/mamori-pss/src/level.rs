//! Levels, policy versions and their upstream parsing rules (`api/constants.go`, `api/helpers.go`).

use std::cmp::Ordering;
use std::fmt;

/// A Pod Security Standards level. Ordered by strictness: `Privileged < Baseline < Restricted`
/// (upstream `CompareLevels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

/// Why a level string was rejected. Displays upstream's exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelParseError;

impl fmt::Display for LevelParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be one of privileged, baseline, restricted")
    }
}

impl std::error::Error for LevelParseError {}

impl Level {
    /// All levels, least strict first.
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];

    /// Parses exactly `privileged`, `baseline` or `restricted` (case-sensitive). Upstream falls back to
    /// `restricted` on error; callers choose their own fallback (enforce fails closed, audit/warn open).
    pub fn parse(text: &str) -> Result<Level, LevelParseError> {
        match text {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(LevelParseError),
        }
    }

    /// The label value of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version: `latest` or `v1.<minor>` (policy versions, not Kubernetes releases; v1.0 is the lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    minor: u64,
    latest: bool,
}

/// Why a version string was rejected. Displays upstream's exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionParseError;

impl fmt::Display for VersionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be \"latest\" or \"v1.x\"")
    }
}

impl std::error::Error for VersionParseError {}

impl Version {
    /// `latest`: the newest policy version the evaluator knows (clamped at evaluation time).
    pub const LATEST: Version = Version {
        minor: 0,
        latest: true,
    };

    /// The explicit version `v1.<minor>`.
    pub const fn v1(minor: u64) -> Version {
        Version {
            minor,
            latest: false,
        }
    }

    /// Parses `latest` or `^v1\.([0-9]|[1-9][0-9]*)$` whose number fits Go's `int` (upstream `ParseVersion`).
    /// Upstream falls back to `latest` on error.
    pub fn parse(text: &str) -> Result<Version, VersionParseError> {
        if text == "latest" {
            return Ok(Version::LATEST);
        }
        let digits = text.strip_prefix("v1.").ok_or(VersionParseError)?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !well_formed {
            return Err(VersionParseError);
        }
        // strconv.Atoi fails beyond int64.
        let minor: i64 = digits.parse().map_err(|_| VersionParseError)?;
        u64::try_from(minor)
            .map(Version::v1)
            .map_err(|_| VersionParseError)
    }

    /// True for `latest`.
    pub fn is_latest(self) -> bool {
        self.latest
    }

    /// The minor number of an explicit version; `None` for `latest`.
    pub fn minor(self) -> Option<u64> {
        (!self.latest).then_some(self.minor)
    }

    /// Upstream `Older`: `latest` is never older; anything explicit is older than `latest`; otherwise by minor.
    pub fn older(self, other: Version) -> bool {
        match (self.latest, other.latest) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => self.minor < other.minor,
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// Explicit versions by minor, `latest` after all of them.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.latest, self.minor).cmp(&(other.latest, other.minor))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.latest {
            f.write_str("latest")
        } else {
            write!(f, "v1.{}", self.minor)
        }
    }
}

/// A level at a version, e.g. `restricted:latest`. Displayed as labelled (never clamped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub fn new(level: Level, version: Version) -> LevelVersion {
        LevelVersion { level, version }
    }

    /// Upstream `Equivalent`: both privileged (any version), or same level and version.
    pub fn equivalent(self, other: LevelVersion) -> bool {
        (self.level == Level::Privileged && other.level == Level::Privileged) || self == other
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}
