//! What to do with a batch a provider refused as too large (HTTP 413), for the workers and
//! for `flush` alike: send the halves on their own; one span alone has its long values cut
//! and is sent once more; if even that is refused it is dropped, so one huge span never
//! sinks a batch.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;
use opentelemetry_proto::tonic::common::v1 as pb_common;
use opentelemetry_proto::tonic::trace::v1 as pb;

use crate::span::span_count;

/// The largest a string value may stay in a span that is too large on its own.
pub const OVERSIZED_SPAN_VALUE_LIMIT: usize = 4 * 1024;

pub enum Oversize {
    /// Send each half.
    Halves(Request, Request),
    /// The one span, its long values cut: send once more.
    Shrunk(Request),
    /// Already cut and still too large: drop it (reason `too_large`).
    Drop,
}

/// The next step for `request` after a 413; `already_shrunk` when it is the cut span.
pub fn after_413(request: &Request, already_shrunk: bool) -> Oversize {
    if span_count(request) > 1 {
        let (left, right) = split_request(request);
        Oversize::Halves(left, right)
    } else if already_shrunk {
        Oversize::Drop
    } else {
        let mut smaller = request.clone();
        shrink_values(&mut smaller, OVERSIZED_SPAN_VALUE_LIMIT);
        Oversize::Shrunk(smaller)
    }
}

/// Splits a request of two or more spans into two with about half the spans each,
/// keeping every span's resource and scope.
fn split_request(request: &Request) -> (Request, Request) {
    let half = span_count(request) / 2;
    let (mut left, mut right) = (Request::default(), Request::default());
    let mut seen = 0;
    for rs in &request.resource_spans {
        let (mut l, mut r) = (Vec::new(), Vec::new());
        for ss in &rs.scope_spans {
            let take = half.saturating_sub(seen).min(ss.spans.len());
            seen += ss.spans.len();
            let group = |spans: &[pb::Span]| pb::ScopeSpans {
                spans: spans.to_vec(),
                ..ss.clone_without_spans()
            };
            if take > 0 {
                l.push(group(&ss.spans[..take]));
            }
            if take < ss.spans.len() {
                r.push(group(&ss.spans[take..]));
            }
        }
        let resource = |scope_spans| pb::ResourceSpans {
            resource: rs.resource.clone(),
            scope_spans,
            schema_url: rs.schema_url.clone(),
        };
        if !l.is_empty() {
            left.resource_spans.push(resource(l));
        }
        if !r.is_empty() {
            right.resource_spans.push(resource(r));
        }
    }
    (left, right)
}

trait WithoutSpans {
    fn clone_without_spans(&self) -> Self;
}

impl WithoutSpans for pb::ScopeSpans {
    fn clone_without_spans(&self) -> Self {
        pb::ScopeSpans {
            scope: self.scope.clone(),
            spans: Vec::new(),
            schema_url: self.schema_url.clone(),
        }
    }
}

/// Cuts every string and bytes value of every span (attributes and events) to `limit`
/// bytes, noting how much went. For a span too large to send on its own.
fn shrink_values(request: &mut Request, limit: usize) {
    use pb_common::any_value::Value as V;
    fn cut(value: &mut pb_common::AnyValue, limit: usize) {
        match value.value.as_mut() {
            Some(V::StringValue(s)) if s.len() > limit => super::intake::truncate_string(s, limit),
            Some(V::BytesValue(b)) => b.truncate(limit),
            Some(V::ArrayValue(a)) => a.values.iter_mut().for_each(|v| cut(v, limit)),
            Some(V::KvlistValue(kv)) => kv
                .values
                .iter_mut()
                .filter_map(|k| k.value.as_mut())
                .for_each(|v| cut(v, limit)),
            _ => {}
        }
    }
    for span in request
        .resource_spans
        .iter_mut()
        .flat_map(|rs| &mut rs.scope_spans)
        .flat_map(|ss| &mut ss.spans)
    {
        let attrs = span
            .attributes
            .iter_mut()
            .chain(span.events.iter_mut().flat_map(|e| &mut e.attributes));
        attrs
            .filter_map(|kv| kv.value.as_mut())
            .for_each(|v| cut(v, limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::fixtures::sample;
    use crate::span::{Value, from_request, to_request};

    #[test]
    fn split_keeps_every_span_with_its_resource_and_scope() {
        let spans = sample();
        let request = to_request(&spans);
        let (left, right) = split_request(&request);
        assert_eq!((span_count(&left), span_count(&right)), (1, 2));
        let mut back = from_request(&left).0;
        back.extend(from_request(&right).0);
        assert_eq!(back, spans);
    }

    #[test]
    fn shrinking_cuts_long_values_only() {
        let mut spans = sample();
        spans[0].set("prompt", "x".repeat(100));
        let mut request = to_request(&spans);
        shrink_values(&mut request, 10);
        let back = from_request(&request).0;
        assert_eq!(
            back[0].attribute("prompt"),
            Some(&Value::from("xxxxxxxxxx…[truncated 90 bytes]"))
        );
        assert_eq!(
            back[0].attribute("gen_ai.agent.name"),
            Some(&Value::from("helper"))
        );
    }
}
