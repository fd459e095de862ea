//! The JSON that `traces list --json`, `traces show --json` and `traces tail --json` print:
//! a stable shape of our own (snake_case, ids in lowercase hex, times as RFC 3339 UTC text
//! plus Unix nanoseconds as decimal strings, as OTLP JSON writes them, since they exceed
//! what a JSON number holds exactly). The README documents it; fields are only ever added.
//! Here a trace's summary and the whole trace; a span in `span`, a log record in `log`,
//! attributes and values in `value`.

use serde::Serialize;

use super::summary::{Details, ModelTokens, Summary, details};
use super::time::rfc3339;
use super::{LogEvent, Trace, rows};
use crate::semantic::Usage;

mod log;
mod span;
mod value;

pub use self::log::LogJson;
pub use self::span::{EventJson, ScopeJson, SpanJson, StatusJson};
pub use self::value::{AttributesJson, ValueJson};

/// A trace in figures: a row of `traces list --json`, the head of `traces show --json`.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// When its earliest span started, RFC 3339 in UTC.
    pub start_time: String,
    /// The same instant in nanoseconds since the Unix epoch, as a decimal string.
    pub start_unix_nanos: String,
    /// From the earliest start to the latest end, in milliseconds.
    pub duration_ms: f64,
    /// The root span's name, `null` when the store holds no root for the trace.
    pub root_name: Option<String>,
    /// The root's name, else the earliest span's.
    pub name: String,
    /// Spans in the store for this trace.
    pub span_count: usize,
    /// Spans whose status is ERROR.
    pub errors: usize,
    /// Spans whose parent is not in the store.
    pub orphans: usize,
    /// Tokens over every model (`0` when unknown) and their cost in US dollars (`null`
    /// when no span has one); its fields stand at this level of the JSON.
    #[serde(flatten)]
    pub usage: Usage,
    /// Tokens and cost by model, sorted by model name.
    pub models: Vec<ModelJson>,
}

/// One model's tokens and cost in a trace.
#[derive(Debug, Serialize)]
pub struct ModelJson {
    /// The model's name, or `(no model)` for tokens of spans that name none.
    pub model: String,
    /// Its tokens, and their cost (`null` when none of its spans could be priced).
    #[serde(flatten)]
    pub usage: Usage,
}

/// `traces show --json`: the summary's fields, then the spans in tree order. It borrows
/// from the trace: 10,000 spans are written out without a copy of their attributes.
#[derive(Debug, Serialize)]
pub struct TraceJson<'a> {
    /// The trace in figures (its fields stand at the top level of the JSON).
    #[serde(flatten)]
    pub summary: SummaryJson,
    /// The spans, each parent before its children.
    pub spans: Vec<SpanJson<'a>>,
    /// Log records of the trace that name no span of it (each other one is under its
    /// span); left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogJson<'a>>,
}

impl SummaryJson {
    /// The JSON form of `summary`.
    pub fn new(summary: &Summary) -> SummaryJson {
        SummaryJson {
            trace_id: summary.trace_id.to_hex(),
            start_time: rfc3339(summary.start_unix_nanos),
            start_unix_nanos: summary.start_unix_nanos.to_string(),
            duration_ms: millis(summary.duration_nanos()),
            root_name: summary.root_name.clone(),
            name: summary.name.clone(),
            span_count: summary.spans,
            errors: summary.errors,
            orphans: summary.orphans,
            usage: Usage::of(&summary.tokens, summary.cost),
            models: summary.models.iter().map(ModelJson::new).collect(),
        }
    }
}

impl ModelJson {
    fn new(m: &ModelTokens) -> ModelJson {
        ModelJson {
            model: m.model.clone(),
            usage: Usage::of(&m.tokens, m.cost),
        }
    }
}

impl<'a> TraceJson<'a> {
    /// The summary and every span of `trace`, in tree order.
    pub fn new(trace: &'a Trace) -> TraceJson<'a> {
        TraceJson::with_logs(trace, &[])
    }

    /// [`TraceJson::new`], each of `logs` under its span, or under the trace when it
    /// names no span of it.
    pub fn with_logs(trace: &'a Trace, logs: &'a [LogEvent]) -> TraceJson<'a> {
        let details: Vec<Details> = trace.spans.iter().map(details).collect();
        let spans = rows(&trace.spans)
            .iter()
            .map(|row| {
                let span = &trace.spans[row.index];
                let mut json = SpanJson::with_details(span, Some(row), &details[row.index]);
                json.logs = logs
                    .iter()
                    .filter(|l| l.span_id == Some(span.span_id))
                    .map(LogJson::new)
                    .collect();
                json
            })
            .collect();
        TraceJson {
            summary: SummaryJson::new(&Summary::with_details(trace, &details)),
            spans,
            logs: logs
                .iter()
                .filter(|l| !trace.spans.iter().any(|s| Some(s.span_id) == l.span_id))
                .map(LogJson::new)
                .collect(),
        }
    }
}

fn millis(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Attribute, Resource, Scope, Span, Value};
    use std::sync::Arc;

    #[test]
    fn a_log_goes_under_its_span_and_one_of_no_span_under_the_trace() {
        let span = Span::start(
            "s",
            None,
            Arc::new(Resource::service("svc")),
            Arc::new(Scope::default()),
        );
        let mut trace = Trace::new(span.trace_id);
        let log = |span_id, body: &str| LogEvent {
            time_unix_nanos: 1,
            span_id,
            severity: "INFO".into(),
            event_name: String::new(),
            body: Some(Value::from(body)),
            attributes: Vec::new(),
        };
        let logs = [log(Some(span.span_id), "in"), log(None, "out")];
        trace.add(span);
        let json = serde_json::to_value(TraceJson::with_logs(&trace, &logs)).unwrap();
        assert_eq!(json["spans"][0]["logs"][0]["body"], "in");
        assert_eq!(json["spans"][0]["logs"].as_array().map(Vec::len), Some(1));
        assert_eq!(json["logs"][0]["body"], "out");
        assert_eq!(json["logs"][0]["span_id"], serde_json::Value::Null);
        let plain = serde_json::to_value(TraceJson::new(&trace)).unwrap();
        assert!(plain.get("logs").is_none() && plain["spans"][0].get("logs").is_none());
    }

    #[test]
    fn values_are_plain_json_and_big_times_are_strings() {
        let mut span = Span::start(
            "s",
            None,
            Arc::new(Resource::service("svc")),
            Arc::new(Scope::default()),
        );
        span.start_unix_nanos = 1_767_621_802_000_000_001;
        span.end_unix_nanos = span.start_unix_nanos + 1_500_000;
        span.set("n", 3i64)
            .set("b", Value::Bytes(vec![1, 2]))
            .set("l", Value::Array(vec!["a".into(), Value::Double(f64::NAN)]));
        let json = serde_json::to_value(SpanJson::new(&span, None)).unwrap();
        assert_eq!(json["start_unix_nanos"], "1767621802000000001");
        assert_eq!(json["duration_ms"], 1.5);
        assert_eq!(json["service"], "svc");
        assert_eq!(json["attributes"]["n"], 3);
        assert_eq!(json["attributes"]["b"], "AQI=");
        assert_eq!(json["attributes"]["l"], serde_json::json!(["a", null]));
        assert_eq!(json["parent_span_id"], serde_json::Value::Null);
    }

    #[test]
    fn attributes_come_out_sorted_with_a_later_duplicate_winning_as_in_a_json_map() {
        let attrs = [
            Attribute::new("b", 1i64),
            Attribute::new(
                "a",
                Value::Map(vec![Attribute::new("z", 1i64), Attribute::new("y", true)]),
            ),
            Attribute::new("b", "second"),
            Attribute::new("c", Value::Bytes(vec![255])),
        ];
        let written = serde_json::to_string(&AttributesJson(&attrs)).unwrap();
        assert_eq!(written, r#"{"a":{"y":true,"z":1},"b":"second","c":"/w=="}"#);
        let sorted = [Attribute::new("a", 1i64), Attribute::new("b", 2i64)];
        assert_eq!(
            serde_json::to_string(&AttributesJson(&sorted)).unwrap(),
            r#"{"a":1,"b":2}"#
        );
        assert_eq!(serde_json::to_string(&AttributesJson(&[])).unwrap(), "{}");
    }
}
