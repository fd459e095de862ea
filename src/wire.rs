//! The protobuf body of an export request, encoded in one pass per span.
//!
//! prost encodes a nested message by asking it for its length first, at every level, so
//! an attribute value five levels down (request, resource spans, scope spans, span,
//! attribute) is measured six times over. Here each span is encoded once on its own, and
//! the levels above hold those bytes: mirror messages whose `spans` field is `repeated
//! bytes`, with the tag and wire type of `repeated Span` (protobuf documents embedded
//! messages as wire-compatible with bytes holding their encoding). prost still does all
//! the encoding, and the body is byte for byte what `encode_to_vec` gives (a test holds
//! it to that); it costs about half.
//!
//! `encode_spans` goes one step further for the engine: the spans themselves are
//! converted and encoded one at a time, through one reused `Span` message, so the
//! request's tree of a batch (a vector of attributes and three ids per span) is never
//! built, and each span's strings are freed as soon as it is encoded.

use bytes::{Bytes, BytesMut};
use prost::Message;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;
use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;
use opentelemetry_proto::tonic::trace::v1 as pb;

use crate::span::{
    AddedAttrs, Grouper, Groups, Span, resource_to_pb, scope_to_pb, span_into_pb_adding,
};

/// Bytes the scratch buffer takes at a time: a few allocations per batch of encoded spans
/// (each span's bytes a slice of it) rather than one per span.
const SCRATCH_BYTES: usize = 64 * 1024;

/// `ExportTraceServiceRequest`, with its resource spans below.
#[derive(Clone, PartialEq, prost::Message)]
struct RequestBody {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpansBody>,
}

/// `ResourceSpans`, its resource already encoded.
#[derive(Clone, PartialEq, prost::Message)]
struct ResourceSpansBody {
    #[prost(bytes = "bytes", optional, tag = "1")]
    resource: Option<Bytes>,
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpansBody>,
    #[prost(string, tag = "3")]
    schema_url: String,
}

/// `ScopeSpans`, its scope and each of its spans already encoded.
#[derive(Clone, PartialEq, prost::Message)]
struct ScopeSpansBody {
    #[prost(bytes = "bytes", optional, tag = "1")]
    scope: Option<Bytes>,
    #[prost(bytes = "bytes", repeated, tag = "2")]
    spans: Vec<Bytes>,
    #[prost(string, tag = "3")]
    schema_url: String,
}

/// The protobuf encoding of `request`, the same bytes as `request.encode_to_vec()`.
pub fn encode(request: &Request) -> Vec<u8> {
    let scratch = &mut BytesMut::with_capacity(SCRATCH_BYTES);
    let body = RequestBody {
        resource_spans: request
            .resource_spans
            .iter()
            .map(|resource_spans| ResourceSpansBody {
                resource: resource_spans
                    .resource
                    .as_ref()
                    .map(|resource| encoded(scratch, resource)),
                scope_spans: resource_spans
                    .scope_spans
                    .iter()
                    .map(|scope_spans| ScopeSpansBody {
                        scope: scope_spans
                            .scope
                            .as_ref()
                            .map(|scope| encoded(scratch, scope)),
                        spans: scope_spans
                            .spans
                            .iter()
                            .map(|span| encoded(scratch, span))
                            .collect(),
                        schema_url: scope_spans.schema_url.clone(),
                    })
                    .collect(),
                schema_url: resource_spans.schema_url.clone(),
            })
            .collect(),
    };
    body.encode_to_vec()
}

/// The body of `span::into_request(spans)`, with the attributes `add` writes for each
/// span after its own and `resource` applied to each of its resources (a backend
/// profile's attributes), the same bytes as the request with them, without building that
/// request: each span is moved into one reused `Span` message and encoded at once.
pub fn encode_spans(
    spans: Vec<Span>,
    add: impl Fn(&Span, &mut AddedAttrs<'_>),
    resource: impl Fn(&mut PbResource),
) -> Vec<u8> {
    let scratch = &mut BytesMut::with_capacity(SCRATCH_BYTES);
    let mut groups: Groups<Bytes> = Vec::new();
    let mut grouper = Grouper::new(spans.len());
    let mut message = pb::Span::default();
    for span in spans {
        let (r, s) = grouper.place(&mut groups, &span);
        span_into_pb_adding(span, &mut message, &add);
        groups[r].1[s].1.push(encoded(scratch, &message));
    }
    drop(message);
    let body = RequestBody {
        resource_spans: groups
            .into_iter()
            .map(|(resource_of, scopes)| {
                let mut pb_resource = resource_to_pb(&resource_of);
                resource(&mut pb_resource);
                ResourceSpansBody {
                    resource: Some(encoded(scratch, &pb_resource)),
                    scope_spans: scopes
                        .into_iter()
                        .map(|(scope, spans)| ScopeSpansBody {
                            scope: Some(encoded(scratch, &scope_to_pb(&scope))),
                            spans,
                            schema_url: scope.schema_url.clone(),
                        })
                        .collect(),
                    schema_url: resource_of.schema_url.clone(),
                }
            })
            .collect(),
    };
    body.encode_to_vec()
}

/// `message` encoded on its own, in the scratch buffer's next bytes.
fn encoded(scratch: &mut BytesMut, message: &impl Message) -> Bytes {
    message
        .encode(scratch)
        .expect("a BytesMut grows to fit, so encoding cannot run out of room");
    scratch.split().freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Attribute, Resource, Scope, Span, Value, to_request};
    use std::sync::Arc;

    #[test]
    fn the_body_is_what_prost_encodes() {
        let first = Arc::new(Resource::service("a"));
        let second = Arc::new(Resource {
            attributes: vec![Attribute::new("host.name", "h")],
            schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
        });
        let scope = Arc::new(Scope {
            name: "lib".into(),
            version: "1.0".into(),
            ..Default::default()
        });
        let mut spans = Vec::new();
        for i in 0..20 {
            let resource = if i % 3 == 0 { &second } else { &first };
            let mut span = Span::start(format!("span {i}"), None, resource.clone(), scope.clone());
            span.set("gen_ai.usage.input_tokens", i as i64)
                .set("text", "é".repeat(i * 40))
                .set(
                    "nested",
                    Value::Array(vec![Value::from(1.5), Value::from(true)]),
                );
            spans.push(span);
        }
        let request = to_request(&spans);
        assert_eq!(request.resource_spans.len(), 2);
        assert_eq!(encode(&request), request.encode_to_vec());
        let empty = Request::default();
        assert_eq!(encode(&empty), empty.encode_to_vec());
    }

    /// Spans of two resources and two scopes, interleaved; events, links, a parent and a
    /// status on some, so every field of the reused message is overwritten.
    fn mixed_spans() -> Vec<Span> {
        use crate::span::{Event, Link, SpanId, Status, StatusCode, TraceId};
        let first = Arc::new(Resource::service("a"));
        let second = Arc::new(Resource {
            attributes: vec![Attribute::new("host.name", "h")],
            schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
        });
        let scopes = [
            Arc::new(Scope::default()),
            Arc::new(Scope {
                name: "lib".into(),
                version: "1.0".into(),
                attributes: vec![Attribute::new("k", 1i64)],
                schema_url: "s".into(),
            }),
        ];
        (0..40)
            .map(|i| {
                let resource = if i % 3 == 0 { &second } else { &first };
                let scope = &scopes[i % 2];
                let mut span =
                    Span::start(format!("span {i}"), None, resource.clone(), scope.clone());
                span.set("n", i as i64).set("text", "é".repeat(i * 7));
                if i % 4 == 1 {
                    span.parent_span_id = Some(SpanId([i as u8 + 1; 8]));
                    span.trace_state = "k=v".into();
                    span.status = Status {
                        code: StatusCode::Error,
                        message: "failed".into(),
                    };
                    span.events.push(Event {
                        name: "exception".into(),
                        time_unix_nanos: 5,
                        attributes: vec![Attribute::new("exception.type", "E")],
                    });
                    span.links.push(Link {
                        trace_id: TraceId([9; 16]),
                        span_id: SpanId([8; 8]),
                        trace_state: String::new(),
                        attributes: Vec::new(),
                    });
                }
                if i % 5 == 0 {
                    span.attributes.clear();
                }
                span
            })
            .collect()
    }

    #[test]
    fn spans_encoded_one_by_one_are_the_body_of_their_request() {
        let spans = mixed_spans();
        let request = to_request(&spans);
        assert_eq!(request.resource_spans.len(), 2);
        assert_eq!(
            encode_spans(spans, |_, _| {}, |_| {}),
            request.encode_to_vec()
        );
        assert_eq!(
            encode_spans(Vec::new(), |_, _| {}, |_| {}),
            Request::default().encode_to_vec()
        );
    }

    #[test]
    fn each_resource_gets_what_the_profile_adds_to_it() {
        let spans = mixed_spans();
        let added = Attribute::new("openinference.project.name", "p");
        let mut request = to_request(&spans);
        for resource_spans in &mut request.resource_spans {
            let resource = resource_spans.resource.as_mut().unwrap();
            resource
                .attributes
                .extend(crate::span::attrs_into_pb(vec![added.clone()]));
        }
        let body = encode_spans(
            spans,
            |_, _| {},
            |resource| {
                resource
                    .attributes
                    .extend(crate::span::attrs_into_pb(vec![added.clone()]));
            },
        );
        assert_eq!(body, request.encode_to_vec());
    }

    /// Every profile's attributes written into each span's message are the bytes of the
    /// request of the spans the profile was applied to: GenAI spans of several kinds, some
    /// with a profile's key already, one with a masked session.
    #[test]
    fn a_profile_written_while_encoding_is_the_profile_applied_to_the_spans() {
        use crate::presets::Profile;
        use crate::profile::Profiler;
        let mut spans = mixed_spans();
        for (i, span) in spans.iter_mut().enumerate() {
            match i % 4 {
                0 => span
                    .set("gen_ai.operation.name", "chat")
                    .set("gen_ai.provider.name", "openai")
                    .set("gen_ai.request.model", format!("model-{i}"))
                    .set("gen_ai.usage.input_tokens", i as i64)
                    .set("gen_ai.usage.output_tokens", 7i64),
                1 => span
                    .set("gen_ai.operation.name", "execute_tool")
                    .set("gen_ai.tool.name", "search"),
                2 => span
                    .set("llm.model_name", "kept")
                    .set("session.id", "[MASKED len=5]")
                    .set("gen_ai.request.model", "m"),
                _ => span,
            };
        }
        for profile in [
            Profile::Plain,
            Profile::OpenInference,
            Profile::Langfuse,
            Profile::LangSmith,
            Profile::MLflow,
        ] {
            let profiler = Profiler {
                profile,
                resource: vec![("openinference.project.name".into(), "p".into())],
            };
            let mut applied = spans.clone();
            profiler.apply_batch(&mut applied);
            let mut request = crate::span::into_request(applied);
            profiler.apply_resource(&mut request);
            let body = encode_spans(
                spans.clone(),
                |span, added| profiler.write_added(span, added),
                |resource| profiler.apply_to_resource(resource),
            );
            assert_eq!(body, request.encode_to_vec(), "{profile:?}");
        }
    }
}
