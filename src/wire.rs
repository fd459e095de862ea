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

use bytes::{Bytes, BytesMut};
use prost::Message;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

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
    let scratch = &mut BytesMut::new();
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
}
