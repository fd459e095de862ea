//! A cheap count of what an OTLP request body would decode into, taken before anything is
//! allocated for it, so the receiver refuses a request that would allocate far more than
//! its bytes (millions of empty spans in a few megabytes) without allocating for it.
//!
//! Protobuf bodies are walked field by field with prost's wire-format helpers, following
//! only the fields that hold repeated messages (spans, events, links, attributes, and the
//! arrays and key-value lists inside values; log records and their bodies; metrics, their
//! data points and exemplars); nothing is copied. A log record or a metric data point
//! counts as a span does. The bucket counts of an exponential histogram are counted one by
//! one as values: packed varints, one byte each on the wire, they decode to eight. JSON
//! bodies are bounded by their number of objects, since every span and every value is one.
//!
//! A protobuf trace request is walked in two parts, in the one pass of the receiver's
//! decoding over its bytes: down to its spans before decoding ([`count_envelope`]), then
//! each span's attributes, events and links as the decoding reaches them
//! ([`count_span_part`]), each counted before anything is allocated for it. Log and
//! metric requests are walked whole before decoding ([`count_protobuf_of`]).

use prost::bytes::Buf;
use prost::encoding::{WireType, decode_key, decode_varint};

use crate::presets::Signal;

/// The most spans one request may carry. SDKs send batches of 512 by default and an
/// OpenTelemetry Collector 8,192.
pub const MAX_SPANS: u64 = 10_000;
/// The most attributes and nested values (array items, key-value list entries) one
/// request may carry, spans' events and links included.
pub const MAX_VALUES: u64 = 250_000;
/// The most JSON objects one request may hold (each span, attribute and value is one).
pub const MAX_JSON_OBJECTS: u64 = 300_000;
/// Protobuf nesting deeper than this is refused (prost's own limit is 100).
const MAX_DEPTH: usize = 64;

/// Why a body was refused before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// More spans or values than one request may carry.
    TooMany,
    /// Not valid protobuf wire format.
    Malformed,
}

/// The message types whose repeated fields are counted.
#[derive(Clone, Copy)]
enum Msg {
    Request,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    KeyValue,
    AnyValue,
    ArrayValue,
    KeyValueList,
    LogsRequest,
    ResourceLogs,
    ScopeLogs,
    LogRecord,
    MetricsRequest,
    ResourceMetrics,
    ScopeMetrics,
    Metric,
    /// A gauge, sum, histogram, exponential histogram or summary: field 1 is its points.
    MetricData(Point),
    DataPoint(Point),
    Exemplar,
    Quantile,
    /// A resource's reference to an entity: its key lists are strings, each counted.
    EntityRef,
    /// An exponential histogram's positive or negative buckets: field 2 is its counts.
    Buckets,
    /// A string of a repeated string field: counted, not walked.
    Text,
}

/// The kinds of metric data point, whose attributes and exemplars sit at other fields.
#[derive(Clone, Copy)]
enum Point {
    Number,
    Histogram,
    Exponential,
    Summary,
}

/// What a field of `msg` holds, when it is a message worth following.
fn child(msg: Msg, field: u32) -> Option<Msg> {
    use Msg::*;
    match (msg, field) {
        (Request, 1) => Some(ResourceSpans),
        (ResourceSpans, 1) => Some(Resource),
        (ResourceSpans, 2) => Some(ScopeSpans),
        (ScopeSpans, 1) => Some(Scope),
        (ScopeSpans, 2) => Some(Span),
        (Resource, 3) => Some(EntityRef),
        (EntityRef, 3 | 4) => Some(Text),
        (Resource, 1) | (Scope, 3) | (Span, 9) | (Event, 3) | (Link, 4) => Some(KeyValue),
        (Span, 11) => Some(Event),
        (Span, 13) => Some(Link),
        (KeyValue, 2) => Some(AnyValue),
        (AnyValue, 5) => Some(ArrayValue),
        (AnyValue, 6) => Some(KeyValueList),
        (ArrayValue, 1) => Some(AnyValue),
        (KeyValueList, 1) => Some(KeyValue),
        (LogsRequest, 1) => Some(ResourceLogs),
        (ResourceLogs, 1) | (ResourceMetrics, 1) => Some(Resource),
        (ResourceLogs, 2) => Some(ScopeLogs),
        (ScopeLogs, 1) | (ScopeMetrics, 1) => Some(Scope),
        (ScopeLogs, 2) => Some(LogRecord),
        (LogRecord, 5) => Some(AnyValue),
        (LogRecord, 6) | (Metric, 12) | (Exemplar, 7) => Some(KeyValue),
        (MetricsRequest, 1) => Some(ResourceMetrics),
        (ResourceMetrics, 2) => Some(ScopeMetrics),
        (ScopeMetrics, 2) => Some(Metric),
        (Metric, 5 | 7) => Some(MetricData(Point::Number)),
        (Metric, 9) => Some(MetricData(Point::Histogram)),
        (Metric, 10) => Some(MetricData(Point::Exponential)),
        (Metric, 11) => Some(MetricData(Point::Summary)),
        (MetricData(point), 1) => Some(DataPoint(point)),
        (DataPoint(Point::Number), 7)
        | (DataPoint(Point::Histogram), 9)
        | (DataPoint(Point::Exponential), 1)
        | (DataPoint(Point::Summary), 7) => Some(KeyValue),
        (DataPoint(Point::Number), 5)
        | (DataPoint(Point::Histogram), 8)
        | (DataPoint(Point::Exponential), 11) => Some(Exemplar),
        (DataPoint(Point::Summary), 6) => Some(Quantile),
        (DataPoint(Point::Exponential), 8 | 9) => Some(Buckets),
        _ => None,
    }
}

/// Whether a field of `msg` is a repeated number, each of which decodes into a `u64`
/// (packed, a length-delimited run of varints; or one varint per field).
fn numbers(msg: Msg, field: u32) -> bool {
    matches!((msg, field), (Msg::Buckets, 2))
}

/// What a body holds, as counted: what the receiver estimates its room in the queue from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Spans, log records or metric data points.
    pub spans: u64,
    /// Attributes and nested values (a key-value and its value are two), events, links.
    pub values: u64,
}

/// How deep a span's attributes, events and links sit: the request, its resource spans,
/// its scope spans and the span are the four levels above them.
const SPAN_PART_DEPTH: usize = 4;

/// What a span holds that is counted while it is decoded ([`count_span_part`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanPart {
    /// A `KeyValue` (field 9).
    Attribute,
    /// An event (field 11).
    Event,
    /// A link (field 13).
    Link,
}

/// Counts the spans and values of a protobuf `ExportTraceServiceRequest`, refusing as
/// soon as a cap is passed.
pub fn check_protobuf(body: &[u8]) -> Result<(), Refused> {
    check_protobuf_of(Signal::Traces, body)
}

/// [`check_protobuf`] for a request of any signal: its log records or metric data points
/// are counted against [`MAX_SPANS`], their attributes and bodies against [`MAX_VALUES`].
pub fn check_protobuf_of(signal: Signal, body: &[u8]) -> Result<(), Refused> {
    count_protobuf_of(signal, body).map(|_| ())
}

/// [`check_protobuf_of`], and what it counted.
pub fn count_protobuf_of(signal: Signal, body: &[u8]) -> Result<Counts, Refused> {
    let mut counts = Counts::default();
    let request = match signal {
        Signal::Traces => Msg::Request,
        Signal::Logs => Msg::LogsRequest,
        Signal::Metrics => Msg::MetricsRequest,
    };
    walk(body, request, 0, &mut counts, Spans::Opened)?;
    Ok(counts)
}

/// Counts the spans of a protobuf `ExportTraceServiceRequest` and the values of its
/// resources and scopes, without opening the spans: the receiver counts what each span
/// holds as it decodes it ([`count_span_part`]), which walks its bytes once instead of
/// twice. What the two count together is what [`count_protobuf_of`] counts.
pub fn count_envelope(body: &[u8]) -> Result<Counts, Refused> {
    let mut counts = Counts::default();
    walk(body, Msg::Request, 0, &mut counts, Spans::Closed)?;
    Ok(counts)
}

/// Adds one attribute, event or link of a span (`bytes`, the message) and everything in
/// it to `counts`, refusing as soon as a cap is passed: what [`count_protobuf_of`] counts
/// for it.
pub fn count_span_part(part: SpanPart, bytes: &[u8], counts: &mut Counts) -> Result<(), Refused> {
    let kind = match part {
        SpanPart::Attribute => Msg::KeyValue,
        SpanPart::Event => Msg::Event,
        SpanPart::Link => Msg::Link,
    };
    count(kind, counts)?;
    walk(bytes, kind, SPAN_PART_DEPTH, counts, Spans::Opened)
}

/// Adds an attribute of the plain shape (a key and one scalar value: a `KeyValue` and its
/// `AnyValue`, two values) to `counts`: what [`count_span_part`] would count for it.
pub fn count_plain_attribute(counts: &mut Counts) -> Result<(), Refused> {
    add_values(2, counts)
}

/// Whether a walk opens the spans it counts.
#[derive(Clone, Copy, PartialEq)]
enum Spans {
    Opened,
    Closed,
}

fn walk(
    mut buf: &[u8],
    msg: Msg,
    depth: usize,
    counts: &mut Counts,
    spans: Spans,
) -> Result<(), Refused> {
    if depth > MAX_DEPTH {
        return Err(Refused::Malformed);
    }
    while buf.has_remaining() {
        let (field, wire) = decode_key(&mut buf).map_err(|_| Refused::Malformed)?;
        match wire {
            WireType::Varint => {
                decode_varint(&mut buf).map_err(|_| Refused::Malformed)?;
                if numbers(msg, field) {
                    add_values(1, counts)?;
                }
            }
            WireType::SixtyFourBit => skip(&mut buf, 8)?,
            WireType::ThirtyTwoBit => skip(&mut buf, 4)?,
            WireType::LengthDelimited => {
                let len = decode_varint(&mut buf).map_err(|_| Refused::Malformed)?;
                let len = usize::try_from(len).map_err(|_| Refused::Malformed)?;
                if len > buf.len() {
                    return Err(Refused::Malformed);
                }
                let (inner, rest) = buf.split_at(len);
                buf = rest;
                if numbers(msg, field) {
                    // Each varint ends with the one byte of it below 0x80.
                    add_values(inner.iter().filter(|b| **b < 0x80).count() as u64, counts)?;
                } else if let Some(kind) = child(msg, field) {
                    count(kind, counts)?;
                    let closed = matches!(kind, Msg::Span) && spans == Spans::Closed;
                    if !matches!(kind, Msg::Text) && !closed {
                        walk(inner, kind, depth + 1, counts, spans)?;
                    }
                }
            }
            WireType::StartGroup | WireType::EndGroup => return Err(Refused::Malformed),
        }
    }
    Ok(())
}

fn count(kind: Msg, counts: &mut Counts) -> Result<(), Refused> {
    match kind {
        Msg::Span | Msg::LogRecord | Msg::DataPoint(_) => counts.spans += 1,
        Msg::KeyValue
        | Msg::AnyValue
        | Msg::Event
        | Msg::Link
        | Msg::Exemplar
        | Msg::Quantile
        | Msg::Metric
        | Msg::EntityRef
        | Msg::Text => counts.values += 1,
        _ => {}
    }
    if counts.spans > MAX_SPANS || counts.values > MAX_VALUES {
        return Err(Refused::TooMany);
    }
    Ok(())
}

fn add_values(n: u64, counts: &mut Counts) -> Result<(), Refused> {
    counts.values += n;
    if counts.values > MAX_VALUES {
        return Err(Refused::TooMany);
    }
    Ok(())
}

fn skip(buf: &mut &[u8], n: usize) -> Result<(), Refused> {
    if buf.len() < n {
        return Err(Refused::Malformed);
    }
    buf.advance(n);
    Ok(())
}

/// Bounds a JSON body by its number of objects (an upper bound: a `{` inside a string
/// counts too, which only errs on the side of refusing).
pub fn check_json(body: &[u8]) -> Result<(), Refused> {
    if memchr::memchr_iter(b'{', body).count() as u64 > MAX_JSON_OBJECTS {
        return Err(Refused::TooMany);
    }
    Ok(())
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
