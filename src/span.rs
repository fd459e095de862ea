//! The internal span model and its conversion to and from OTLP's protobuf types.
//!
//! Producers (the CLI, the receiver, library users) build [`Span`]s; exporters turn a batch
//! into one `ExportTraceServiceRequest`, spans grouped by resource and scope. Nothing here
//! encodes bytes by hand: prost does protobuf, opentelemetry-proto's serde support does
//! OTLP JSON.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as pb_common;
use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;
use opentelemetry_proto::tonic::trace::v1 as pb;

/// A 16-byte trace id; all zeroes is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id; all zeroes is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// Random, all 128 bits (a UUID would fix some, and sampling reads the low bits).
    pub fn random() -> TraceId {
        TraceId(fastrand::u128(1..).to_be_bytes())
    }

    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    pub fn from_hex(text: &str) -> Option<TraceId> {
        let mut id = [0; 16];
        from_hex(text, &mut id)
            .then_some(TraceId(id))
            .filter(|t| t.0 != [0; 16])
    }
}

impl SpanId {
    pub fn random() -> SpanId {
        SpanId(fastrand::u64(1..).to_be_bytes())
    }

    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    pub fn from_hex(text: &str) -> Option<SpanId> {
        let mut id = [0; 8];
        from_hex(text, &mut id)
            .then_some(SpanId(id))
            .filter(|s| s.0 != [0; 8])
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

fn from_hex(text: &str, out: &mut [u8]) -> bool {
    if text.len() != out.len() * 2 || !text.is_ascii() {
        return false;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        match u8::from_str_radix(&text[i * 2..i * 2 + 2], 16) {
            Ok(b) => *byte = b,
            Err(_) => return false,
        }
    }
    true
}

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

fn same<T: PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// One request holding `spans`, grouped by resource then scope, in first-seen order.
pub fn to_request(spans: &[Span]) -> ExportTraceServiceRequest {
    into_request(spans.to_vec())
}

/// Like [`to_request`], moving the spans' strings instead of copying them (the engine's
/// path: a batch is converted once, without a copy).
pub fn into_request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    type ScopeGroup = (Arc<Scope>, Vec<pb::Span>);
    let mut groups: Vec<(Arc<Resource>, Vec<ScopeGroup>)> = Vec::new();
    for span in spans {
        let index = match groups.iter().position(|(r, _)| same(r, &span.resource)) {
            Some(i) => i,
            None => {
                groups.push((span.resource.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        let scopes = &mut groups[index].1;
        let scope_index = match scopes.iter().position(|(s, _)| same(s, &span.scope)) {
            Some(i) => i,
            None => {
                scopes.push((span.scope.clone(), Vec::new()));
                scopes.len() - 1
            }
        };
        scopes[scope_index].1.push(span_into_pb(span));
    }
    ExportTraceServiceRequest {
        resource_spans: groups
            .into_iter()
            .map(|(resource, scopes)| pb::ResourceSpans {
                resource: Some(PbResource {
                    attributes: attrs_into_pb(resource.attributes.clone()),
                    ..Default::default()
                }),
                scope_spans: scopes
                    .into_iter()
                    .map(|(scope, spans)| pb::ScopeSpans {
                        scope: Some(pb_common::InstrumentationScope {
                            name: scope.name.clone(),
                            version: scope.version.clone(),
                            attributes: attrs_into_pb(scope.attributes.clone()),
                            dropped_attributes_count: 0,
                        }),
                        spans,
                        schema_url: scope.schema_url.clone(),
                    })
                    .collect(),
                schema_url: resource.schema_url.clone(),
            })
            .collect(),
    }
}

/// How many spans a request holds.
pub fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// Splits a request of two or more spans into two with about half the spans each,
/// keeping every span's resource and scope.
pub fn split_request(
    request: &ExportTraceServiceRequest,
) -> (ExportTraceServiceRequest, ExportTraceServiceRequest) {
    let half = span_count(request) / 2;
    let (mut left, mut right) = (
        ExportTraceServiceRequest::default(),
        ExportTraceServiceRequest::default(),
    );
    let mut seen = 0;
    for rs in &request.resource_spans {
        let (mut l, mut r) = (Vec::new(), Vec::new());
        for ss in &rs.scope_spans {
            let take = half.saturating_sub(seen).min(ss.spans.len());
            seen += ss.spans.len();
            let group = |spans: &[pb::Span]| pb::ScopeSpans {
                spans: spans.to_vec(),
                ..ss.clone_without_spans()
            };
            if take > 0 {
                l.push(group(&ss.spans[..take]));
            }
            if take < ss.spans.len() {
                r.push(group(&ss.spans[take..]));
            }
        }
        let resource = |scope_spans| pb::ResourceSpans {
            resource: rs.resource.clone(),
            scope_spans,
            schema_url: rs.schema_url.clone(),
        };
        if !l.is_empty() {
            left.resource_spans.push(resource(l));
        }
        if !r.is_empty() {
            right.resource_spans.push(resource(r));
        }
    }
    (left, right)
}

trait WithoutSpans {
    fn clone_without_spans(&self) -> Self;
}

impl WithoutSpans for pb::ScopeSpans {
    fn clone_without_spans(&self) -> Self {
        pb::ScopeSpans {
            scope: self.scope.clone(),
            spans: Vec::new(),
            schema_url: self.schema_url.clone(),
        }
    }
}

/// Cuts every string and bytes value of every span (attributes and events) to `limit`
/// bytes, noting how much went. For a span too large to send on its own.
pub fn shrink_values(request: &mut ExportTraceServiceRequest, limit: usize) {
    use pb_common::any_value::Value as V;
    fn cut(value: &mut pb_common::AnyValue, limit: usize) {
        match value.value.as_mut() {
            Some(V::StringValue(s)) if s.len() > limit => {
                crate::engine::intake::truncate_string(s, limit)
            }
            Some(V::BytesValue(b)) => b.truncate(limit),
            Some(V::ArrayValue(a)) => a.values.iter_mut().for_each(|v| cut(v, limit)),
            Some(V::KvlistValue(kv)) => kv
                .values
                .iter_mut()
                .filter_map(|k| k.value.as_mut())
                .for_each(|v| cut(v, limit)),
            _ => {}
        }
    }
    for span in request
        .resource_spans
        .iter_mut()
        .flat_map(|rs| &mut rs.scope_spans)
        .flat_map(|ss| &mut ss.spans)
    {
        let attrs = span
            .attributes
            .iter_mut()
            .chain(span.events.iter_mut().flat_map(|e| &mut e.attributes));
        attrs
            .filter_map(|kv| kv.value.as_mut())
            .for_each(|v| cut(v, limit));
    }
}

/// The spans of a request. Spans with an invalid id are skipped and counted.
pub fn from_request(request: &ExportTraceServiceRequest) -> (Vec<Span>, usize) {
    into_spans(request.clone())
}

/// Like [`from_request`], moving the request's strings instead of copying them (the
/// receiver's path).
pub fn into_spans(request: ExportTraceServiceRequest) -> (Vec<Span>, usize) {
    let mut spans = Vec::new();
    let mut invalid = 0;
    for rs in request.resource_spans {
        let resource = Arc::new(Resource {
            attributes: rs
                .resource
                .map(|r| attrs_from_pb(r.attributes))
                .unwrap_or_default(),
            schema_url: rs.schema_url,
        });
        for ss in rs.scope_spans {
            let scope = Arc::new(match ss.scope {
                Some(s) => Scope {
                    name: s.name,
                    version: s.version,
                    attributes: attrs_from_pb(s.attributes),
                    schema_url: ss.schema_url,
                },
                None => Scope {
                    schema_url: ss.schema_url,
                    ..Default::default()
                },
            });
            for span in ss.spans {
                match span_from_pb(span, &resource, &scope) {
                    Some(s) => spans.push(s),
                    None => invalid += 1,
                }
            }
        }
    }
    (spans, invalid)
}

fn span_into_pb(span: Span) -> pb::Span {
    pb::Span {
        trace_id: span.trace_id.0.to_vec(),
        span_id: span.span_id.0.to_vec(),
        trace_state: span.trace_state,
        parent_span_id: span
            .parent_span_id
            .map(|p| p.0.to_vec())
            .unwrap_or_default(),
        flags: span.flags,
        name: span.name,
        kind: match span.kind {
            SpanKind::Internal => pb::span::SpanKind::Internal,
            SpanKind::Server => pb::span::SpanKind::Server,
            SpanKind::Client => pb::span::SpanKind::Client,
            SpanKind::Producer => pb::span::SpanKind::Producer,
            SpanKind::Consumer => pb::span::SpanKind::Consumer,
        } as i32,
        start_time_unix_nano: span.start_unix_nanos,
        end_time_unix_nano: span.end_unix_nanos,
        attributes: attrs_into_pb(span.attributes),
        dropped_attributes_count: 0,
        events: span
            .events
            .into_iter()
            .map(|e| pb::span::Event {
                time_unix_nano: e.time_unix_nanos,
                name: e.name,
                attributes: attrs_into_pb(e.attributes),
                dropped_attributes_count: 0,
            })
            .collect(),
        dropped_events_count: 0,
        links: span
            .links
            .into_iter()
            .map(|l| pb::span::Link {
                trace_id: l.trace_id.0.to_vec(),
                span_id: l.span_id.0.to_vec(),
                trace_state: l.trace_state,
                attributes: attrs_into_pb(l.attributes),
                dropped_attributes_count: 0,
                flags: 0,
            })
            .collect(),
        dropped_links_count: 0,
        status: match span.status.code {
            StatusCode::Unset if span.status.message.is_empty() => None,
            code => Some(pb::Status {
                message: span.status.message,
                code: match code {
                    StatusCode::Unset => pb::status::StatusCode::Unset,
                    StatusCode::Ok => pb::status::StatusCode::Ok,
                    StatusCode::Error => pb::status::StatusCode::Error,
                } as i32,
            }),
        },
    }
}

fn span_from_pb(span: pb::Span, resource: &Arc<Resource>, scope: &Arc<Scope>) -> Option<Span> {
    let trace_id = TraceId(span.trace_id.as_slice().try_into().ok()?);
    let span_id = SpanId(span.span_id.as_slice().try_into().ok()?);
    if trace_id.0 == [0; 16] || span_id.0 == [0; 8] {
        return None;
    }
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        _ => {
            Some(SpanId(span.parent_span_id.as_slice().try_into().ok()?)).filter(|p| p.0 != [0; 8])
        }
    };
    Some(Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        flags: span.flags,
        name: span.name,
        kind: match pb::span::SpanKind::try_from(span.kind) {
            Ok(pb::span::SpanKind::Server) => SpanKind::Server,
            Ok(pb::span::SpanKind::Client) => SpanKind::Client,
            Ok(pb::span::SpanKind::Producer) => SpanKind::Producer,
            Ok(pb::span::SpanKind::Consumer) => SpanKind::Consumer,
            _ => SpanKind::Internal,
        },
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
        attributes: attrs_from_pb(span.attributes),
        events: span
            .events
            .into_iter()
            .map(|e| Event {
                name: e.name,
                time_unix_nanos: e.time_unix_nano,
                attributes: attrs_from_pb(e.attributes),
            })
            .collect(),
        links: span
            .links
            .into_iter()
            .filter_map(|l| {
                Some(Link {
                    trace_id: TraceId(l.trace_id.as_slice().try_into().ok()?),
                    span_id: SpanId(l.span_id.as_slice().try_into().ok()?),
                    trace_state: l.trace_state,
                    attributes: attrs_from_pb(l.attributes),
                })
            })
            .collect(),
        status: span
            .status
            .map(|s| Status {
                code: match pb::status::StatusCode::try_from(s.code) {
                    Ok(pb::status::StatusCode::Ok) => StatusCode::Ok,
                    Ok(pb::status::StatusCode::Error) => StatusCode::Error,
                    _ => StatusCode::Unset,
                },
                message: s.message,
            })
            .unwrap_or_default(),
        resource: resource.clone(),
        scope: scope.clone(),
    })
}

fn attrs_into_pb(attrs: Vec<Attribute>) -> Vec<pb_common::KeyValue> {
    attrs
        .into_iter()
        .map(|a| pb_common::KeyValue {
            key: a.key,
            value: Some(value_into_pb(a.value)),
            ..Default::default()
        })
        .collect()
}

fn value_into_pb(value: Value) -> pb_common::AnyValue {
    use pb_common::any_value::Value as V;
    let v = match value {
        Value::Str(s) => V::StringValue(s),
        Value::Bool(b) => V::BoolValue(b),
        Value::Int(i) => V::IntValue(i),
        Value::Double(d) => V::DoubleValue(d),
        Value::Bytes(b) => V::BytesValue(b),
        Value::Array(items) => V::ArrayValue(pb_common::ArrayValue {
            values: items.into_iter().map(value_into_pb).collect(),
        }),
        Value::Map(entries) => V::KvlistValue(pb_common::KeyValueList {
            values: attrs_into_pb(entries),
        }),
    };
    pb_common::AnyValue { value: Some(v) }
}

fn attrs_from_pb(attrs: Vec<pb_common::KeyValue>) -> Vec<Attribute> {
    attrs
        .into_iter()
        .filter_map(|kv| {
            Some(Attribute {
                key: kv.key,
                value: value_from_pb(kv.value?)?,
            })
        })
        .collect()
}

fn value_from_pb(value: pb_common::AnyValue) -> Option<Value> {
    use pb_common::any_value::Value as V;
    Some(match value.value? {
        V::StringValue(s) => Value::Str(s),
        V::BoolValue(b) => Value::Bool(b),
        V::IntValue(i) => Value::Int(i),
        V::DoubleValue(d) => Value::Double(d),
        V::BytesValue(b) => Value::Bytes(b),
        V::ArrayValue(a) => Value::Array(a.values.into_iter().filter_map(value_from_pb).collect()),
        V::KvlistValue(kv) => Value::Map(attrs_from_pb(kv.values)),
        V::StringValueStrindex(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn sample() -> Vec<Span> {
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

    #[test]
    fn spans_survive_protobuf_round_trip() {
        let spans = sample();
        let request = to_request(&spans);
        let bytes = request.encode_to_vec();
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        let (back, invalid) = from_request(&decoded);
        assert_eq!(invalid, 0);
        assert_eq!(back, spans);
    }

    #[test]
    fn spans_are_grouped_by_resource_and_scope() {
        let request = to_request(&sample());
        assert_eq!(request.resource_spans.len(), 1);
        let scopes = &request.resource_spans[0].scope_spans;
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].spans.len(), 2);
        assert_eq!(scopes[1].scope.as_ref().unwrap().name, "other");
    }

    #[test]
    fn otlp_json_uses_hex_ids() {
        let spans = sample();
        let json = serde_json::to_string(&to_request(&spans)).unwrap();
        assert!(
            json.contains(&format!("\"traceId\":\"{}\"", spans[0].trace_id.to_hex())),
            "{json}"
        );
        let back: ExportTraceServiceRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(from_request(&back).0, spans);
    }

    #[test]
    fn invalid_ids_are_skipped_and_counted() {
        let mut request = to_request(&sample());
        request.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![0; 16];
        request.resource_spans[0].scope_spans[0].spans[1].span_id = vec![1, 2];
        let (spans, invalid) = from_request(&request);
        assert_eq!((spans.len(), invalid), (1, 2));
    }

    #[test]
    fn split_keeps_every_span_with_its_resource_and_scope() {
        let spans = sample();
        let request = to_request(&spans);
        let (left, right) = split_request(&request);
        assert_eq!((span_count(&left), span_count(&right)), (1, 2));
        let mut back = from_request(&left).0;
        back.extend(from_request(&right).0);
        assert_eq!(back, spans);
    }

    #[test]
    fn shrinking_cuts_long_values_only() {
        let mut spans = sample();
        spans[0].set("prompt", "x".repeat(100));
        let mut request = to_request(&spans);
        shrink_values(&mut request, 10);
        let back = from_request(&request).0;
        assert_eq!(
            back[0].attribute("prompt"),
            Some(&Value::from("xxxxxxxxxx…[truncated 90 bytes]"))
        );
        assert_eq!(
            back[0].attribute("gen_ai.agent.name"),
            Some(&Value::from("helper"))
        );
    }

    #[test]
    fn hex_ids_parse_back() {
        let id = TraceId::random();
        assert_eq!(TraceId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(SpanId::from_hex("zz00000000000000"), None);
        assert_eq!(SpanId::from_hex("0000000000000000"), None);
    }
}
