//! Tracing a child process: its trace context, its arguments as recorded, the process
//! itself with signal forwarding, and the loopback OTLP receiver its SDK sends to.

pub mod agents;
pub mod args;
pub mod child;
pub mod child_env;
pub mod context;
mod decode;
mod forward;
mod grpc;
mod http;
#[cfg(test)]
mod log_tap_tests;
pub mod naming;
pub mod receiver;
pub mod refusal;
mod room;
pub mod run_span;
pub mod sampling;
pub mod scan;
pub mod session;
#[cfg(target_os = "linux")]
mod spawn;
pub mod who;

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

/// What [`adopt`] does to a trace's spans, done to log records: a record of another trace
/// (one that ignored `TRACEPARENT`) takes the run's trace id, keeping its span id, so it
/// stays with its span. Records of no trace, and metrics, are left as they are.
pub fn adopt_records(records: &mut crate::export::Records, trace_id: TraceId) {
    let crate::export::Records::Logs(request) = records else {
        return;
    };
    let run = trace_id.0;
    for record in request
        .resource_logs
        .iter_mut()
        .flat_map(|r| &mut r.scope_logs)
        .flat_map(|s| &mut s.log_records)
    {
        let of_a_trace = record.trace_id.len() == 16 && record.trace_id.iter().any(|b| *b != 0);
        if of_a_trace && record.trace_id != run {
            record.trace_id = run.to_vec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Records;
    use crate::export::records::fixtures::logs;

    fn trace_ids(records: &Records) -> Vec<Vec<u8>> {
        let Records::Logs(request) = records else {
            panic!("logs")
        };
        request.resource_logs[0].scope_logs[0]
            .log_records
            .iter()
            .map(|r| r.trace_id.clone())
            .collect()
    }

    #[test]
    fn adopted_log_records_take_the_run_trace_and_keep_their_span() {
        let run = TraceId([5; 16]);
        let mut records = logs(&["a"], [9; 16], [2; 8]);
        adopt_records(&mut records, run);
        assert_eq!(trace_ids(&records), [run.0.to_vec()]);
        let mut none = logs(&["a"], [0; 16], [0; 8]);
        adopt_records(&mut none, run);
        assert_eq!(
            trace_ids(&none),
            [vec![0; 16]],
            "a record of no trace stays so"
        );
    }
}
