//! One log record as JSON, under its span (or its trace) in `traces show --json`.

use serde::Serialize;

use super::value::{AttributesJson, ValueJson};
use crate::traces::LogEvent;
use crate::traces::time::rfc3339;

/// One log record, under its span (or its trace) in `traces show --json`.
#[derive(Debug, Serialize)]
pub struct LogJson<'a> {
    /// RFC 3339 in UTC, to the nanosecond.
    pub time: String,
    /// Nanoseconds since the Unix epoch, as a decimal string.
    pub time_unix_nanos: String,
    /// 16 lowercase hex digits; `null` when it names no span.
    pub span_id: Option<String>,
    /// `INFO`, `ERROR`...
    pub severity: &'a str,
    /// Its event name; empty when it is no event.
    pub event_name: &'a str,
    /// Its body, as JSON; `null` when it has none.
    pub body: Option<ValueJson<'a>>,
    /// Its attributes, typed as JSON.
    pub attributes: AttributesJson<'a>,
}

impl LogJson<'_> {
    /// The JSON form of a log record.
    pub fn new(log: &LogEvent) -> LogJson<'_> {
        LogJson {
            time: rfc3339(log.time_unix_nanos),
            time_unix_nanos: log.time_unix_nanos.to_string(),
            span_id: log.span_id.map(|id| id.to_hex()),
            severity: &log.severity,
            event_name: &log.event_name,
            body: log.body.as_ref().map(ValueJson),
            attributes: AttributesJson(&log.attributes),
        }
    }
}
