//! The internal span model: what producers (the CLI, the receiver, library users) build
//! and the engine batches. Ids live in `ids`, the conversion to and from OTLP's protobuf
//! types in `otlp`.

mod ids;
mod otlp;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use ids::{SpanId, TraceId};
pub use otlp::{from_request, into_request, into_spans, span_count, to_request};

/// Nanoseconds since the Unix epoch, now.
pub fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// An attribute value, as OTLP types them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<Attribute>),
}

impl Value {
    /// The text, when the value is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Double(v)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: String,
    pub value: Value,
}

impl Attribute {
    pub fn new(key: impl Into<String>, value: impl Into<Value>) -> Attribute {
        Attribute {
            key: key.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpanKind {
    #[default]
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    pub code: StatusCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub time_unix_nanos: u64,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: String,
    pub attributes: Vec<Attribute>,
}

/// Who produced the spans: `service.name` and friends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub attributes: Vec<Attribute>,
    pub schema_url: String,
}

impl Resource {
    /// A resource with `service.name` set, as every backend expects.
    pub fn service(name: &str) -> Resource {
        Resource {
            attributes: vec![Attribute::new("service.name", name)],
            schema_url: String::new(),
        }
    }
}

/// The instrumentation library that made the spans.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    pub name: String,
    pub version: String,
    pub attributes: Vec<Attribute>,
    pub schema_url: String,
}

/// One span. Resource and scope are shared between the spans of one producer.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub trace_state: String,
    pub flags: u32,
    pub name: String,
    pub kind: SpanKind,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    pub attributes: Vec<Attribute>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub status: Status,
    pub resource: Arc<Resource>,
    pub scope: Arc<Scope>,
}

impl Span {
    /// A span that starts now, with fresh ids (a new trace when `parent` is `None`).
    pub fn start(
        name: impl Into<String>,
        parent: Option<(TraceId, SpanId)>,
        resource: Arc<Resource>,
        scope: Arc<Scope>,
    ) -> Span {
        let now = now_unix_nanos();
        Span {
            trace_id: parent.map_or_else(TraceId::random, |(t, _)| t),
            span_id: SpanId::random(),
            parent_span_id: parent.map(|(_, s)| s),
            trace_state: String::new(),
            flags: 0,
            name: name.into(),
            kind: SpanKind::Internal,
            start_unix_nanos: now,
            end_unix_nanos: now,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::default(),
            resource,
            scope,
        }
    }

    /// Sets (or replaces) an attribute.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Span {
        let value = value.into();
        match self.attributes.iter_mut().find(|a| a.key == key) {
            Some(attr) => attr.value = value,
            None => self.attributes.push(Attribute::new(key, value)),
        }
        self
    }

    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }

    /// Ends the span now.
    pub fn end(&mut self) {
        self.end_unix_nanos = now_unix_nanos().max(self.start_unix_nanos);
    }
}

/// A small trace of three spans (two scopes, an error, an event, typed attributes) for
/// the tests of the conversions and of what is done to requests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn sample() -> Vec<Span> {
        let resource = Arc::new(Resource::service("agent"));
        let scope = Arc::new(Scope {
            name: "automagik-tracing".into(),
            version: "0.1.0".into(),
            ..Default::default()
        });
        let mut root = Span::start("invoke_agent", None, resource.clone(), scope.clone());
        root.set("gen_ai.operation.name", "invoke_agent")
            .set("gen_ai.agent.name", "helper");
        let mut chat = Span::start(
            "chat",
            Some((root.trace_id, root.span_id)),
            resource.clone(),
            scope,
        );
        chat.set("gen_ai.usage.input_tokens", 12i64)
            .set("temperature", 0.5)
            .set("stream", false)
            .set("tags", Value::Array(vec!["a".into(), "b".into()]));
        chat.kind = SpanKind::Client;
        chat.status = Status {
            code: StatusCode::Error,
            message: "boom".into(),
        };
        chat.events.push(Event {
            name: "exception".into(),
            time_unix_nanos: 5,
            attributes: vec![Attribute::new("exception.type", "ValueError")],
        });
        let other_scope = Arc::new(Scope {
            name: "other".into(),
            ..Default::default()
        });
        let tool = Span::start(
            "tool",
            Some((root.trace_id, chat.span_id)),
            resource,
            other_scope,
        );
        vec![root, chat, tool]
    }
}
