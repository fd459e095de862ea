//! One span as JSON: a line of `traces tail --json`, an entry of `traces show --json`, with
//! its status, scope, events and what the semantic layer reads in it (`gen_ai`).

use serde::Serialize;

use super::log::LogJson;
use super::millis;
use super::value::AttributesJson;
use crate::span::{Span, SpanKind, StatusCode};
use crate::traces::summary::{Details, details};
use crate::traces::time::rfc3339;
use crate::traces::tree::Row;

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
