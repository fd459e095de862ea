//! How the receiver decodes a protobuf trace request into spans, prost doing the
//! protobuf: the request's envelope (resources and scopes) is decoded with its spans left
//! as slices of the body (`Bytes`, no copy), then each span is decoded into one message
//! reused from span to span and converted at once. The request is never whole in memory
//! as prost's types beside its spans, and the vectors a span decodes into (its ids, its
//! events) keep their capacity for the next span instead of growing anew.
//!
//! A span's attributes, events and links are read field by field as they come (the rest
//! of the span merged by prost's own code for its fields), and each is counted
//! ([`scan::count_span_part`]) before anything is allocated for it: the caps on what a
//! request may hold, and the room it takes in the queue ([`TraceRoom`]), are checked as
//! the request is decoded, in the one walk of its bytes. An attribute goes straight into
//! an [`Attribute`] when it has the plain shape SDKs send (a key and one scalar value,
//! each once: `attribute`), without prost's `KeyValue` and `AnyValue` between; any other
//! shape (arrays, maps, a field twice, a field this code does not know, anything
//! malformed) is decoded by prost as before, so what is accepted or refused does not
//! change. Invalid UTF-8 in a key or a string value refuses the request, as prost does.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1 as pb;
use prost::Message;
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint};

use crate::span::{
    Attribute, Span, Value, attr_from_pb, keys, resource_from_pb, scope_from_pb, span_from_reused,
};
use crate::wrap::refusal::Refusal;
use crate::wrap::room::TraceRoom;
use crate::wrap::scan::{self, Counts, SpanPart};

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

/// `Span` without its attributes (read by `merge_span`); the other fields as `pb::Span`
/// has them.
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
/// invalid trace or span id. `counted` is what [`scan::count_envelope`] counted in the
/// body; the values of each span are added to it as the span is decoded, refusing the
/// request when a cap is passed, and `room` covers them.
pub(super) fn spans_of(
    body: Bytes,
    counted: &mut Counts,
    room: &mut TraceRoom<'_>,
) -> Result<(Vec<Span>, usize), Refusal> {
    let request = Request::decode(body).map_err(|_| Refusal::Malformed)?;
    let mut spans = Vec::with_capacity(counted.spans as usize);
    let mut invalid = 0;
    let mut decoded = 0;
    let mut message = SpanMessage::default();
    let mut reused = pb::Span::default();
    let mut attributes = Vec::new();
    let mut names = Names::default();
    for rs in request.resource_spans {
        let resource = Arc::new(resource_from_pb(rs.resource, rs.schema_url));
        for ss in rs.scope_spans {
            let scope = Arc::new(scope_from_pb(ss.scope, ss.schema_url));
            for bytes in ss.spans {
                message.clear();
                merge_span(&mut message, &bytes, &mut attributes, &mut names, counted)?;
                decoded += 1;
                room.cover(*counted, decoded)?;
                move_into(&mut message, &mut reused);
                // Moved into a vector of their exact number, the scratch's room kept.
                let mut exact = Vec::with_capacity(attributes.len());
                exact.append(&mut attributes);
                match span_from_reused(&mut reused, exact, &resource, &scope) {
                    Some(span) => spans.push(span),
                    None => invalid += 1,
                }
            }
        }
    }
    Ok((spans, invalid))
}

/// Merges a span's bytes into `message` and its attributes into `attributes`, counting
/// each attribute, event and link into `counted` before decoding it.
fn merge_span(
    message: &mut SpanMessage,
    mut buf: &[u8],
    attributes: &mut Vec<Attribute>,
    names: &mut Names,
    counted: &mut Counts,
) -> Result<(), Refusal> {
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).map_err(|_| Refusal::Malformed)?;
        let part = match tag {
            9 => SpanPart::Attribute,
            11 => SpanPart::Event,
            13 => SpanPart::Link,
            1 | 2 | 4 if wire == WireType::LengthDelimited => {
                // The ids, copied into the message's vectors, which keep their room from
                // span to span (prost's own merge copies each into a new `Bytes` first).
                let id = match tag {
                    1 => &mut message.trace_id,
                    2 => &mut message.span_id,
                    _ => &mut message.parent_span_id,
                };
                id.clear();
                id.extend_from_slice(length_delimited(&mut buf).ok_or(Refusal::Malformed)?);
                continue;
            }
            _ => {
                // The other fields as prost's generated code merges them.
                message
                    .merge_field(tag, wire, &mut buf, DecodeContext::default())
                    .map_err(|_| Refusal::Malformed)?;
                continue;
            }
        };
        if wire != WireType::LengthDelimited {
            return Err(Refusal::Malformed);
        }
        let bytes = length_delimited(&mut buf).ok_or(Refusal::Malformed)?;
        let malformed = |_| Refusal::Malformed;
        match part {
            SpanPart::Attribute => match attribute(bytes, names, attributes.len()) {
                Plain::Attribute(attribute) => {
                    scan::count_plain_attribute(counted)?;
                    attributes.push(attribute);
                }
                Plain::Invalid => return Err(Refusal::Malformed),
                Plain::Other => {
                    scan::count_span_part(part, bytes, counted)?;
                    let attribute = KeyValue::decode(bytes).map_err(malformed)?;
                    attributes.extend(attr_from_pb(attribute));
                }
            },
            SpanPart::Event => {
                scan::count_span_part(part, bytes, counted)?;
                message
                    .events
                    .push(pb::span::Event::decode(bytes).map_err(malformed)?);
            }
            SpanPart::Link => {
                scan::count_span_part(part, bytes, counted)?;
                message
                    .links
                    .push(pb::span::Link::decode(bytes).map_err(malformed)?);
            }
        }
    }
    Ok(())
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
fn attribute(mut kv: &[u8], names: &mut Names, position: usize) -> Plain {
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
    let Some(key) = names.read(position, key) else {
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
        key: Cow::Borrowed(""),
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

/// Reads attribute names, borrowing those the tool knows ([`keys::known`]). The spans of
/// a request mostly name their attributes alike and in the same order, so the name at
/// each position is first compared with the one the span before had there.
#[derive(Default)]
struct Names {
    /// Per position: the last name read there, and the known name it was, if one.
    seen: Vec<(Vec<u8>, Option<&'static str>)>,
}

impl Names {
    /// The name in `bytes`, the attribute at `position` of its span; `None` when it is
    /// not UTF-8.
    fn read(&mut self, position: usize, bytes: &[u8]) -> Option<Cow<'static, str>> {
        if self.seen.len() <= position {
            self.seen.resize_with(position + 1, Default::default);
        }
        let (last, known) = &mut self.seen[position];
        if last.as_slice() != bytes {
            last.clear();
            last.extend_from_slice(bytes);
            *known = keys::known(bytes);
        }
        match known {
            Some(name) => Some(Cow::Borrowed(*name)),
            None => text(bytes).map(Cow::Owned),
        }
    }
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
