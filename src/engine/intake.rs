//! What happens to a span on its way in, on the caller's thread and so kept cheap:
//! deterministic sampling by trace id, truncation of oversized attribute values, and a
//! size estimate for the queue's byte bound.

use crate::span::{Attribute, Span, StatusCode, TraceId, Value};

/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` default here: a base64 file in a prompt must not
/// cost a provider's 413.
pub const DEFAULT_VALUE_LIMIT: usize = 64 * 1024;

/// The intake rules: which spans are kept and how long a string value may be.
#[derive(Debug, Clone)]
pub struct Intake {
    /// Traces whose id hashes below this are kept; `u64::MAX` keeps all.
    threshold: u64,
    slow_nanos: u64,
    value_limit: usize,
}

impl Intake {
    /// Keeps traces at `sample_rate` (clamped to `0.0..=1.0`) and every span that failed
    /// or lasted `slow_threshold_ms` or more; cuts string values over `value_limit` bytes.
    pub fn new(sample_rate: f64, slow_threshold_ms: u64, value_limit: usize) -> Intake {
        let rate = sample_rate.clamp(0.0, 1.0);
        let threshold = if rate >= 1.0 {
            u64::MAX
        } else {
            (rate * u64::MAX as f64) as u64
        };
        Intake {
            threshold,
            slow_nanos: slow_threshold_ms.saturating_mul(1_000_000),
            value_limit,
        }
    }

    /// Kept when its trace is sampled (the same answer for every span of a trace), or when
    /// it failed or was slow: a head decision cannot know a trace will fail. This is the
    /// library's rule (head sampling); `run` decides whole traces instead
    /// (`wrap::sampling`), with the same trace-id rule.
    pub fn keep(&self, span: &Span) -> bool {
        self.samples_all()
            || self.trace_sampled(&span.trace_id)
            || self.failed(span)
            || self.slow(span)
    }

    /// Every trace is kept (a rate of 1): nothing needs deciding.
    pub fn samples_all(&self) -> bool {
        self.threshold == u64::MAX
    }

    /// The deterministic trace-id rule: the same answer for a trace wherever it is asked.
    pub fn trace_sampled(&self, trace_id: &TraceId) -> bool {
        let mut low = [0u8; 8];
        low.copy_from_slice(&trace_id.0[8..]);
        u64::from_be_bytes(low) < self.threshold
    }

    /// The span's status is an error.
    pub fn failed(&self, span: &Span) -> bool {
        span.status.code == StatusCode::Error
    }

    /// The span lasted the slow threshold or longer.
    pub fn slow(&self, span: &Span) -> bool {
        span.end_unix_nanos.saturating_sub(span.start_unix_nanos) >= self.slow_nanos
    }

    /// How long a string or bytes value may be (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
    pub fn value_limit(&self) -> usize {
        self.value_limit
    }

    /// Truncates string values over the limit; returns how many were cut.
    pub fn truncate(&self, span: &mut Span) -> usize {
        let mut cut = truncate_attrs(&mut span.attributes, self.value_limit);
        for event in &mut span.events {
            cut += truncate_attrs(&mut event.attributes, self.value_limit);
        }
        cut
    }
}

fn truncate_attrs(attrs: &mut [Attribute], limit: usize) -> usize {
    attrs
        .iter_mut()
        .map(|a| truncate_value(&mut a.value, limit))
        .sum()
}

fn truncate_value(value: &mut Value, limit: usize) -> usize {
    match value {
        Value::Str(s) if s.len() > limit => {
            truncate_string(s, limit);
            1
        }
        Value::Bytes(b) if b.len() > limit => {
            b.truncate(limit);
            1
        }
        Value::Array(items) => items.iter_mut().map(|v| truncate_value(v, limit)).sum(),
        Value::Map(entries) => truncate_attrs(entries, limit),
        _ => 0,
    }
}

/// Cuts `s` to at most `limit` bytes (on a character boundary) and says how much went.
pub fn truncate_string(s: &mut String, limit: usize) {
    let mut end = limit.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let removed = s.len() - end;
    s.truncate(end);
    s.push_str(&format!("…[truncated {removed} bytes]"));
}

/// A cheap estimate of the memory a queued span holds (its struct, and its vectors and
/// strings by capacity, not length, with the allocator's overhead), for the queue's byte
/// bound and batching.
pub fn approx_size(span: &Span) -> usize {
    use std::mem::size_of;
    /// What an allocator adds to each heap block, about.
    const PER_ALLOCATION: usize = 16;
    fn heap(len: usize) -> usize {
        if len == 0 { 0 } else { len + PER_ALLOCATION }
    }
    fn value_size(v: &Value) -> usize {
        match v {
            Value::Str(s) => heap(s.capacity()),
            Value::Bytes(b) => heap(b.capacity()),
            Value::Array(items) => {
                heap(items.capacity() * size_of::<Value>())
                    + items.iter().map(value_size).sum::<usize>()
            }
            Value::Map(entries) => attrs_size(entries),
            _ => 0,
        }
    }
    /// A borrowed name (one the tool knows) takes no memory of its own.
    #[allow(clippy::ptr_arg)] // whether it is borrowed is the question
    fn key_size(key: &std::borrow::Cow<'static, str>) -> usize {
        match key {
            std::borrow::Cow::Owned(name) => heap(name.capacity()),
            std::borrow::Cow::Borrowed(_) => 0,
        }
    }
    fn attrs_size(attrs: &Vec<Attribute>) -> usize {
        heap(attrs.capacity() * size_of::<Attribute>())
            + attrs
                .iter()
                .map(|a| key_size(&a.key) + value_size(&a.value))
                .sum::<usize>()
    }
    size_of::<Span>()
        + heap(span.name.capacity())
        + heap(span.trace_state.capacity())
        + attrs_size(&span.attributes)
        + heap(span.events.capacity() * size_of::<crate::span::Event>())
        + span
            .events
            .iter()
            .map(|e| heap(e.name.capacity()) + attrs_size(&e.attributes))
            .sum::<usize>()
        + heap(span.links.capacity() * size_of::<crate::span::Link>())
        + span
            .links
            .iter()
            .map(|l| heap(l.trace_state.capacity()) + attrs_size(&l.attributes))
            .sum::<usize>()
        + heap(span.status.message.capacity())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Status};
    use std::sync::Arc;

    fn span_in(trace: TraceId) -> Span {
        let mut s = Span::start(
            "s",
            None,
            Arc::new(Resource::default()),
            Arc::new(Scope::default()),
        );
        s.trace_id = trace;
        s
    }

    #[test]
    fn a_trace_is_sampled_whole() {
        let intake = Intake::new(0.5, 1000, DEFAULT_VALUE_LIMIT);
        let mut kept = 0;
        for _ in 0..2000 {
            let trace = TraceId::random();
            let decisions: Vec<bool> = (0..5).map(|_| intake.keep(&span_in(trace))).collect();
            assert!(
                decisions.iter().all(|d| *d == decisions[0]),
                "one decision per trace"
            );
            kept += usize::from(decisions[0]);
        }
        assert!((800..1200).contains(&kept), "about half kept: {kept}");
    }

    #[test]
    fn errors_and_slow_spans_survive_a_rate_of_zero() {
        let intake = Intake::new(0.0, 1000, DEFAULT_VALUE_LIMIT);
        let plain = span_in(TraceId::random());
        assert!(!intake.keep(&plain));
        let mut failed = plain.clone();
        failed.status = Status {
            code: StatusCode::Error,
            message: String::new(),
        };
        assert!(intake.keep(&failed));
        let mut slow = plain.clone();
        slow.end_unix_nanos = slow.start_unix_nanos + 1_000_000_000;
        assert!(intake.keep(&slow));
    }

    #[test]
    fn long_values_are_truncated_with_a_note() {
        let intake = Intake::new(1.0, 1000, 10);
        let mut span = span_in(TraceId::random());
        span.set("prompt", "ééééééééééé"); // 22 bytes
        span.set("short", "ok");
        assert_eq!(intake.truncate(&mut span), 1);
        assert_eq!(
            span.attribute("prompt"),
            Some(&Value::from("ééééé…[truncated 12 bytes]"))
        );
        assert_eq!(span.attribute("short"), Some(&Value::from("ok")));
    }
}
