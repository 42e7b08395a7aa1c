//! `mamori rbac`: being built in this session (placeholder wiring so the command tree compiles; replaced by the
//! real command before the session ends).

/// Arguments (none yet).
#[derive(clap::Args)]
pub struct RbacArgs {}

pub fn run(_args: &RbacArgs) -> Result<super::Outcome, String> {
    Err("`mamori rbac` is not available in this build".to_owned())
}
