//! `mamori config validate [FILE]` and `mamori config schema`.

use super::Outcome;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Check a mamori.yaml: exit 0 when valid, 2 with `file:line:col: message` errors on stderr.
    Validate {
        /// The file (default: ./mamori.yaml).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Print the JSON Schema of mamori.yaml (for editors and CI validation).
    Schema,
}

/// Runs `mamori config …`.
pub fn run(args: &ConfigArgs) -> Result<Outcome, String> {
    match &args.command {
        ConfigCommand::Schema => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(mamori_config::SCHEMA.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(crate::options::write_error)?;
            Ok(Outcome::default())
        }
        ConfigCommand::Validate { file } => {
            let path = file
                .clone()
                .unwrap_or_else(|| PathBuf::from(mamori_config::DEFAULT_FILE_NAME));
            match mamori_config::load(&path) {
                Ok(config) => {
                    println!(
                        "{}: valid ({} exception{}, {} severity override{}, {} rule pattern{})",
                        path.display(),
                        config.exceptions.len(),
                        plural(config.exceptions.len()),
                        config.severity.len(),
                        plural(config.severity.len()),
                        config.rules.enable.len() + config.rules.disable.len(),
                        plural(config.rules.enable.len() + config.rules.disable.len()),
                    );
                    Ok(Outcome::default())
                }
                Err(errors) => {
                    for error in &errors {
                        eprintln!("{error}");
                    }
                    Ok(Outcome {
                        errors: true,
                        failed: false,
                    })
                }
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
