//! `mamori snapshot --cluster … -o FILE`: the objects `mamori scan --cluster` reads, written to one file that
//! `mamori scan FILE` reads offline (Secrets as metadata only: their data is never requested).

use super::scan_cluster::{stream_cluster, ClusterArgs, FetchProgress, Reported};
use super::Outcome;
use crate::progress;
use clap::{Args, ValueEnum};
use mamori_cluster::snapshot::{SnapshotFormat, SnapshotWriter};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// File formats of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotFormatArg {
    /// One YAML document per object (each document stays small, whatever the cluster size).
    Yaml,
    /// One JSON `v1 List` (large clusters may need `mamori scan --max-document-size` to read it back).
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The file to write (`-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value_t = SnapshotFormatArg::Yaml)]
    pub format: SnapshotFormatArg,
    /// Never draw the progress spinner (it is only drawn when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Writes the snapshot; what could not be read is printed and makes the exit status 2, the file still holds
/// everything that was read.
pub fn run(args: &SnapshotArgs) -> Result<Outcome, String> {
    if !args.cluster.cluster {
        return Err("`mamori snapshot` reads a live cluster: pass --cluster".to_owned());
    }
    let format = match args.format {
        SnapshotFormatArg::Yaml => SnapshotFormat::Yaml,
        SnapshotFormatArg::Json => SnapshotFormat::Json,
    };
    let to_stdout = args.output.as_os_str() == "-";
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(io::stdout().lock())
    } else {
        let file = std::fs::File::create(&args.output)
            .map_err(|err| format!("cannot write {}: {err}", args.output.display()))?;
        Box::new(file)
    };
    let options = args.cluster.options();
    let header = vec![
        "mamori snapshot: read-only LISTs of the kinds `mamori scan --cluster` reads; Secrets as metadata only"
            .to_owned(),
        format!(
            "scope: {}",
            options
                .namespace
                .as_deref()
                .map_or_else(|| "all namespaces".to_owned(), |ns| format!("namespace {ns}"))
        ),
        "scan it offline with: mamori scan <this file>".to_owned(),
    ];
    let progress = FetchProgress::new(!args.no_progress && progress::stderr_is_terminal());
    let mut reported = Vec::new();
    let mut source: Arc<str> = Arc::from("cluster");
    let mut written: io::Result<u64> = Ok(0);
    stream_cluster(
        &options,
        mamori_cluster::scan_kinds(),
        &progress,
        &mut |objects| {
            written = write_all(BufWriter::new(&mut out), format, &header, objects);
        },
        &mut reported,
        &mut source,
    );
    progress.finish();
    let mut errors = false;
    for item in &reported {
        match item {
            Reported::Error(message) => {
                errors = true;
                eprintln!("mamori: {source}: {message}");
            }
            Reported::Note(message) => eprintln!("mamori: {source}: note: {message}"),
        }
    }
    let count = written.map_err(|err| format!("cannot write {}: {err}", args.output.display()))?;
    if !to_stdout {
        eprintln!(
            "mamori: wrote {count} objects from {source} to {}",
            args.output.display()
        );
    }
    Ok(Outcome {
        errors,
        failed: false,
    })
}

fn write_all(
    out: impl Write,
    format: SnapshotFormat,
    header: &[String],
    objects: impl Iterator<Item = mamori_model::K8sObject>,
) -> io::Result<u64> {
    let mut writer = SnapshotWriter::new(out, format, header)?;
    for object in objects {
        writer.object(&object)?;
    }
    writer.finish().map(|(_, count)| count)
}
