//! W3C trace context in the environment (`TRACEPARENT`), per the OpenTelemetry
//! environment-carrier spec: read the parent a wrapped script inherited, write the one the
//! child gets.

use crate::span::{SpanId, TraceId};

/// A parsed `traceparent`: version 00 form `00-<trace id>-<span id>-<flags>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace the child's spans join.
    pub trace_id: TraceId,
    /// The parent span of the child's root spans (the run span).
    pub span_id: SpanId,
    /// The `sampled` flag of the W3C header.
    pub sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` value; `None` for anything malformed, all-zero ids, or
    /// version `ff` (as the spec says, an invalid one is ignored, not an error).
    pub fn parse(value: &str) -> Option<TraceParent> {
        let parts: Vec<&str> = value.trim().split('-').collect();
        let [version, trace, span, flags, ..] = parts.as_slice() else {
            return None;
        };
        if version.len() != 2 || *version == "ff" || u8::from_str_radix(version, 16).is_err() {
            return None;
        }
        if *version == "00" && parts.len() != 4 {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16)
            .ok()
            .filter(|_| flags.len() == 2)?;
        Some(TraceParent {
            trace_id: TraceId::from_hex(&trace.to_ascii_lowercase())?,
            span_id: SpanId::from_hex(&span.to_ascii_lowercase())?,
            sampled: flags & 1 == 1,
        })
    }

    /// The `TRACEPARENT` value: `00-TRACEID-SPANID-FLAGS`.
    pub fn format(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id.to_hex(),
            self.span_id.to_hex(),
            if self.sampled { "01" } else { "00" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_values() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(text).unwrap();
        assert!(tp.sampled);
        assert_eq!(tp.format(), text);
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
        // A future version may carry more fields.
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
                .is_some()
        );
    }
}
