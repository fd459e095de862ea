//! Round trips between spans and OTLP requests, protobuf and JSON.

use super::*;
use crate::span::fixtures::sample;
use prost::Message;

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
fn attributes_converted_into_reused_key_values_are_those_converted_anew() {
    let named = |names: &[&'static str]| -> Vec<Attribute> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| match name.strip_prefix("own:") {
                // A name of its own (not the tool's), as a request may carry.
                Some(own) => Attribute::new(own.to_string(), i as i64),
                None => Attribute::new(*name, format!("v{i}")),
            })
            .collect()
    };
    let spans = [
        named(&["gen_ai.request.model", "own:custom.a", "gen_ai.system"]),
        named(&["own:custom.b"]),
        named(&[
            "own:custom.c",
            "gen_ai.usage.input_tokens",
            "x",
            "own:d",
            "y",
        ]),
        named(&[]),
        named(&["z", "own:e"]),
    ];
    let mut reused = Vec::new();
    for attributes in spans {
        reused.truncate(attributes.len());
        reused.resize_with(attributes.len(), Default::default);
        values::attrs_into_pb_front(attributes.clone(), &mut reused);
        assert_eq!(reused, attrs_into_pb(attributes));
    }
}
