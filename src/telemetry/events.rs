//! The telemetry event types, the exact attribute keys each may carry, and the event as
//! it is kept in the outbox and sent (one OTLP span per event).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::span::{Resource, Scope, Span, SpanId, SpanKind, TraceId};

/// What happened. The names are the span names sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// `system.startup`: the tool started (version, os, arch, ci).
    #[serde(rename = "system.startup")]
    Startup,
    /// `feature.used`: a subcommand or option was used (`run.adopt`, `configure.wizard`).
    #[serde(rename = "feature.used")]
    FeatureUsed,
    /// `agent.run`: an agent ran (type, framework, hashed name, counts, duration, success).
    #[serde(rename = "agent.run")]
    AgentRun,
    /// `agent.error`: something failed (its error type and component, never its message).
    #[serde(rename = "agent.error")]
    AgentError,
    /// `framework.selected`: the agent framework a run's spans came from.
    #[serde(rename = "framework.selected")]
    FrameworkSelected,
    /// `tool.executed`: tools of one type were called (count, duration, success).
    #[serde(rename = "tool.executed")]
    ToolExecuted,
    /// `workflow.started`: a span with `gen_ai.operation.name = invoke_workflow` began.
    #[serde(rename = "workflow.started")]
    WorkflowStarted,
    /// `workflow.completed`: such a workflow span ended (duration, success).
    #[serde(rename = "workflow.completed")]
    WorkflowCompleted,
}

/// Keys every event carries besides its own (set by the collector, never by a caller).
pub const COMMON_KEYS: [&str; 3] = ["event.type", "user.anonymous_id", "session.id"];

impl EventType {
    /// Every event type (what `status` lists as what would be sent).
    pub const ALL: [EventType; 8] = [
        EventType::Startup,
        EventType::FeatureUsed,
        EventType::AgentRun,
        EventType::AgentError,
        EventType::FrameworkSelected,
        EventType::ToolExecuted,
        EventType::WorkflowStarted,
        EventType::WorkflowCompleted,
    ];

    /// The name sent as the span's name and as `event.type` (`agent.run`).
    pub fn name(self) -> &'static str {
        match self {
            EventType::Startup => "system.startup",
            EventType::FeatureUsed => "feature.used",
            EventType::AgentRun => "agent.run",
            EventType::AgentError => "agent.error",
            EventType::FrameworkSelected => "framework.selected",
            EventType::ToolExecuted => "tool.executed",
            EventType::WorkflowStarted => "workflow.started",
            EventType::WorkflowCompleted => "workflow.completed",
        }
    }

    /// The only attribute keys this event may carry (an exact list, not prefixes).
    pub fn allowed_keys(self) -> &'static [&'static str] {
        match self {
            EventType::Startup => &["version", "os", "arch", "ci"],
            EventType::FeatureUsed => &["feature.name", "command", "duration_ms", "success"],
            EventType::AgentRun => &[
                "agent.type",
                "agent.framework",
                "agent.hash",
                "span.count",
                "llm.count",
                "tool.count",
                "duration_ms",
                "success",
            ],
            EventType::AgentError => &["error.type", "component", "agent.framework"],
            EventType::FrameworkSelected => &["framework.name"],
            EventType::ToolExecuted => &[
                "tool.type",
                "tool.count",
                "agent.framework",
                "duration_ms",
                "success",
            ],
            EventType::WorkflowStarted => &["workflow.type"],
            EventType::WorkflowCompleted => &["workflow.type", "duration_ms", "success"],
        }
    }
}

/// An attribute value: telemetry carries no floats, bytes or nested values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    /// A boolean (`success`, `ci`).
    Bool(bool),
    /// A whole number (`duration_ms`, counts); a `u64` over `i64::MAX` is capped to it.
    Int(i64),
    /// A string, scrubbed and capped at 50 characters by the privacy filter.
    Str(String),
}

impl From<&str> for AttrValue {
    fn from(v: &str) -> AttrValue {
        AttrValue::Str(v.to_string())
    }
}
impl From<String> for AttrValue {
    fn from(v: String) -> AttrValue {
        AttrValue::Str(v)
    }
}
impl From<bool> for AttrValue {
    fn from(v: bool) -> AttrValue {
        AttrValue::Bool(v)
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> AttrValue {
        AttrValue::Int(v)
    }
}
impl From<u64> for AttrValue {
    fn from(v: u64) -> AttrValue {
        AttrValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// One recorded event, already filtered, as kept in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Local bookkeeping (which outbox lines a sender delivered); never sent.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it was tracked, in nanoseconds since the Unix epoch.
    pub time_unix_nanos: u64,
    /// The install's random anonymous ID (a UUID v4), sent as `user.anonymous_id`.
    pub anonymous_id: String,
    /// A random UUID per process, sent as `session.id`.
    pub session_id: String,
    /// The event's own attributes, already filtered by its type's allowlist.
    pub attributes: BTreeMap<String, AttrValue>,
}

impl Event {
    /// Exactly what is sent: the common keys and the event's own attributes.
    pub fn sent_attributes(&self) -> BTreeMap<String, AttrValue> {
        let mut out = self.attributes.clone();
        out.insert("event.type".into(), self.event_type.name().into());
        out.insert("user.anonymous_id".into(), self.anonymous_id.clone().into());
        out.insert("session.id".into(), self.session_id.clone().into());
        out
    }

    /// The event as one JSON line (what `AUTOMAGIK_TELEMETRY_DEBUG=1` prints).
    pub fn debug_line(&self) -> String {
        serde_json::to_string(&self.sent_attributes()).expect("attributes serialise")
    }

    /// The event as the span that carries it.
    pub fn to_span(&self, resource: &Arc<Resource>, scope: &Arc<Scope>) -> Span {
        let mut span = Span::start(
            self.event_type.name(),
            None,
            resource.clone(),
            scope.clone(),
        );
        span.trace_id = TraceId::random();
        span.span_id = SpanId::random();
        span.kind = SpanKind::Internal;
        span.start_unix_nanos = self.time_unix_nanos;
        span.end_unix_nanos = self.time_unix_nanos;
        for (key, value) in self.sent_attributes() {
            match value {
                AttrValue::Bool(v) => span.set(key, v),
                AttrValue::Int(v) => span.set(key, v),
                AttrValue::Str(v) => span.set(key, v),
            };
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_names_itself_as_serde_does() {
        for t in EventType::ALL {
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.name())
            );
            for key in t.allowed_keys() {
                assert!(!COMMON_KEYS.contains(key), "{key} is set by the collector");
            }
        }
    }
}
