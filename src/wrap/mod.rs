//! Tracing a child process: its trace context, its arguments as recorded, the process
//! itself with signal forwarding, and the loopback OTLP receiver its SDK sends to.

pub mod agents;
pub mod args;
pub mod child;
pub mod child_env;
pub mod context;
mod forward;
mod grpc;
#[cfg(test)]
mod log_tap_tests;
pub mod naming;
pub mod receiver;
pub mod refusal;
pub mod scan;
pub mod session;

use crate::span::{Span, SpanId, TraceId};

/// Moves spans of other traces into the run's trace: a root span (one that ignored
/// `TRACEPARENT`) goes under the run span, its descendants keep their parents.
pub fn adopt(spans: &mut [Span], trace_id: TraceId, run_span: SpanId) {
    for span in spans.iter_mut().filter(|s| s.trace_id != trace_id) {
        span.trace_id = trace_id;
        if span.parent_span_id.is_none() {
            span.parent_span_id = Some(run_span);
        }
    }
}
