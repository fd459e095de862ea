//! The receiver's decoding against prost decoding the whole request: the same spans, the
//! same attributes whatever their shape (the plain ones read without prost, the others by
//! it), the same refusals.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use proptest::prelude::*;

use super::*;
use crate::span::fixtures::sample;
use crate::span::{from_request, into_spans, to_request};

#[test]
fn spans_are_what_prost_decoding_the_whole_request_gives() {
    let mut request = to_request(&sample());
    // A second scope, and a span with an invalid id, left out and counted.
    let mut other = request.resource_spans[0].scope_spans[0].clone();
    other.scope.as_mut().unwrap().name = "other".into();
    other.spans[0].span_id = vec![0; 8];
    request.resource_spans[0].scope_spans.push(other);
    let body = Bytes::from(request.encode_to_vec());
    let expected = from_request(&request);
    assert_eq!(expected.1, 1);
    assert_eq!(decoded(body.clone()), Some(expected));
    assert_eq!(decoded(body.slice(..body.len() - 1)), None);
}

/// What the receiver's path makes of a protobuf body (counted, room taken with no queue,
/// decoded), or `None` when it refuses it; checks that what it counted is what the scan of
/// the whole body counts.
fn decoded(body: Bytes) -> Option<(Vec<Span>, usize)> {
    let whole = scan::count_protobuf_of(crate::presets::Signal::Traces, &body);
    let mut counted = scan::count_envelope(&body).ok()?;
    let mut room = TraceRoom::take(None, body.len(), counted).ok()?;
    let decoded = spans_of(body, &mut counted, &mut room).ok();
    if decoded.is_some() {
        assert_eq!(
            whole,
            Ok(counted),
            "counted as the scan of the whole body counts"
        );
    }
    decoded
}

/// A request of one span whose attributes are these `KeyValue` messages, as bytes.
fn request_with(attributes: &[Vec<u8>]) -> Bytes {
    let fields: Vec<Vec<u8>> = attributes.iter().map(|kv| field(9, kv)).collect();
    request_with_fields(&fields)
}

/// A request of one span with these fields (key and value, as bytes) after its own, its
/// attributes left out.
fn request_with_fields(fields: &[Vec<u8>]) -> Bytes {
    let mut span = to_request(&sample()[..1]).resource_spans[0].scope_spans[0].spans[0].clone();
    span.attributes.clear();
    let mut bytes = span.encode_to_vec();
    bytes.extend(fields.concat());
    let request = Request {
        resource_spans: vec![ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: vec![Bytes::from(bytes)],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    Bytes::from(request.encode_to_vec())
}

/// What prost makes of a body: the spans of the request it decodes, or `None`.
fn prost_spans(body: &Bytes) -> Option<(Vec<Span>, usize)> {
    ExportTraceServiceRequest::decode(body.clone())
        .ok()
        .map(into_spans)
}

/// A field's key and a length-delimited payload.
fn field(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::bytes::encode(number, &payload.to_vec(), &mut out);
    out
}

fn varint(number: u32, n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(number, WireType::Varint, &mut out);
    prost::encoding::encode_varint(n, &mut out);
    out
}

fn kv(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn every_shape_of_attribute_decodes_as_prost_decodes_it() {
    let text = |s: &str| field(1, &field(1, s.as_bytes()));
    let key = |s: &str| field(1, s.as_bytes());
    let double = {
        let mut any = Vec::new();
        prost::encoding::double::encode(4, &0.25, &mut any);
        field(2, &any)
    };
    let nested = KeyValue {
        key: "list".into(),
        value: Some(crate::span::value_into_pb(Value::Array(vec![
            Value::from("a"),
            Value::Map(vec![Attribute::new("inner", 1i64)]),
        ]))),
        ..KeyValue::default()
    }
    .encode_to_vec();
    let shapes: Vec<(&str, Vec<u8>)> = vec![
        ("string", kv(&[key("k"), field(2, &field(1, b"v"))])),
        ("value first", kv(&[field(2, &field(1, b"v")), key("k")])),
        ("bool", kv(&[key("b"), field(2, &varint(2, 1))])),
        (
            "negative int",
            kv(&[key("i"), field(2, &varint(3, u64::MAX))]),
        ),
        ("double", kv(&[key("d"), double.clone()])),
        ("bytes", kv(&[key("raw"), field(2, &field(7, &[0, 255]))])),
        ("empty key", kv(&[key(""), field(2, &field(1, b""))])),
        ("not ASCII", kv(&[key("clé"), text("日本語")])),
        ("nested", nested),
        (
            "key twice",
            kv(&[key("a"), key("b"), field(2, &varint(3, 7))]),
        ),
        (
            "value twice",
            kv(&[key("k"), text("x"), field(2, &varint(3, 7))]),
        ),
        (
            "two fields in one value",
            kv(&[key("k"), field(2, &[field(1, b"x"), varint(3, 7)].concat())]),
        ),
        ("no key", kv(&[field(2, &varint(3, 7))])),
        ("no value", kv(&[key("k")])),
        ("an empty value", kv(&[key("k"), field(2, &[])])),
        (
            "an unknown field",
            kv(&[key("k"), varint(9, 1), field(2, &varint(3, 7))]),
        ),
        (
            "a string-table index",
            kv(&[key("k"), field(2, &varint(8, 3))]),
        ),
    ];
    for (shape, bytes) in &shapes {
        let body = request_with(&[bytes.clone(), kv(&[key("after"), field(2, &varint(2, 0))])]);
        let expected = prost_spans(&body);
        assert!(expected.is_some(), "{shape}: prost takes it");
        assert_eq!(decoded(body), expected, "{shape}");
    }
}

#[test]
fn ids_are_read_as_prost_reads_them() {
    let trace = |fill: u8| field(1, &[fill; 16]);
    let span = |fill: u8| field(2, &[fill; 8]);
    let taken: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("ids given again: the last wins", vec![trace(7), span(8)]),
        ("a parent", vec![field(4, &[9; 8])]),
        ("an empty parent", vec![field(4, &[])]),
        ("a parent of the wrong length", vec![field(4, &[9; 5])]),
        ("a trace id of the wrong length", vec![field(1, &[7; 3])]),
        ("an empty span id", vec![field(2, &[])]),
    ];
    for (shape, fields) in &taken {
        let body = request_with_fields(fields);
        let expected = prost_spans(&body);
        assert!(expected.is_some(), "{shape}: prost takes it");
        assert_eq!(decoded(body), expected, "{shape}");
    }
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("a trace id of the wrong wire type", varint(1, 7)),
        ("a span id of the wrong wire type", varint(2, 7)),
        ("a parent cut short", vec![0x22, 8, 1, 2]),
    ];
    for (shape, bytes) in &refused {
        let body = request_with_fields(std::slice::from_ref(bytes));
        assert_eq!(prost_spans(&body), None, "{shape}: prost refuses it");
        assert_eq!(decoded(body), None, "{shape}");
    }
}

#[test]
fn a_malformed_or_invalid_attribute_refuses_the_request_as_prost_does() {
    let key = |s: &[u8]| field(1, s);
    let shapes: Vec<(&str, Vec<u8>)> = vec![
        (
            "a key not UTF-8",
            kv(&[key(b"k\xff"), field(2, &varint(3, 7))]),
        ),
        (
            "a string value not UTF-8",
            kv(&[key(b"k"), field(2, &field(1, b"\xc3("))]),
        ),
        (
            "a value of the wrong wire type",
            kv(&[key(b"k"), varint(2, 1)]),
        ),
        (
            "a string of the wrong wire type",
            kv(&[key(b"k"), field(2, &varint(1, 1))]),
        ),
        (
            "a double cut short",
            kv(&[key(b"k"), field(2, &[0x21, 0, 0, 0])]),
        ),
        (
            "a length past the end",
            kv(&[key(b"k"), vec![0x12, 9, 0x08]]),
        ),
    ];
    for (shape, bytes) in &shapes {
        let body = request_with(std::slice::from_ref(bytes));
        assert_eq!(prost_spans(&body), None, "{shape}: prost refuses it");
        assert_eq!(decoded(body), None, "{shape}");
    }
    // The attributes field itself of the wrong wire type: a number, a group.
    for attributes in [varint(9, 1), vec![0x4b, 0x4c]] {
        let body = request_with_fields(&[attributes]);
        assert_eq!(prost_spans(&body), None, "prost refuses it");
        assert_eq!(decoded(body), None);
    }
    // Fields a span does not have are skipped, before and after its attributes.
    let key = field(1, b"k");
    let plain = field(9, &kv(&[key, field(2, &varint(3, 7))]));
    let body = request_with_fields(&[varint(99, 5), plain, field(98, b"x")]);
    let expected = prost_spans(&body);
    assert!(
        expected
            .as_ref()
            .is_some_and(|(spans, _)| spans[0].attributes.len() == 1)
    );
    assert_eq!(decoded(body), expected);
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        ".{0,12}".prop_map(Value::Str),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |d| !d.is_nan())
            .prop_map(Value::Double),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::vec(("[a-z.]{0,6}", inner), 0..3).prop_map(|entries| {
                Value::Map(
                    entries
                        .into_iter()
                        .map(|(key, value)| Attribute {
                            key: key.into(),
                            value,
                        })
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #[test]
    fn random_attributes_decode_as_prost_decodes_them(
        attributes in proptest::collection::vec(("[a-z._]{0,16}", value()), 0..12),
    ) {
        let mut spans = sample();
        spans[0].attributes = attributes
            .into_iter()
            .map(|(key, value)| Attribute { key: key.into(), value })
            .collect();
        let body = Bytes::from(to_request(&spans).encode_to_vec());
        prop_assert_eq!(decoded(body.clone()), prost_spans(&body));
    }
}

/// What `attribute` makes of a `KeyValue`'s bytes, the first of its span.
fn read_plain(kv: &[u8]) -> Plain {
    attribute(kv, &mut Names::default(), 0)
}

#[test]
fn plain_attributes_are_read_without_prost_and_the_others_left_to_it() {
    let key = field(1, b"k");
    let plain = kv(&[key.clone(), field(2, &field(1, b"v"))]);
    assert!(matches!(
        read_plain(&plain),
        Plain::Attribute(Attribute { ref key, value: Value::Str(ref v) }) if key == "k" && v == "v"
    ));
    let twice = kv(&[
        key.clone(),
        field(2, &varint(3, 1)),
        field(2, &varint(3, 2)),
    ]);
    assert!(matches!(read_plain(&twice), Plain::Other));
    let list = kv(&[key.clone(), field(2, &field(5, &[]))]);
    assert!(matches!(read_plain(&list), Plain::Other));
    let invalid = kv(&[key, field(2, &field(1, b"\xff"))]);
    assert!(matches!(read_plain(&invalid), Plain::Invalid));
}

/// How the receiver's path refuses a protobuf body (with no queue), if it does.
fn refusal(body: Bytes) -> Option<Refusal> {
    let mut counted = match scan::count_envelope(&body) {
        Ok(counted) => counted,
        Err(refused) => return Some(refused.into()),
    };
    let mut room = TraceRoom::take(None, body.len(), counted).ok()?;
    spans_of(body, &mut counted, &mut room).err()
}

#[test]
fn what_a_span_holds_past_the_caps_refuses_the_request_as_it_is_decoded() {
    let too_many = scan::MAX_VALUES as usize + 1;
    // Empty attributes (two bytes each on the wire), and empty attributes of one event
    // and of one link: each is a value.
    let attributes = [0x4a, 0x00].repeat(too_many);
    let event = field(11, &[0x1a, 0x00].repeat(too_many));
    let link = field(13, &[0x22, 0x00].repeat(too_many));
    for (what, fields) in [("attributes", attributes), ("event", event), ("link", link)] {
        let body = request_with_fields(&[fields]);
        assert!(prost_spans(&body).is_some(), "{what}: prost would take it");
        assert_eq!(refusal(body), Some(Refusal::TooLarge), "{what}");
    }
}

#[test]
fn names_the_tool_knows_are_borrowed_and_the_others_owned_span_after_span() {
    use std::borrow::Cow;
    let mut names = Names::default();
    for _ in 0..2 {
        let model = names.read(0, b"gen_ai.request.model");
        assert!(matches!(model, Some(Cow::Borrowed("gen_ai.request.model"))));
        let custom = names.read(1, b"custom.name");
        assert!(matches!(custom, Some(Cow::Owned(ref n)) if n == "custom.name"));
    }
    // A position whose name changes from one span to the next reads the new one.
    let changed = names.read(0, b"custom.other");
    assert!(matches!(changed, Some(Cow::Owned(ref n)) if n == "custom.other"));
    let changed = names.read(1, b"gen_ai.system");
    assert!(matches!(changed, Some(Cow::Borrowed("gen_ai.system"))));
    assert_eq!(names.read(2, b"k\xff"), None, "not UTF-8");
}
