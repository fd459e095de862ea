//! A stored line decoded into spans: OTLP JSON, however deeply its attribute values nest
//! within what the writer may write (serde_json's own limit of 128 levels is lifted for
//! the rare deep line, on a thread with room for it).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::span::{Span, into_spans};

/// How deeply nested (objects and arrays) a stored line may be. The writer keeps every
/// line within it ([`crate::export::local`] cuts attribute values nested deeper), so the
/// reader reads whatever the writer writes; a line beyond it (written by something else)
/// is reported and skipped, never followed down into a stack overflow.
pub const MAX_JSON_DEPTH: usize = 1024;

/// The stack of the thread that decodes a line nested deeper than serde_json's own limit
/// (128): enough for [`MAX_JSON_DEPTH`] levels in a debug build, and only touched as deep
/// as the line goes.
const DEEP_STACK_BYTES: usize = 256 << 20;

/// The spans of one stored line (an `ExportTraceServiceRequest` in OTLP JSON), and how
/// many spans it held with an invalid id.
pub fn decode(line: &[u8]) -> Result<(Vec<Span>, usize), serde_json::Error> {
    match serde_json::from_slice::<ExportTraceServiceRequest>(line) {
        Ok(request) => Ok(into_spans(request)),
        // A deeply nested attribute (arrays in maps in arrays...): decoded again without
        // the limit, on a thread with room for it.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => decode_deep(line),
        Err(e) => Err(e),
    }
}

/// [`decode`] for a line nested deeper than serde_json's default limit.
fn decode_deep(line: &[u8]) -> Result<(Vec<Span>, usize), serde_json::Error> {
    use serde::Deserialize as _;
    use serde::de::Error as _;
    let depth = json_depth(line);
    if depth > MAX_JSON_DEPTH {
        return Err(serde_json::Error::custom(format!(
            "the line is nested {depth} levels deep, more than the {MAX_JSON_DEPTH} the reader follows"
        )));
    }
    let decode = || {
        let mut de = serde_json::Deserializer::from_slice(line);
        de.disable_recursion_limit();
        let request = ExportTraceServiceRequest::deserialize(&mut de)?;
        de.end()?;
        Ok(into_spans(request))
    };
    std::thread::scope(|scope| {
        let decoder = std::thread::Builder::new()
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, decode);
        match decoder {
            Ok(decoder) => decoder.join().unwrap_or_else(|_| {
                Err(serde_json::Error::custom(
                    "decoding the deeply nested line failed",
                ))
            }),
            Err(e) => Err(serde_json::Error::custom(format!(
                "cannot start a thread to decode a deeply nested line: {e}"
            ))),
        }
    })
}

/// The deepest nesting of objects and arrays in a JSON text (brackets inside strings are
/// not counted).
pub fn json_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored line with one attribute nested `levels` deep: maps in maps, the deepest
    /// JSON a level can make (4 objects and arrays each).
    fn nested_line(levels: usize) -> Vec<u8> {
        use crate::span::{Attribute, Resource, Scope, Value, to_request};
        let mut value = Value::from("bottom");
        for _ in 0..levels {
            value = Value::Map(vec![Attribute::new("k", value)]);
        }
        let mut span = Span::start(
            "deep",
            None,
            std::sync::Arc::new(Resource::service("s")),
            std::sync::Arc::new(Scope::default()),
        );
        span.set("nested", value);
        serde_json::to_vec(&to_request(&[span])).unwrap()
    }

    #[test]
    fn a_line_nested_30_levels_deep_is_read() {
        let line = nested_line(30);
        assert!(
            json_depth(&line) > 128,
            "deeper than serde_json's own limit"
        );
        let (spans, invalid) = decode(&line).unwrap();
        assert_eq!((spans.len(), invalid), (1, 0));
        assert_eq!(spans[0].name, "deep");
    }

    #[test]
    fn the_deepest_line_the_writer_may_write_is_read() {
        let line = nested_line(crate::export::nesting::MAX_VALUE_DEPTH);
        assert!(json_depth(&line) <= MAX_JSON_DEPTH, "{}", json_depth(&line));
        assert_eq!(decode(&line).unwrap().0.len(), 1);
    }

    /// [`nested_line`] written as text: building a span this deep would recurse as deep
    /// on the test's thread.
    fn nested_text(levels: usize) -> Vec<u8> {
        format!(
            "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"traceId\":\"{}\",\
             \"spanId\":\"{}\",\"name\":\"deep\",\"attributes\":[{{\"key\":\"nested\",\
             \"value\":{}{{\"stringValue\":\"x\"}}{}}}]}}]}}]}}]}}",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":".repeat(levels),
            "}]}}".repeat(levels)
        )
        .into_bytes()
    }

    #[test]
    fn a_line_as_deep_as_the_limit_is_read() {
        let levels = (0..MAX_JSON_DEPTH)
            .rev()
            .find(|&n| json_depth(&nested_text(n)) <= MAX_JSON_DEPTH)
            .unwrap();
        let (spans, invalid) = decode(&nested_text(levels)).unwrap();
        assert_eq!((spans.len(), invalid), (1, 0));
    }

    #[test]
    fn a_line_nested_beyond_the_limit_is_an_error_not_a_crash() {
        let line = nested_text(MAX_JSON_DEPTH / 4 + 1);
        assert!(json_depth(&line) > MAX_JSON_DEPTH);
        let err = decode(&line).unwrap_err().to_string();
        let deep = format!("nested {} levels deep", json_depth(&line));
        assert!(err.contains(&deep), "{err}");
    }

    #[test]
    fn json_depth_skips_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[{\"x"}]}"#), 3);
        assert_eq!(json_depth(b"1"), 0);
    }
}
