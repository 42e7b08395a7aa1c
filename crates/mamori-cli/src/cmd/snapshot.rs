//! `mamori snapshot`: being built in this session (placeholder wiring so the command tree compiles; replaced by the
//! real command before the session ends).

/// Arguments (none yet).
#[derive(clap::Args)]
pub struct SnapshotArgs {}

pub fn run(_args: &SnapshotArgs) -> Result<super::Outcome, String> {
    Err("`mamori snapshot` is not available in this build".to_owned())
}
