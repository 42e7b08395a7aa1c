//! Generates large, realistic, deterministic Kubernetes inputs for benchmarks.
//!
//! ```text
//! cargo run --release -p mamori-scan --example gen_manifests -- --deployments 100000 --out bench-data/100k.yaml
//! cargo run --release -p mamori-scan --example gen_manifests -- --files 1000 --objects 10000 --out-dir bench-data/10k/
//! ```
//! `--deployments N` writes N Deployments; `--objects N` writes a mix of Deployment, StatefulSet, DaemonSet, Job,
//! CronJob and Pod. `--seed S` changes the (fixed by default) random stream.

#[path = "support/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    count: u64,
    deployments_only: bool,
    files: u64,
    out: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        count: 0,
        deployments_only: false,
        files: 1,
        out: None,
        out_dir: None,
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| text.parse::<u64>().map_err(|err| format!("{flag}: {err}"));
        match flag.as_str() {
            "--deployments" => {
                args.count = number(value()?)?;
                args.deployments_only = true;
            }
            "--objects" => args.count = number(value()?)?,
            "--files" => args.files = number(value()?)?.max(1),
            "--seed" => args.seed = number(value()?)?,
            "--out" => args.out = Some(PathBuf::from(value()?)),
            "--out-dir" => args.out_dir = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.count == 0 {
        return Err("give --deployments N or --objects N".into());
    }
    Ok(args)
}

fn run(args: &Args) -> std::io::Result<u64> {
    let mut rng = generate::Rng::new(args.seed);
    let mut written = 0u64;
    let mut index = 0u64;
    let per_file = args.count.div_ceil(args.files);
    for file_no in 0..args.files {
        let path = match (&args.out, &args.out_dir) {
            (_, Some(dir)) => dir.join(format!("manifests-{file_no:05}.yaml")),
            (Some(out), None) if args.files == 1 => out.clone(),
            (Some(out), None) => out.with_file_name(format!("{}-{file_no:05}.yaml", out.display())),
            (None, None) => PathBuf::from(format!("manifests-{file_no:05}.yaml")),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut text = String::new();
        for _ in 0..per_file.min(args.count - index) {
            text.clear();
            let kind = generate::kind_for(&mut rng, args.deployments_only);
            generate::write_object(&mut text, &mut rng, index, kind);
            out.write_all(text.as_bytes())?;
            written += text.len() as u64;
            index += 1;
        }
        out.flush()?;
    }
    Ok(written)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("gen_manifests: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(bytes) => {
            eprintln!("wrote {} objects, {:.1} MB", args.count, bytes as f64 / 1e6);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen_manifests: {err}");
            ExitCode::FAILURE
        }
    }
}
