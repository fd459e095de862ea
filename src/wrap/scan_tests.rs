//! The scan's tests: crafted bodies that decode into far more than their bytes.

use super::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

fn request(spans: usize, attrs: usize) -> Vec<u8> {
    let attr = KeyValue {
        key: "k".into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue("v".into())),
        }),
        ..Default::default()
    };
    let span = Span {
        name: "s".into(),
        attributes: vec![attr; attrs],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span; spans],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn an_ordinary_batch_passes() {
    assert_eq!(check_protobuf(&request(512, 20)), Ok(()));
}

#[test]
fn too_many_spans_are_refused_even_when_empty() {
    // An empty span is two bytes on the wire (field 2, length 0).
    let mut body = Vec::new();
    let mut scope = Vec::new();
    for _ in 0..=MAX_SPANS {
        scope.extend_from_slice(&[0x12, 0x00]);
    }
    let mut resource = vec![0x12];
    prost::encoding::encode_varint(scope.len() as u64, &mut resource);
    resource.extend_from_slice(&scope);
    body.push(0x0a);
    prost::encoding::encode_varint(resource.len() as u64, &mut body);
    body.extend_from_slice(&resource);
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_ok());
    assert_eq!(check_protobuf(&body), Err(Refused::TooMany));
}

#[test]
fn too_many_attributes_are_refused() {
    let per_span = (MAX_VALUES / 100) as usize;
    // Each attribute is a KeyValue and its AnyValue: two values.
    assert_eq!(
        check_protobuf(&request(60, per_span)),
        Err(Refused::TooMany)
    );
}

#[test]
fn attributes_of_links_are_counted() {
    // One span, one link, and more empty attributes on the link than a request may carry.
    let mut link = Vec::new();
    for _ in 0..=MAX_VALUES {
        link.extend_from_slice(&[0x22, 0x00]);
    }
    let wrap = |field: u8, inner: &[u8]| {
        let mut out = vec![field];
        prost::encoding::encode_varint(inner.len() as u64, &mut out);
        out.extend_from_slice(inner);
        out
    };
    let span = wrap(0x6a, &link);
    let body = wrap(0x0a, &wrap(0x12, &wrap(0x12, &span)));
    let decoded = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
    let links = &decoded.resource_spans[0].scope_spans[0].spans[0].links;
    assert_eq!(links[0].attributes.len() as u64, MAX_VALUES + 1);
    assert_eq!(check_protobuf(&body), Err(Refused::TooMany));
}

#[test]
fn broken_wire_format_is_malformed() {
    let mut body = request(3, 2);
    body.truncate(body.len() - 3);
    assert_eq!(check_protobuf(&body), Err(Refused::Malformed));
    assert_eq!(
        check_protobuf(b"\xff\xff\xff garbage"),
        Err(Refused::Malformed)
    );
}

#[test]
fn keys_are_read_as_prost_reads_them_one_byte_or_more() {
    // Field 0, wire types 6 and 7, a group: prost refuses each, and so does the scan.
    for key in [0x00u8, 0x06, 0x0f, 0x0b, 0x0c] {
        assert_eq!(
            check_protobuf(&[key, 0]),
            Err(Refused::Malformed),
            "{key:#x}"
        );
        assert!(ExportTraceServiceRequest::decode([key, 0].as_slice()).is_err());
    }
    // Field 3000 of the request (a key of two bytes), unknown, skipped as prost skips it.
    let mut body = Vec::new();
    prost::encoding::encode_key(3000, prost::encoding::WireType::Varint, &mut body);
    body.push(1);
    body.extend(request(2, 3));
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_ok());
    let counts = count_protobuf_of(Signal::Traces, &body).unwrap();
    assert_eq!((counts.spans, counts.values), (2, 12));
    // A length of two bytes, and a varint of ten.
    let long = request(1, 100);
    assert!(long.len() > 0x80);
    let counts = count_protobuf_of(Signal::Traces, &long).unwrap();
    assert_eq!((counts.spans, counts.values), (1, 200));
    let mut body = Vec::new();
    prost::encoding::encode_key(3000, prost::encoding::WireType::Varint, &mut body);
    prost::encoding::encode_varint(u64::MAX, &mut body);
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_ok());
    assert_eq!(check_protobuf(&body), Ok(()));
}

#[test]
fn too_many_log_records_or_data_points_are_refused_even_when_empty() {
    use crate::export::records::fixtures::{logs, metrics};
    let many = vec![""; MAX_SPANS as usize + 1];
    let body = logs(&many, [1; 16], [2; 8]).encode();
    assert_eq!(
        check_protobuf_of(Signal::Logs, &body),
        Err(Refused::TooMany)
    );
    let body = logs(&["a"; 512], [1; 16], [2; 8]).encode();
    assert_eq!(check_protobuf_of(Signal::Logs, &body), Ok(()));
    let body = metrics(MAX_SPANS as usize + 1, "x").encode();
    assert_eq!(
        check_protobuf_of(Signal::Metrics, &body),
        Err(Refused::TooMany)
    );
    let body = metrics(512, "x").encode();
    assert_eq!(check_protobuf_of(Signal::Metrics, &body), Ok(()));
}

#[test]
fn entity_references_of_a_resource_and_their_keys_are_counted() {
    // Empty entity references (two bytes each) would cost prost ~100 bytes apiece.
    let refs = [0x1a, 0x00].repeat(MAX_VALUES as usize + 1);
    let wrap = |inner: &[u8]| {
        let mut out = vec![0x0a];
        prost::encoding::encode_varint(inner.len() as u64, &mut out);
        out.extend_from_slice(inner);
        out
    };
    // ResourceLogs { resource: Resource { entity_refs } } in a logs request.
    let body = wrap(&wrap(&refs));
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    let decoded = ExportLogsServiceRequest::decode(body.as_slice()).unwrap();
    let resource = decoded.resource_logs[0].resource.as_ref().unwrap();
    assert_eq!(resource.entity_refs.len() as u64, MAX_VALUES + 1);
    assert_eq!(
        check_protobuf_of(Signal::Logs, &body),
        Err(Refused::TooMany)
    );
    // One reference with too many (empty) id keys.
    let keys = [0x1a, 0x00].repeat(MAX_VALUES as usize + 1);
    let mut one = vec![0x1a];
    prost::encoding::encode_varint(keys.len() as u64, &mut one);
    one.extend_from_slice(&keys);
    let body = wrap(&wrap(&one));
    assert_eq!(
        check_protobuf_of(Signal::Logs, &body),
        Err(Refused::TooMany)
    );
    assert_eq!(
        check_protobuf_of(Signal::Logs, &wrap(&wrap(&[0x1a, 0x00]))),
        Ok(())
    );
}

/// A metrics request of one exponential histogram point whose positive buckets are
/// `buckets` (the encoded `Buckets` message).
fn exponential_point(buckets: &[u8]) -> Vec<u8> {
    let wrap = |field: u8, inner: &[u8]| {
        let mut out = vec![field];
        prost::encoding::encode_varint(inner.len() as u64, &mut out);
        out.extend_from_slice(inner);
        out
    };
    // Request.1 > ResourceMetrics.2 > ScopeMetrics.2 > Metric.10 (exponential
    // histogram) > .1 (data point) > .8 (positive buckets).
    let point = wrap(0x42, buckets);
    let metric = wrap(0x52, &wrap(0x0a, &point));
    wrap(0x0a, &wrap(0x12, &wrap(0x12, &metric)))
}

#[test]
fn bucket_counts_of_an_exponential_histogram_are_counted_packed_or_not() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let too_many = MAX_VALUES as usize + 1;
    // Packed: field 2, then one byte a count, each decoding to a u64 (8x the bytes).
    let mut packed = vec![0x12];
    prost::encoding::encode_varint(too_many as u64, &mut packed);
    packed.extend(std::iter::repeat_n(0u8, too_many));
    // Not packed: a key and a one-byte varint a count (4x).
    let unpacked = [0x10, 0x00].repeat(too_many);
    for buckets in [packed, unpacked] {
        let body = exponential_point(&buckets);
        let decoded = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
        let metric = &decoded.resource_metrics[0].scope_metrics[0].metrics[0];
        let Some(Data::ExponentialHistogram(histogram)) = &metric.data else {
            panic!("an exponential histogram");
        };
        let positive = histogram.data_points[0].positive.as_ref().unwrap();
        assert_eq!(positive.bucket_counts.len(), too_many);
        assert!(body.len() < 2 * too_many + 64, "a small request");
        assert_eq!(
            check_protobuf_of(Signal::Metrics, &body),
            Err(Refused::TooMany)
        );
    }
    // An SDK's ordinary histogram: 160 buckets, counts of several bytes each.
    let mut ordinary = vec![0x08, 0x02, 0x12];
    let counts: Vec<u8> = (0..160u64)
        .flat_map(|i| {
            let mut varint = Vec::new();
            prost::encoding::encode_varint(1_000_000 + i, &mut varint);
            varint
        })
        .collect();
    prost::encoding::encode_varint(counts.len() as u64, &mut ordinary);
    ordinary.extend_from_slice(&counts);
    let body = exponential_point(&ordinary);
    let counted = count_protobuf_of(Signal::Metrics, &body).unwrap();
    // The metric is a value, and so is each of its 160 counts.
    assert_eq!(
        counted,
        Counts {
            spans: 1,
            values: 161
        }
    );
}

#[test]
fn json_is_bounded_by_its_objects() {
    assert_eq!(check_json(br#"{"resourceSpans":[]}"#), Ok(()));
    let many = "{}".repeat(MAX_JSON_OBJECTS as usize + 1);
    assert_eq!(check_json(many.as_bytes()), Err(Refused::TooMany));
}
