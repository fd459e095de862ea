//! The log records the local store keeps beside its traces (the `logs-…` files): those of
//! one trace, found by its id as text and decoded from OTLP JSON, for `traces show`. A
//! record with the id of one of the trace's spans is shown under that span; one without
//! (or of a span not in the store), under the trace.

use std::path::Path;

use memchr::memmem::Finder;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::Trace;
use super::lines::lines_holding;
use super::scan::before_trace;
use crate::error::{Error, Result};
use crate::export::local;
use crate::presets::Signal;
use crate::span::{Attribute, SpanId, TraceId, Value, attrs_from_pb, value_from_pb};

/// One log record of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// When it happened (its observed time when it has no time), Unix nanoseconds.
    pub time_unix_nanos: u64,
    /// The span it was recorded in; `None` when it names none.
    pub span_id: Option<SpanId>,
    /// Its severity as text (`INFO`, `ERROR`...; from the number when it has no text).
    pub severity: String,
    /// Its event name, when it is an event (`event.name`, OTLP's `event_name`).
    pub event_name: String,
    /// Its body; `None` when it has none.
    pub body: Option<Value>,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

/// The log records of `trace` in the store in `dir`, oldest first. A line that cannot be
/// read is reported through `warn` and skipped. The files of days before the trace
/// started are not read, as for its spans.
pub fn logs_of(dir: &Path, trace: &Trace, warn: &mut dyn FnMut(String)) -> Result<Vec<LogEvent>> {
    let trace_id = trace.trace_id;
    let hex = trace_id.to_hex();
    let finder = Finder::new(hex.as_bytes());
    let mut found = Vec::new();
    for (path, _, _) in local::signal_files(dir, Signal::Logs)? {
        if before_trace(&path, Signal::Logs, trace) {
            continue;
        }
        let mut visit = |offset: u64, line: &[u8], partial: bool| match serde_json::from_slice::<
            ExportLogsServiceRequest,
        >(line)
        {
            Ok(request) => found.extend(events_of(request, trace_id)),
            Err(_) if partial => {}
            Err(e) => warn(format!(
                "skipped a corrupt line at byte {offset} of {}: {e}",
                path.display()
            )),
        };
        lines_holding(&path, &finder, &mut visit)
            .map_err(|e| Error::io("cannot read", &path, e))?;
    }
    found.sort_by_key(|e| e.time_unix_nanos);
    Ok(found)
}

/// The records of `trace_id` in a request.
fn events_of(request: ExportLogsServiceRequest, trace_id: TraceId) -> Vec<LogEvent> {
    request
        .resource_logs
        .into_iter()
        .flat_map(|r| r.scope_logs)
        .flat_map(|s| s.log_records)
        .filter(|r| r.trace_id == trace_id.0)
        .map(event)
        .collect()
}

fn event(record: LogRecord) -> LogEvent {
    let span_id = <[u8; 8]>::try_from(record.span_id.as_slice())
        .ok()
        .map(SpanId)
        .filter(|id| id.0 != [0; 8]);
    let severity = if record.severity_text.is_empty() {
        severity_name(record.severity_number).to_string()
    } else {
        record.severity_text
    };
    let time = match record.time_unix_nano {
        0 => record.observed_time_unix_nano,
        t => t,
    };
    LogEvent {
        time_unix_nanos: time,
        span_id,
        severity,
        event_name: record.event_name,
        body: record.body.and_then(value_from_pb),
        attributes: attrs_from_pb(record.attributes),
    }
}

/// The name of an OTLP severity number's range (1-4 TRACE ... 21-24 FATAL).
fn severity_name(number: i32) -> &'static str {
    match number {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => "LOG",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::local::LocalStore;
    use crate::export::records::fixtures::logs;

    #[test]
    fn finds_the_records_of_one_trace_with_their_span() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf(), u64::MAX, 14);
        store
            .append_records(&logs(&["mine"], [7; 16], [8; 8]))
            .unwrap();
        store
            .append_records(&logs(&["other"], [9; 16], [8; 8]))
            .unwrap();
        let mut warnings = Vec::new();
        let trace = Trace::new(TraceId([7; 16]));
        let found = logs_of(dir.path(), &trace, &mut |w| warnings.push(w)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].span_id, Some(SpanId([8; 8])));
        assert_eq!(found[0].body, Some(Value::from("mine")));
        assert_eq!(found[0].severity, "LOG");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(
            crate::traces::Store::open(dir.path()).unwrap().is_empty(),
            "logs are no trace file"
        );
    }

    #[test]
    fn the_files_of_days_before_the_trace_began_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf(), u64::MAX, 100_000);
        store
            .append_records(&logs(&["mine"], [7; 16], [8; 8]))
            .unwrap();
        // A damaged line holding the id, in a file of the year 2000: read, it would warn.
        let hex = TraceId([7; 16]).to_hex();
        std::fs::write(
            dir.path().join("logs-2000-01-01.jsonl"),
            format!("{{\"{hex}\n"),
        )
        .unwrap();
        let mut trace = Trace::new(TraceId([7; 16]));
        let mut span = crate::span::Span::start(
            "s",
            None,
            std::sync::Arc::new(crate::span::Resource::service("t")),
            std::sync::Arc::new(crate::span::Scope::default()),
        );
        span.trace_id = trace.trace_id;
        trace.add(span);
        let mut warnings = Vec::new();
        let found = logs_of(dir.path(), &trace, &mut |w| warnings.push(w)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
