//! Log records of an OTLP logs request, flattened for the translators: each with its
//! time, the span it was emitted in (if any), its body and attributes, and its resource.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::span::{Attribute, Resource, SpanId, TraceId, Value, attrs_from_pb};

/// One log record (an agent's event: `claude_code.api_request`, `gemini_cli.tool_call`).
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// When it happened (the record's time, else when it was observed).
    pub time_unix_nanos: u64,
    /// The trace and span it was emitted in, when the agent said.
    pub span: Option<(TraceId, SpanId)>,
    /// Its body, when a string.
    pub body: Option<String>,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Its resource (`service.name`, and Gemini CLI's `session.id`).
    pub resource: Arc<Resource>,
}

impl LogEvent {
    /// The value of the attribute `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }

    /// The text of the attribute `key`, else of the resource's.
    pub fn text(&self, key: &str) -> Option<&str> {
        super::text_of(self.get(key)).or_else(|| {
            let attr = self.resource.attributes.iter().find(|a| a.key == key);
            super::text_of(attr.map(|a| &a.value))
        })
    }

    /// The integer attribute `key` (also when sent as a string).
    pub fn int(&self, key: &str) -> Option<i64> {
        super::int_of(self.get(key))
    }

    /// The event's name: `event.name`, else the body (Claude Code puts
    /// `claude_code.api_request` there, and `api_request` in `event.name`).
    pub fn name(&self) -> &str {
        self.text("event.name")
            .or(self.body.as_deref())
            .unwrap_or_default()
    }
}

/// Every record of a logs request, in order. Reads the request; copies what it keeps.
pub fn log_events(request: &ExportLogsServiceRequest) -> Vec<LogEvent> {
    let mut events = Vec::new();
    for resource_logs in &request.resource_logs {
        let resource = Arc::new(Resource {
            attributes: resource_logs
                .resource
                .as_ref()
                .map(|r| attrs_from_pb(r.attributes.clone()))
                .unwrap_or_default(),
            schema_url: resource_logs.schema_url.clone(),
        });
        for record in resource_logs.scope_logs.iter().flat_map(|s| &s.log_records) {
            let ids = TraceId::from_hex(&hex(&record.trace_id))
                .zip(SpanId::from_hex(&hex(&record.span_id)));
            let body = record.body.as_ref().and_then(|b| match &b.value {
                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => {
                    Some(s.clone())
                }
                _ => None,
            });
            let time = match record.time_unix_nano {
                0 => record.observed_time_unix_nano,
                t => t,
            };
            events.push(LogEvent {
                time_unix_nanos: time,
                span: ids,
                body,
                attributes: attrs_from_pb(record.attributes.clone()),
                resource: resource.clone(),
            });
        }
    }
    events
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
