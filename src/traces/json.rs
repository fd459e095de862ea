//! The JSON that `traces list --json`, `traces show --json` and `traces tail --json` print:
//! a stable shape of our own (snake_case, ids in lowercase hex, times as RFC 3339 UTC text
//! plus Unix nanoseconds as decimal strings, as OTLP JSON writes them, since they exceed
//! what a JSON number holds exactly). The README documents it; fields are only ever added.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::summary::{Details, ModelTokens, Summary, details};
use super::time::rfc3339;
use super::tree::Row;
use super::{LogEvent, Trace, rows};
use crate::semantic::Usage;
use crate::span::{Attribute, Span, SpanKind, StatusCode, Value};

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

/// What the semantic layer reads in a span, whichever instrumentation made it.
#[derive(Debug, Serialize)]
pub struct GenAiJson {
    /// `agent`, `llm`, `tool`, `chain`, `embedding`, `retriever` or `other`.
    pub kind: &'static str,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_read_tokens: Option<u64>,
    pub cache_write_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost: Option<f64>,
    pub tool: Option<String>,
    pub session: Option<String>,
    pub user: Option<String>,
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

/// One span: a line of `traces tail --json`, an entry of `traces show --json`.
#[derive(Debug, Serialize)]
pub struct SpanJson<'a> {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// 16 lowercase hex digits; `null` for a root.
    pub parent_span_id: Option<String>,
    /// 0 at the top of the tree.
    pub depth: usize,
    /// Shown at the top because its parent is not in the store.
    pub orphan: bool,
    /// The span's name.
    pub name: &'a str,
    /// `internal`, `server`, `client`, `producer` or `consumer`.
    pub kind: &'static str,
    /// RFC 3339 in UTC, to the nanosecond.
    pub start_time: String,
    /// RFC 3339 in UTC, to the nanosecond.
    pub end_time: String,
    /// Nanoseconds since the Unix epoch, as a decimal string.
    pub start_unix_nanos: String,
    /// Nanoseconds since the Unix epoch, as a decimal string.
    pub end_unix_nanos: String,
    /// In milliseconds.
    pub duration_ms: f64,
    /// Its status code and message.
    pub status: StatusJson<'a>,
    /// The resource's `service.name`, `null` when it has none.
    pub service: Option<&'a str>,
    /// The instrumentation library that made it.
    pub scope: ScopeJson<'a>,
    /// Its attributes, typed as JSON (bytes in base64).
    pub attributes: AttributesJson<'a>,
    /// Its events, in order.
    pub events: Vec<EventJson<'a>>,
    /// Its resource's attributes.
    pub resource: AttributesJson<'a>,
    /// What the semantic layer reads in it.
    pub gen_ai: GenAiJson,
    /// The log records recorded in it (`traces show` only); left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogJson<'a>>,
}

/// A span's status.
#[derive(Debug, Serialize)]
pub struct StatusJson<'a> {
    /// `unset`, `ok` or `error`.
    pub code: &'static str,
    /// Its message; empty when it has none.
    pub message: &'a str,
}

/// The instrumentation library that made a span.
#[derive(Debug, Serialize)]
pub struct ScopeJson<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version; empty when unknown.
    pub version: &'a str,
}

/// One event of a span.
#[derive(Debug, Serialize)]
pub struct EventJson<'a> {
    /// Its name (`exception`...).
    pub name: &'a str,
    /// RFC 3339 in UTC, to the nanosecond.
    pub time: String,
    /// Its attributes, typed as JSON.
    pub attributes: AttributesJson<'a>,
}

/// Attributes as one JSON object, typed (bytes in base64), its keys sorted and a later
/// duplicate winning, as a `serde_json::Map` holds them; written straight from the span.
#[derive(Debug, Clone, Copy)]
pub struct AttributesJson<'a>(pub &'a [Attribute]);

/// An attribute value as plain JSON; bytes in base64, as OTLP JSON writes them; a double
/// that is no number (NaN, infinite) as `null`.
#[derive(Debug, Clone, Copy)]
pub struct ValueJson<'a>(pub &'a Value);

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

impl<'a> SpanJson<'a> {
    /// One span; `row` places it in its trace's tree (`None`: depth 0, not an orphan).
    pub fn new(span: &'a Span, row: Option<&Row>) -> SpanJson<'a> {
        SpanJson::with_details(span, row, &details(span))
    }

    /// Like [`SpanJson::new`], with the span's [`details`] already read.
    pub fn with_details(span: &'a Span, row: Option<&Row>, d: &Details) -> SpanJson<'a> {
        SpanJson {
            trace_id: span.trace_id.to_hex(),
            span_id: span.span_id.to_hex(),
            parent_span_id: span.parent_span_id.map(|p| p.to_hex()),
            depth: row.map_or(0, |r| r.depth),
            orphan: row.is_some_and(|r| r.orphan),
            name: &span.name,
            kind: match span.kind {
                SpanKind::Internal => "internal",
                SpanKind::Server => "server",
                SpanKind::Client => "client",
                SpanKind::Producer => "producer",
                SpanKind::Consumer => "consumer",
            },
            start_time: rfc3339(span.start_unix_nanos),
            end_time: rfc3339(span.end_unix_nanos),
            start_unix_nanos: span.start_unix_nanos.to_string(),
            end_unix_nanos: span.end_unix_nanos.to_string(),
            duration_ms: millis(span.end_unix_nanos.saturating_sub(span.start_unix_nanos)),
            status: StatusJson {
                code: match span.status.code {
                    StatusCode::Unset => "unset",
                    StatusCode::Ok => "ok",
                    StatusCode::Error => "error",
                },
                message: &span.status.message,
            },
            service: span
                .resource
                .attributes
                .iter()
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_str()),
            scope: ScopeJson {
                name: &span.scope.name,
                version: &span.scope.version,
            },
            attributes: AttributesJson(&span.attributes),
            events: span
                .events
                .iter()
                .map(|e| EventJson {
                    name: &e.name,
                    time: rfc3339(e.time_unix_nanos),
                    attributes: AttributesJson(&e.attributes),
                })
                .collect(),
            resource: AttributesJson(&span.resource.attributes),
            gen_ai: GenAiJson::new(d),
            logs: Vec::new(),
        }
    }
}

impl GenAiJson {
    fn new(d: &Details) -> GenAiJson {
        GenAiJson {
            kind: d.kind.as_str(),
            model: d.model.clone(),
            provider: d.provider.clone(),
            input_tokens: d.tokens.input,
            output_tokens: d.tokens.output,
            cache_read_tokens: d.tokens.cache_read,
            cache_write_tokens: d.tokens.cache_write,
            reasoning_tokens: d.tokens.reasoning,
            cost: d.cost,
            tool: d.tool.clone(),
            session: d.session.clone(),
            user: d.user.clone(),
        }
    }
}

fn millis(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

impl Serialize for AttributesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attrs = self.0;
        // Most spans hold their keys sorted and unique already: nothing to reorder then.
        if attrs.windows(2).all(|w| w[0].key < w[1].key) {
            return write_entries(serializer, attrs.iter());
        }
        let mut sorted: Vec<&Attribute> = attrs.iter().collect();
        // Stable, so that of equal keys the last one stays last, and is the one kept.
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let kept: Vec<&Attribute> = sorted
            .iter()
            .enumerate()
            .filter(|(i, a)| sorted.get(i + 1).is_none_or(|next| next.key != a.key))
            .map(|(_, a)| *a)
            .collect();
        write_entries(serializer, kept.into_iter())
    }
}

fn write_entries<'a, S: Serializer>(
    serializer: S,
    entries: impl ExactSizeIterator<Item = &'a Attribute>,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for a in entries {
        map.serialize_entry(&a.key, &ValueJson(&a.value))?;
    }
    map.end()
}

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        match self.0 {
            Value::Str(s) => serializer.serialize_str(s),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            // serde_json writes a double that is no number as `null`.
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::Bytes(b) => {
                serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(ValueJson)),
            Value::Map(entries) => AttributesJson(entries).serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope};
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
