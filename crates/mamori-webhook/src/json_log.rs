//! The JSON line of one log event, written straight into the line buffer.
//!
//! The output is byte for byte what `tracing_subscriber`'s JSON format writes with the options the webhook
//! used (`timestamp`, `level`, then the event's `fields` in their declared order; no target, no spans):
//! `{"timestamp":"2026-11-29T10:55:33.932025Z","level":"INFO","fields":{"message":"admission review",…}}`.
//! That format goes through serde's map serializer, an `io::Write` adaptor that re-checks UTF-8 on every
//! write, and a `String` for the timestamp; at saturation it was ~6 % of the server's CPU, one line per review.
//! Here each value is escaped and appended in place. The test at the bottom formats the same events both ways.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format of `mamori admission serve`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_str("{\"timestamp\":\"")?;
        // The same RFC 3339 text (microseconds, `Z`) as the JSON format's default timer; it needs no escaping.
        SystemTime.format_time(&mut writer)?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(event.metadata().level().as_str())?;
        writer.write_str("\",\"fields\":{")?;
        let mut fields = JsonFields {
            out: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str("}}\n")
    }
}

/// Appends `"name":value` members; the first error stops further output.
struct JsonFields<'w, 'b> {
    out: &'w mut Writer<'b>,
    first: bool,
    result: fmt::Result,
}

impl JsonFields<'_, '_> {
    /// Writes the separator and the key; false once an error happened.
    fn key(&mut self, field: &Field) -> bool {
        if self.result.is_err() {
            return false;
        }
        let name = field.name();
        // A raw identifier (`r#type`) is logged under its plain name.
        let name = name.strip_prefix("r#").unwrap_or(name);
        let separator = if self.first { "" } else { "," };
        self.first = false;
        self.result = self
            .out
            .write_str(separator)
            .and_then(|()| write_json_string(self.out, name))
            .and_then(|()| self.out.write_char(':'));
        self.result.is_ok()
    }

    fn raw(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.key(field) {
            self.result = self.out.write_fmt(value);
        }
    }
}

impl Visit for JsonFields<'_, '_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.key(field) {
            return;
        }
        // serde_json's rendering: shortest round trip, `.0` on whole numbers, `null` when not finite.
        self.result = match serde_json::to_string(&value) {
            Ok(text) => self.out.write_str(&text),
            Err(_) => Err(fmt::Error),
        };
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, format_args!("{value}"));
    }

    // 128-bit integers and byte slices keep `Visit`'s defaults (their `Debug` text as a string), as the
    // reference writes them.

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            self.result = write_json_string(self.out, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.result = self
                .out
                .write_char('"')
                .and_then(|()| write!(Escaping(self.out), "{value:?}"))
                .and_then(|()| self.out.write_char('"'));
        }
    }
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped as serde_json escapes them.
fn write_json_string(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaping(out).write_str(text)?;
    out.write_char('"')
}

/// Escapes what passes through it for the inside of a JSON string.
struct Escaping<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // The usual case (uids, names, messages): nothing to escape, one append.
        if !text
            .bytes()
            .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
        {
            return self.0.write_str(text);
        }
        let mut plain_from = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            // Both ends are ASCII positions, so char boundaries.
            self.0
                .write_str(text.get(plain_from..at).ok_or(fmt::Error)?)?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain_from = at + 1;
        }
        self.0.write_str(text.get(plain_from..).ok_or(fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex, PoisonError};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    impl Capture {
        fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|line| line.to_owned())
                .collect()
        }
    }

    #[derive(Debug)]
    struct Shape {
        _name: &'static str,
    }

    /// Events covering every kind of field value, with text that needs escaping.
    fn emit_events() {
        let awkward =
            "quote \" backslash \\ newline \n tab \t nul \0 bell \u{7} del \u{7f} é ✓ 🚀 </tag>";
        tracing::info!("plain message");
        tracing::info!(
            uid = "9e8d7c6b-5a4f",
            operation = "CREATE",
            allowed = false,
            decisions = 18_u64,
            latency_us = 406_u64,
            "admission review"
        );
        tracing::warn!(error = awkward, "bad request");
        tracing::error!(
            signed = -42_i64,
            big = u128::MAX,
            small = i128::MIN,
            "numbers"
        );
        tracing::info!(
            whole = 25.0_f64,
            fraction = 0.1_f64,
            huge = 1e300_f64,
            tiny = -2.5e-7_f64,
            nan = f64::NAN,
            infinite = f64::INFINITY,
            "floats"
        );
        tracing::info!(display = %awkward, debug = ?awkward, shape = ?Shape { _name: "x\"y" }, "formatted");
        tracing::info!(
            r#type = "raw",
            bytes = &b"ab\x00"[..],
            "raw names {} and {:?}",
            7,
            awkward
        );
        let err = io::Error::other("disk \"full\"\n");
        tracing::error!(error = &err as &dyn std::error::Error, "with an error");
    }

    fn without_timestamp(line: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        let stamp = value["timestamp"].as_str().expect("timestamp").to_owned();
        assert_eq!(stamp.len(), "2026-11-29T10:55:33.932025Z".len(), "{stamp}");
        line.replacen(&stamp, "T", 1)
    }

    #[test]
    fn lines_match_tracing_subscribers_json_format() {
        let reference = Capture::default();
        let ours = Capture::default();
        let reference_subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false)
            .with_writer(reference.clone())
            .finish();
        let our_subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(ours.clone())
            .finish();
        tracing::subscriber::with_default(reference_subscriber, emit_events);
        tracing::subscriber::with_default(our_subscriber, emit_events);
        let (reference, ours) = (reference.lines(), ours.lines());
        assert_eq!(reference.len(), 8);
        assert_eq!(ours.len(), reference.len());
        for (expected, got) in reference.iter().zip(&ours) {
            assert_eq!(without_timestamp(got), without_timestamp(expected));
        }
        assert!(ours[1].contains(r#""fields":{"message":"admission review","uid":"9e8d7c6b-5a4f""#));
    }
}
