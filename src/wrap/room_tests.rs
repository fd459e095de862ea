//! The receiver's estimate of a request's room in the queue, against what its spans take
//! once decoded, and the refusal when there is not that much room.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::*;
use crate::engine::intake::approx_size;
use crate::engine::{Engine, EngineOptions};
use crate::presets::Signal;
use crate::span::{Resource, Scope, Value, into_spans, to_request};
use crate::wrap::scan::count_protobuf_of;

fn span(i: usize, attrs: &[(&str, Value)], event: bool) -> Span {
    let mut span = Span::start(
        format!("chat gpt-4o #{i}"),
        None,
        Arc::new(Resource::service("agent")),
        Arc::new(Scope::default()),
    );
    for (key, value) in attrs {
        span.set(key.to_string(), value.clone());
    }
    if event {
        span.events.push(crate::span::Event {
            name: "exception".into(),
            time_unix_nanos: 1,
            attributes: vec![Attribute::new("exception.type", "ValueError")],
        });
    }
    span.end();
    span
}

/// Requests of 100 spans of several shapes: GenAI spans, a few strings and an event,
/// one large value, an array, no attributes at all.
fn shapes() -> Vec<(&'static str, Vec<Span>)> {
    let genai: Vec<(&str, Value)> = vec![
        ("gen_ai.operation.name", "chat".into()),
        ("gen_ai.provider.name", "openai".into()),
        ("gen_ai.request.model", "gpt-4o".into()),
        ("gen_ai.response.model", "gpt-4o-2024-08-06".into()),
        ("gen_ai.usage.input_tokens", 1200i64.into()),
        ("gen_ai.usage.output_tokens", 345i64.into()),
        ("gen_ai.agent.name", "support-agent".into()),
        ("gen_ai.conversation.id", "conv-00000001".into()),
        ("gen_ai.response.finish_reasons", "stop".into()),
        ("gen_ai.request.temperature", 0.2f64.into()),
    ];
    let few: Vec<(&str, Value)> = vec![("a", "b".into()), ("http.method", "GET".into())];
    let large: Vec<(&str, Value)> = vec![("gen_ai.prompt", "x".repeat(4096).into())];
    let items: Vec<Value> = (0..20).map(|i| Value::from(format!("tag-{i}"))).collect();
    let array: Vec<(&str, Value)> = vec![("tags", Value::Array(items))];
    let make = |attrs: &[(&str, Value)], event: bool| -> Vec<Span> {
        (0..100).map(|i| span(i, attrs, event)).collect()
    };
    vec![
        ("genai", make(&genai, false)),
        ("few strings and an event", make(&few, true)),
        ("one large value", make(&large, false)),
        ("an array", make(&array, false)),
        ("bare", make(&[], false)),
    ]
}

/// What the spans of `request` take in the queue once decoded.
fn queued(request: ExportTraceServiceRequest) -> u64 {
    let (spans, _) = into_spans(request);
    spans.iter().map(|s| approx_size(s) as u64).sum()
}

#[test]
fn a_protobuf_requests_estimate_covers_what_its_spans_take_without_doubling_it() {
    for (shape, spans) in shapes() {
        let body = to_request(&spans).encode_to_vec();
        let counts = count_protobuf_of(Signal::Traces, &body).unwrap();
        let estimate = trace_estimate(body.len(), Some(counts));
        let taken = queued(ExportTraceServiceRequest::decode(body.as_slice()).unwrap());
        assert!(estimate >= taken, "{shape}: {estimate} < {taken}");
        // Not so high that a queue with room enough is said to be full.
        assert!(estimate <= taken * 2, "{shape}: {estimate} > 2 × {taken}");
    }
}

#[test]
fn a_json_requests_estimate_covers_what_its_spans_take() {
    for (shape, spans) in shapes() {
        let request = to_request(&spans);
        let body = serde_json::to_vec(&request).unwrap();
        let estimate = trace_estimate(body.len(), None);
        let taken = queued(request);
        assert!(estimate >= taken, "{shape}: {estimate} < {taken}");
    }
}

fn engine(max_bytes: u64) -> Engine {
    let options = EngineOptions {
        queue_max_bytes: max_bytes,
        ..crate::engine::tests::options()
    };
    Engine::start_with(Vec::new(), options).unwrap()
}

#[test]
fn a_request_the_queue_has_no_room_for_is_asked_to_retry() {
    let engine = engine(100_000);
    let recorder = engine.recorder();
    assert!(make_room(Some(&recorder), 30_000, 10).is_ok());
    assert!(recorder.reserve(80_000));
    assert_eq!(
        make_room(Some(&recorder), 30_000, 10).err(),
        Some(Refusal::QueueFull)
    );
    // Once the queue drains, the request is taken.
    recorder.release(80_000);
    assert!(make_room(Some(&recorder), 30_000, 10).is_ok());
    // A discarding run has no queue to fill.
    assert!(make_room(None, u64::MAX, u64::MAX).is_ok());
    engine.shutdown(Duration::from_secs(1));
}

#[test]
fn a_request_being_decoded_holds_its_room_until_its_spans_are_handed_on() {
    let engine = engine(100_000);
    let recorder = engine.recorder();
    let first = make_room(Some(&recorder), 30_000, 10).unwrap();
    assert_eq!(recorder.room().bytes, 70_000);
    let second = make_room(Some(&recorder), 30_000, 10).unwrap();
    // Two decodes in flight fill the queue's budget as their spans will.
    assert_eq!(
        make_room(Some(&recorder), 50_000, 10).err(),
        Some(Refusal::QueueFull)
    );
    drop(first);
    drop(second);
    assert_eq!(recorder.room().bytes, 100_000, "all given back");
    assert!(make_room(Some(&recorder), 50_000, 10).is_ok());
    engine.shutdown(Duration::from_secs(1));
}

#[test]
fn a_request_larger_than_the_queue_waits_only_for_half_of_it() {
    let engine = engine(100_000);
    let recorder = engine.recorder();
    assert!(recorder.reserve(40_000));
    assert!(make_room(Some(&recorder), 1_000_000, 1).is_ok());
    assert!(recorder.reserve(20_000));
    assert_eq!(
        make_room(Some(&recorder), 1_000_000, 1).err(),
        Some(Refusal::QueueFull)
    );
    engine.shutdown(Duration::from_secs(1));
}

#[test]
fn a_trace_request_takes_room_for_its_envelope_then_for_its_spans_values_as_counted() {
    let engine = engine(1_000_000);
    let recorder = engine.recorder();
    let envelope = Counts {
        spans: 10,
        values: 4,
    };
    let mut room = TraceRoom::take(Some(&recorder), 1_000, envelope).unwrap();
    let taken = trace_estimate(1_000, Some(envelope));
    assert_eq!(recorder.room().bytes, 1_000_000 - taken);
    // The first of ten spans held 20 values: room for ten such spans is taken at once.
    let first = Counts {
        values: 4 + 20,
        ..envelope
    };
    room.cover(first, 1).unwrap();
    let projected = trace_estimate(
        1_000,
        Some(Counts {
            values: 4 + 200,
            ..envelope
        }),
    );
    assert_eq!(recorder.room().bytes, 1_000_000 - projected);
    // Spans like it need no more.
    room.cover(
        Counts {
            values: 4 + 180,
            ..envelope
        },
        9,
    )
    .unwrap();
    assert_eq!(recorder.room().bytes, 1_000_000 - projected);
    drop(room);
    assert_eq!(recorder.room().bytes, 1_000_000, "all given back");
    engine.shutdown(Duration::from_secs(1));
}

#[test]
fn a_trace_request_whose_spans_outgrow_the_queues_room_is_asked_to_retry() {
    let engine = engine(100_000);
    let recorder = engine.recorder();
    let envelope = Counts {
        spans: 10,
        values: 0,
    };
    let mut room = TraceRoom::take(Some(&recorder), 1_000, envelope).unwrap();
    assert!(recorder.reserve(recorder.room().bytes - 1_000));
    let many = Counts {
        values: 1_000,
        ..envelope
    };
    assert_eq!(room.cover(many, 10).err(), Some(Refusal::QueueFull));
    // What it held is given back with it.
    drop(room);
    let held = trace_estimate(1_000, Some(envelope));
    assert_eq!(recorder.room().bytes, 1_000 + held);
    engine.shutdown(Duration::from_secs(1));
}
