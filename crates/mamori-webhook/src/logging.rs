//! JSON log lines written in batches by a background thread.
//!
//! Request handling only appends the formatted line to a shared buffer (a short lock, a memcpy); the writer
//! thread wakes every [`FLUSH_INTERVAL`], or at once for a `WARN`/`ERROR` line or a buffer past
//! [`FLUSH_SOON_BYTES`], and writes everything buffered in one call. A queue with one wake-up per line (what
//! `tracing-appender` does) costs a futex wake, a context switch and a `write` per review, which on two vCPUs
//! showed in the webhook's latency (~80 µs at p50 at low request rates). Lines beyond [`MAX_BUFFER_BYTES`]
//! are dropped rather than blocking a request on a stalled stderr; the drop count is logged when space returns.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// Past this many buffered bytes the writer thread is woken at once.
pub const FLUSH_SOON_BYTES: usize = 256 * 1024;
/// Buffered bytes at most; further lines are dropped (and counted) until the writer catches up.
pub const MAX_BUFFER_BYTES: usize = 8 * 1024 * 1024;

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    dropped_lines: u64,
    flush_now: bool,
    stopping: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a byte buffer, still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, line: &[u8], urgent: bool) {
        let mut state = self.lock();
        if state.buffer.len().saturating_add(line.len()) > MAX_BUFFER_BYTES {
            state.dropped_lines = state.dropped_lines.saturating_add(1);
            return;
        }
        state.buffer.extend_from_slice(line);
        if (urgent || state.buffer.len() >= FLUSH_SOON_BYTES) && !state.flush_now {
            state.flush_now = true;
            self.wake.notify_one();
        }
    }
}

/// The `MakeWriter` handed to `tracing-subscriber`: cheap to clone, one per process.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// One event's writer: the formatter writes the whole line into it, and it is appended on drop.
pub struct LineBuffer {
    shared: Arc<Shared>,
    line: Vec<u8>,
    urgent: bool,
}

impl Write for LineBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.shared.append(&self.line, self.urgent);
        }
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> LineBuffer {
        LineBuffer {
            shared: Arc::clone(&self.shared),
            line: Vec::with_capacity(512),
            urgent: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineBuffer {
        let mut writer = self.make_writer();
        // Problems reach the log at once, not after the flush interval.
        writer.urgent = *meta.level() <= Level::WARN;
        writer
    }
}

/// Owns the writer thread; dropping it writes what is still buffered and stops the thread.
pub struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.stopping = true;
            self.shared.wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the writer thread over `sink` (stderr in the server). Errors writing to the sink are ignored: there
/// is nowhere left to report them.
pub fn batched<W: Write + Send + 'static>(sink: W) -> std::io::Result<(BatchedWriter, BatchGuard)> {
    batched_every(sink, FLUSH_INTERVAL)
}

fn batched_every<W: Write + Send + 'static>(
    sink: W,
    interval: Duration,
) -> std::io::Result<(BatchedWriter, BatchGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
    });
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("mamori-log".to_owned())
        .spawn(move || write_loop(&thread_shared, sink, interval))?;
    Ok((
        BatchedWriter {
            shared: Arc::clone(&shared),
        },
        BatchGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_loop<W: Write>(shared: &Shared, mut sink: W, interval: Duration) {
    // Swapped with the shared buffer so the lock is never held while writing.
    let mut out: Vec<u8> = Vec::new();
    loop {
        let (stopping, dropped) = {
            let mut state = shared.lock();
            if !state.flush_now && !state.stopping {
                state = shared
                    .wake
                    .wait_timeout(state, interval)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
            state.flush_now = false;
            std::mem::swap(&mut state.buffer, &mut out);
            (state.stopping, std::mem::take(&mut state.dropped_lines))
        };
        if !out.is_empty() {
            let _ = sink.write_all(&out);
            out.clear();
        }
        if dropped > 0 {
            let _ = writeln!(
                sink,
                "{{\"level\":\"WARN\",\"fields\":{{\"message\":\"log buffer full: lines dropped\",\"dropped\":{dropped}}}}}"
            );
        }
        let _ = sink.flush();
        if stopping {
            // Lines appended between the swap and the stop flag were in the buffer we just wrote.
            let rest = std::mem::take(&mut shared.lock().buffer);
            let _ = sink.write_all(&rest);
            let _ = sink.flush();
            return;
        }
        // Do not keep a large buffer alive after a burst.
        if out.capacity() > FLUSH_SOON_BYTES * 2 {
            out = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A sink the test can read while the writer thread owns a handle to it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    /// A sink whose writes wait until the gate is released, so the buffer fills.
    struct Gated(Arc<Mutex<()>>, Sink);

    impl Write for Gated {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let _open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            self.1.write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn wait_for(sink: &Sink, expected: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if sink.text().contains(expected) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    fn line(writer: &BatchedWriter, text: &str, urgent: bool) {
        let mut line = writer.make_writer();
        line.urgent = urgent;
        line.write_all(text.as_bytes()).expect("in memory");
    }

    #[test]
    fn lines_arrive_whole_and_in_order_and_the_guard_flushes_the_rest() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone()).expect("thread starts");
        for i in 0..1000 {
            line(&writer, &format!("{{\"n\":{i}}}\n"), false);
        }
        assert!(wait_for(&sink, "{\"n\":999}\n"), "{}", sink.text());
        line(&writer, "last\n", false);
        drop(guard);
        let expected: String = (0..1000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        assert_eq!(sink.text(), format!("{expected}last\n"));
    }

    #[test]
    fn only_urgent_lines_cut_the_interval_short() {
        let sink = Sink::default();
        let (writer, guard) =
            batched_every(sink.clone(), Duration::from_secs(3600)).expect("thread starts");
        line(&writer, "info\n", false);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(sink.text(), "", "an info line waits for the interval");
        line(&writer, "warn\n", true);
        assert!(wait_for(&sink, "warn\n"));
        assert_eq!(sink.text(), "info\nwarn\n");
        line(&writer, "info again\n", false);
        drop(guard);
        assert_eq!(sink.text(), "info\nwarn\ninfo again\n");
    }

    #[test]
    fn a_full_buffer_drops_lines_and_says_how_many() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap_or_else(PoisonError::into_inner);
        let sink = Sink::default();
        let (writer, guard) =
            batched(Gated(Arc::clone(&gate), sink.clone())).expect("thread starts");
        let big = format!("{}\n", "x".repeat(1024 * 1024 - 1));
        for _ in 0..40 {
            line(&writer, &big, false);
        }
        drop(held);
        drop(guard);
        let text = sink.text();
        assert!(
            text.contains("log buffer full: lines dropped"),
            "no drop notice"
        );
        let kept = text.lines().filter(|l| l.starts_with('x')).count();
        assert!((8..40).contains(&kept), "{kept} lines kept");
        assert!(text
            .lines()
            .all(|l| l.len() == 1024 * 1024 - 1 || l.contains("dropped")));
    }
}
