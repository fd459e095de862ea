//! How the receiver decodes a protobuf trace request into spans, prost doing the
//! protobuf: the request's envelope (resources and scopes) is decoded with its spans left
//! as slices of the body (`Bytes`, no copy), then each span is decoded into one message
//! reused from span to span and converted at once. The request is never whole in memory
//! as prost's types beside its spans, and the vectors a span decodes into (its ids, its
//! attributes) keep their capacity for the next span instead of growing anew.

use std::sync::Arc;

use bytes::Bytes;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1 as pb;
use prost::Message;

use crate::span::{Span, resource_from_pb, scope_from_pb, span_from_reused};

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

/// The spans of a protobuf `ExportTraceServiceRequest`, and how many were left out for an
/// invalid trace or span id; `None` when the body is not one. `expected` is how many
/// spans the body holds (`scan` counted them), what the vector is sized for.
pub(super) fn spans_of(body: Bytes, expected: usize) -> Option<(Vec<Span>, usize)> {
    let request = Request::decode(body).ok()?;
    let mut spans = Vec::with_capacity(expected);
    let mut invalid = 0;
    let mut reused = pb::Span::default();
    for rs in request.resource_spans {
        let resource = Arc::new(resource_from_pb(rs.resource, rs.schema_url));
        for ss in rs.scope_spans {
            let scope = Arc::new(scope_from_pb(ss.scope, ss.schema_url));
            for bytes in ss.spans {
                reused.clear();
                reused.merge(bytes).ok()?;
                match span_from_reused(&mut reused, &resource, &scope) {
                    Some(span) => spans.push(span),
                    None => invalid += 1,
                }
            }
        }
    }
    Some((spans, invalid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::fixtures::sample;
    use crate::span::{from_request, to_request};

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
        assert_eq!(spans_of(body.clone(), 0), Some(expected));
        assert_eq!(spans_of(body.slice(..body.len() - 1), 0), None);
    }
}
