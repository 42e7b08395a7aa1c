//! Progress on stderr for long scans: documents and bytes read, against the total input size when known.
//! Drawn only when stderr is a terminal; otherwise (CI logs, pipes, tests) nothing is printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mamori_load::Input;
use mamori_scan::Progress;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// A progress display fed from the pipeline's counters.
pub struct ScanProgress {
    counters: Arc<Progress>,
    bar: Option<ProgressBar>,
    items: u64,
}

impl ScanProgress {
    /// Shows a bar when `show` (normally: stderr is a terminal and --no-progress was not given).
    pub fn new(inputs: &[Input], show: bool) -> ScanProgress {
        let counters = Arc::new(Progress::default());
        let bar = show.then(|| {
            let total = total_bytes(inputs);
            let bar = match total {
                Some(total) => {
                    ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                }
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if total.is_some() {
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {bytes} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ScanProgress {
            counters,
            bar,
            items: 0,
        }
    }

    /// Whether a bar is drawn.
    #[cfg(test)]
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// The counters the pipeline's reader updates.
    pub fn counters(&self) -> Arc<Progress> {
        self.counters.clone()
    }

    /// Called per delivered item; refreshes the bar every 256 items (cheap when hidden).
    pub fn tick(&mut self) {
        self.items += 1;
        if self.items % 256 == 0 {
            self.refresh();
        }
    }

    fn refresh(&self) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.counters.bytes.load(Ordering::Relaxed));
            bar.set_message(format!(
                "{} documents",
                self.counters.documents.load(Ordering::Relaxed)
            ));
        }
    }

    /// Removes the bar before the report and diagnostics are printed.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Whether a progress bar should be drawn: stderr is a terminal.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Total size of the YAML/JSON files under the inputs; None when stdin is among them.
fn total_bytes(inputs: &[Input]) -> Option<u64> {
    let mut total = 0u64;
    for input in inputs {
        match input {
            Input::Stdin => return None,
            Input::Path(path) => total += size_of(path, 0),
        }
    }
    Some(total)
}

fn size_of(path: &Path, depth: u32) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    // Symlink loops are bounded by the depth cap; the loader walks the real tree.
    if !meta.is_dir() || depth > 64 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                || p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .map(|p| size_of(&p, depth + 1))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_draws_nothing_and_counts_sizes() {
        let dir = std::env::temp_dir().join(format!("mamori-progress-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(dir.join("sub/b.yml"), "kind: B\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let inputs = [Input::Path(dir.clone())];
        assert_eq!(total_bytes(&inputs), Some(16));
        assert_eq!(total_bytes(&[Input::Stdin]), None);
        let mut progress = ScanProgress::new(&inputs, false);
        assert!(!progress.is_visible());
        for _ in 0..1000 {
            progress.tick();
        }
        progress.finish();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
