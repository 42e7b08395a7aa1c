//! `mamori admission`: being built in this session (placeholder wiring so the command tree compiles; replaced by the
//! real command before the session ends).

/// Arguments (none yet).
#[derive(clap::Args)]
pub struct AdmissionArgs {}

pub fn run(_args: &AdmissionArgs) -> Result<super::Outcome, String> {
    Err("`mamori admission` is not available in this build".to_owned())
}
