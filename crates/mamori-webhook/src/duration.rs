//! Go `time.ParseDuration` and the `?timeout=` query parameter the API server appends to webhook calls.

use std::time::Duration;

/// Parses a Go duration (`"10s"`, `"1m30s"`, `"1.5h"`, `"300ms"`, `"250us"`, `"250µs"`, `"-1s"`, `"0"`) as
/// `time.ParseDuration` does. A negative duration is returned as zero (an already expired deadline).
/// `None` when the text is not a Go duration.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (number, after) = rest.split_at(number_len);
        // Go accepts "1.", ".5" but not "." alone, and at most one dot.
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(index, _)| index);
        let (unit, next) = after.split_at(unit_len);
        let nanos_per_unit: f64 = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total_nanos += value * nanos_per_unit;
        rest = next;
    }
    // Go rejects durations beyond ~292 years (int64 nanoseconds).
    if total_nanos > i64::MAX as f64 {
        return None;
    }
    if negative {
        return Some(Duration::ZERO);
    }
    Some(Duration::from_nanos(total_nanos as u64))
}

/// The first `timeout` parameter of a URL query string (percent-decoded), parsed as a Go duration. An absent,
/// empty or invalid value gives `None` (upstream ignores an invalid timeout).
pub fn timeout_from_query(query: Option<&str>) -> Option<Duration> {
    let query = query?;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode(key).as_deref() == Some("timeout") {
            return percent_decode(value).and_then(|text| parse_go_duration(&text));
        }
    }
    None
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space); `None` on a malformed escape or non-UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let hex = text.get(index + 1..index + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("10s", Some(Duration::from_secs(10))),
            ("1m30s", Some(Duration::from_secs(90))),
            ("1.5h", Some(Duration::from_secs(5400))),
            ("300ms", Some(Duration::from_millis(300))),
            ("250us", Some(Duration::from_micros(250))),
            ("250\u{b5}s", Some(Duration::from_micros(250))),
            ("250\u{3bc}s", Some(Duration::from_micros(250))),
            ("7ns", Some(Duration::from_nanos(7))),
            (".5s", Some(Duration::from_millis(500))),
            ("1.s", Some(Duration::from_secs(1))),
            ("0", Some(Duration::ZERO)),
            ("+2s", Some(Duration::from_secs(2))),
            ("-1s", Some(Duration::ZERO)),
            ("", None),
            ("10", None),
            ("s", None),
            (".s", None),
            ("1.2.3s", None),
            ("10x", None),
            ("1e3s", None),
            ("-", None),
            ("9999999999h", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_go_duration(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn timeout_query() {
        assert_eq!(
            timeout_from_query(Some("timeout=10s")),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            timeout_from_query(Some("a=b&timeout=1500ms&timeout=1s")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            timeout_from_query(Some("timeout=250%C2%B5s")),
            Some(Duration::from_micros(250))
        );
        assert_eq!(timeout_from_query(Some("timeout=bogus")), None);
        assert_eq!(timeout_from_query(Some("timeout=%ZZ")), None);
        assert_eq!(timeout_from_query(Some("other=1s")), None);
        assert_eq!(timeout_from_query(None), None);
    }
}
