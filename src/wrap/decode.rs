//! How the receiver decodes a protobuf trace request into spans, prost doing the
//! protobuf: the request's envelope (resources and scopes) is decoded with its spans left
//! as slices of the body (`Bytes`, no copy), then each span is decoded into one message
//! reused from span to span and converted at once. The request is never whole in memory
//! as prost's types beside its spans, and the vectors a span decodes into (its ids, its
//! attributes) keep their capacity for the next span instead of growing anew.
//!
//! A span's attributes are left as slices too, and each goes straight into an
//! [`Attribute`] when it has the plain shape SDKs send (a key and one scalar value, each
//! once: `attribute`), without prost's `KeyValue` and `AnyValue` between; any other shape
//! (arrays, maps, a field twice, a field this code does not know, anything malformed) is
//! decoded by prost as before, so what is accepted or refused does not change. Invalid
//! UTF-8 in a key or a string value refuses the request, as prost does.

use std::sync::Arc;

use bytes::Bytes;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1 as pb;
use prost::Message;
use prost::encoding::{WireType, decode_key, decode_varint};

use crate::span::{
    Attribute, Span, Value, attr_from_pb, resource_from_pb, scope_from_pb, span_from_reused,
};

/// `ExportTraceServiceRequest`, its spans undecoded.
#[derive(Clone, PartialEq, prost::Message)]
struct Request {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpans>,
}

/// `ResourceSpans`, its spans undecoded.
#[derive(Clone, PartialEq, prost::Message)]
struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpans>,
    #[prost(string, tag = "3")]
    schema_url: String,
}

/// `ScopeSpans`, each span the bytes of its message (a slice of the body).
#[derive(Clone, PartialEq, prost::Message)]
struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    scope: Option<InstrumentationScope>,
    #[prost(bytes = "bytes", repeated, tag = "2")]
    spans: Vec<Bytes>,
    #[prost(string, tag = "3")]
    schema_url: String,
}

/// `Span`, each attribute the bytes of its `KeyValue` (a slice of the body); the other
/// fields as `pb::Span` has them.
#[derive(Clone, PartialEq, prost::Message)]
struct SpanMessage {
    #[prost(bytes = "vec", tag = "1")]
    trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    span_id: Vec<u8>,
    #[prost(string, tag = "3")]
    trace_state: String,
    #[prost(bytes = "vec", tag = "4")]
    parent_span_id: Vec<u8>,
    #[prost(fixed32, tag = "16")]
    flags: u32,
    #[prost(string, tag = "5")]
    name: String,
    #[prost(int32, tag = "6")]
    kind: i32,
    #[prost(fixed64, tag = "7")]
    start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    end_time_unix_nano: u64,
    #[prost(bytes = "bytes", repeated, tag = "9")]
    attributes: Vec<Bytes>,
    #[prost(uint32, tag = "10")]
    dropped_attributes_count: u32,
    #[prost(message, repeated, tag = "11")]
    events: Vec<pb::span::Event>,
    #[prost(uint32, tag = "12")]
    dropped_events_count: u32,
    #[prost(message, repeated, tag = "13")]
    links: Vec<pb::span::Link>,
    #[prost(uint32, tag = "14")]
    dropped_links_count: u32,
    #[prost(message, optional, tag = "15")]
    status: Option<pb::Status>,
}

/// The spans of a protobuf `ExportTraceServiceRequest`, and how many were left out for an
/// invalid trace or span id; `None` when the body is not one. `expected` is how many
/// spans the body holds (`scan` counted them), what the vector is sized for.
pub(super) fn spans_of(body: Bytes, expected: usize) -> Option<(Vec<Span>, usize)> {
    let request = Request::decode(body).ok()?;
    let mut spans = Vec::with_capacity(expected);
    let mut invalid = 0;
    let mut message = SpanMessage::default();
    let mut reused = pb::Span::default();
    for rs in request.resource_spans {
        let resource = Arc::new(resource_from_pb(rs.resource, rs.schema_url));
        for ss in rs.scope_spans {
            let scope = Arc::new(scope_from_pb(ss.scope, ss.schema_url));
            for bytes in ss.spans {
                message.clear();
                message.merge(bytes).ok()?;
                let attributes = attributes_of(&mut message)?;
                move_into(&mut message, &mut reused);
                match span_from_reused(&mut reused, attributes, &resource, &scope) {
                    Some(span) => spans.push(span),
                    None => invalid += 1,
                }
            }
        }
    }
    Some((spans, invalid))
}

/// A span's attributes, in their order (those without a value, or with a string-table
/// index, left out as prost's path leaves them); `None` when one is malformed.
fn attributes_of(message: &mut SpanMessage) -> Option<Vec<Attribute>> {
    let mut attributes = Vec::with_capacity(message.attributes.len());
    for bytes in message.attributes.drain(..) {
        let attribute = match attribute(&bytes) {
            Plain::Attribute(attribute) => Some(attribute),
            Plain::Invalid => return None,
            Plain::Other => attr_from_pb(KeyValue::decode(bytes).ok()?),
        };
        attributes.extend(attribute);
    }
    Some(attributes)
}

/// Moves what `span_from_reused` reads from `message` into `span`; each side keeps the
/// other's vectors, so neither allocates them anew.
fn move_into(message: &mut SpanMessage, span: &mut pb::Span) {
    std::mem::swap(&mut span.trace_id, &mut message.trace_id);
    std::mem::swap(&mut span.span_id, &mut message.span_id);
    std::mem::swap(&mut span.parent_span_id, &mut message.parent_span_id);
    span.trace_state = std::mem::take(&mut message.trace_state);
    span.flags = message.flags;
    span.name = std::mem::take(&mut message.name);
    span.kind = message.kind;
    span.start_time_unix_nano = message.start_time_unix_nano;
    span.end_time_unix_nano = message.end_time_unix_nano;
    std::mem::swap(&mut span.events, &mut message.events);
    std::mem::swap(&mut span.links, &mut message.links);
    span.status = message.status.take();
}

/// What a `KeyValue`'s bytes hold, read without prost.
enum Plain {
    /// A key and one scalar value, each once.
    Attribute(Attribute),
    /// A key or string value that is not UTF-8: prost refuses it too.
    Invalid,
    /// Anything else, left to prost.
    Other,
}

/// Reads a `KeyValue` of the plain shape: field 1 (the key) and field 2 (an `AnyValue`
/// holding one of its string, bool, int, double or bytes fields), each once.
fn attribute(mut kv: &[u8]) -> Plain {
    let (mut key, mut value) = (None, None);
    while !kv.is_empty() {
        let Some((field, bytes)) = delimited(&mut kv) else {
            return Plain::Other;
        };
        match field {
            1 if key.is_none() => key = Some(bytes),
            2 if value.is_none() => value = Some(bytes),
            _ => return Plain::Other,
        }
    }
    let (Some(key), Some(value)) = (key, value) else {
        return Plain::Other;
    };
    let Some(key) = text(key) else {
        return Plain::Invalid;
    };
    match scalar(value) {
        Plain::Attribute(Attribute { value, .. }) => Plain::Attribute(Attribute { key, value }),
        other => other,
    }
}

/// Reads an `AnyValue` holding one scalar field once (its key left empty).
fn scalar(mut any: &[u8]) -> Plain {
    let Ok((field, wire)) = decode_key(&mut any) else {
        return Plain::Other;
    };
    let value = match (field, wire) {
        (1, WireType::LengthDelimited) => match length_delimited(&mut any) {
            Some(bytes) => match text(bytes) {
                Some(text) => Value::Str(text),
                None => return Plain::Invalid,
            },
            None => return Plain::Other,
        },
        (2, WireType::Varint) => match decode_varint(&mut any) {
            Ok(n) => Value::Bool(n != 0),
            Err(_) => return Plain::Other,
        },
        (3, WireType::Varint) => match decode_varint(&mut any) {
            Ok(n) => Value::Int(n as i64),
            Err(_) => return Plain::Other,
        },
        (4, WireType::SixtyFourBit) if any.len() >= 8 => {
            let (bits, rest) = any.split_at(8);
            any = rest;
            Value::Double(f64::from_le_bytes(bits.try_into().unwrap_or_default()))
        }
        (7, WireType::LengthDelimited) => match length_delimited(&mut any) {
            Some(bytes) => Value::Bytes(bytes.to_vec()),
            None => return Plain::Other,
        },
        _ => return Plain::Other,
    };
    if !any.is_empty() {
        return Plain::Other;
    }
    Plain::Attribute(Attribute {
        key: String::new(),
        value,
    })
}

/// `bytes` as a `String` (one copy) when they are UTF-8. ASCII, which nearly every key and
/// value is, is checked a word at a time, at a fraction of what validating a short string
/// as UTF-8 takes.
fn text(bytes: &[u8]) -> Option<String> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) }.to_owned());
    }
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

/// The next field of a message when it is length-delimited: its number and its bytes.
fn delimited<'a>(buf: &mut &'a [u8]) -> Option<(u32, &'a [u8])> {
    match decode_key(buf).ok()? {
        (field, WireType::LengthDelimited) => Some((field, length_delimited(buf)?)),
        _ => None,
    }
}

/// The bytes of a length-delimited field whose key was read.
fn length_delimited<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(decode_varint(buf).ok()?).ok()?;
    if len > buf.len() {
        return None;
    }
    let (bytes, rest) = buf.split_at(len);
    *buf = rest;
    Some(bytes)
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
