//! The internal span model: what producers (the CLI, the receiver, library users) build
//! and the engine batches. Ids live in `ids`, the conversion to and from OTLP's protobuf
//! types in `otlp`.

mod ids;
pub mod keys;
mod otlp;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use ids::{SpanId, TraceId};
pub use otlp::{
    AddedAttrs, attrs_from_pb, attrs_into_pb, from_request, into_request, into_spans, span_count,
    to_request, value_from_pb, value_into_pb,
};
pub(crate) use otlp::{Grouper, Groups, resource_to_pb, scope_to_pb, span_into_pb_adding};
pub(crate) use otlp::{attr_from_pb, resource_from_pb, scope_from_pb, span_from_reused};

/// Nanoseconds since the Unix epoch, now.
pub fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// An attribute value, as OTLP types them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A UTF-8 string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Double(f64),
    /// Raw bytes (base64 in OTLP-JSON).
    Bytes(Vec<u8>),
    /// A list of values, possibly of mixed types.
    Array(Vec<Value>),
    /// Nested key-value pairs (OTLP's `kvlist_value`), in their order.
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

/// A key and its value, on a span, an event, a link, a resource or a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name (`gen_ai.request.model`); not unique in OTLP, though
    /// [`Span::set`] keeps it so. Borrowed when it is a `&'static str` (a name written in
    /// the code, or one of the names the tool knows: [`keys`]), so it allocates nothing.
    pub key: Cow<'static, str>,
    /// Its typed value.
    pub value: Value,
}

impl Attribute {
    /// An attribute of `key`, its value from a string, a bool, an `i64` or an `f64`.
    pub fn new(key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Attribute {
        Attribute {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The span's role in a call, as OTLP names it (`SPAN_KIND_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpanKind {
    /// An operation inside the application (the default, and the run span's kind).
    #[default]
    Internal,
    /// The handling of a request from a remote client.
    Server,
    /// A request to a remote service (an LLM API call, say).
    Client,
    /// The sending of a message handled later, possibly elsewhere.
    Producer,
    /// The handling of a message a producer sent.
    Consumer,
}

/// Whether the operation succeeded, as OTLP's `STATUS_CODE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusCode {
    /// Nothing said (the default): neither a success nor a failure.
    #[default]
    Unset,
    /// Marked successful by the application.
    Ok,
    /// Failed; such spans are kept even when their trace is not sampled.
    Error,
}

/// A span's outcome.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// Success, failure or unset.
    pub code: StatusCode,
    /// What went wrong, meant for an error; empty when none.
    pub message: String,
}

/// Something that happened at a point in a span's life (an exception, a log line).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's name (`exception`, ...).
    pub name: String,
    /// When it happened, in nanoseconds since the Unix epoch.
    pub time_unix_nanos: u64,
    /// Its attributes (`exception.type`, `exception.message`, ...).
    pub attributes: Vec<Attribute>,
}

/// A reference to a span of another (or the same) trace that this one relates to.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The linked span's trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: SpanId,
    /// The linked span's W3C `tracestate`; empty when none.
    pub trace_state: String,
    /// What the link says about the relation.
    pub attributes: Vec<Attribute>,
}

/// Who produced the spans: `service.name` and friends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// `service.name`, `service.version`, `process.*`, ...
    pub attributes: Vec<Attribute>,
    /// The semantic-conventions schema the attributes follow; empty when none.
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
    /// The library's name (`opentelemetry.instrumentation.openai`, `pydantic-ai`, ...).
    pub name: String,
    /// Its version; empty when unknown.
    pub version: String,
    /// Attributes of the scope itself.
    pub attributes: Vec<Attribute>,
    /// The semantic-conventions schema its spans follow; empty when none.
    pub schema_url: String,
}

/// One span. Resource and scope are shared between the spans of one producer.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The trace the span belongs to.
    pub trace_id: TraceId,
    /// The span's own id, unique within its trace.
    pub span_id: SpanId,
    /// The parent span; `None` for a trace's root.
    pub parent_span_id: Option<SpanId>,
    /// The W3C `tracestate` it was started with; empty when none.
    pub trace_state: String,
    /// OTLP's span flags: the W3C trace flags in the low byte (bit 0: sampled), and whether
    /// the parent is remote above them; `0` when unknown.
    pub flags: u32,
    /// What the span stands for (`chat gpt-4o`, `run python`).
    pub name: String,
    /// Its role in a call.
    pub kind: SpanKind,
    /// When it started, in nanoseconds since the Unix epoch.
    pub start_unix_nanos: u64,
    /// When it ended, in nanoseconds since the Unix epoch; never before the start when set
    /// by [`Span::end`].
    pub end_unix_nanos: u64,
    /// Its attributes, in the order they were set.
    pub attributes: Vec<Attribute>,
    /// What happened during it, in order.
    pub events: Vec<Event>,
    /// Spans it relates to besides its parent.
    pub links: Vec<Link>,
    /// Its outcome.
    pub status: Status,
    /// Who produced it; shared with the other spans of its producer.
    pub resource: Arc<Resource>,
    /// The library that made it; shared with the other spans of that library.
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
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> &mut Span {
        let (key, value) = (key.into(), value.into());
        match self.attributes.iter_mut().find(|a| a.key == key) {
            Some(attr) => attr.value = value,
            None => self.attributes.push(Attribute::new(key, value)),
        }
        self
    }

    /// The value of the first attribute named `key`, if any.
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
