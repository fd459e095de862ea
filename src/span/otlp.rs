//! The conversion between [`Span`]s and OTLP's protobuf types: a batch becomes one
//! `ExportTraceServiceRequest`, spans grouped by resource and scope, and a request (from
//! the receiver, the spool, a test) becomes spans again. Nothing here encodes bytes by
//! hand: prost does protobuf, opentelemetry-proto's serde support does OTLP JSON.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as pb_common;
use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;
use opentelemetry_proto::tonic::trace::v1 as pb;

use super::*;

mod values;
pub use values::AddedAttrs;
pub(crate) use values::attr_from_pb;
use values::attrs_into_pb_front;
pub use values::{attrs_from_pb, attrs_into_pb, value_from_pb, value_into_pb};

fn same<T: PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// One request holding `spans`, grouped by resource then scope, in first-seen order.
pub fn to_request(spans: &[Span]) -> ExportTraceServiceRequest {
    into_request(spans.to_vec())
}

/// Like [`to_request`], moving the spans' strings instead of copying them (the engine's
/// path: a batch is converted once, without a copy).
pub fn into_request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    let mut groups: Groups<pb::Span> = Vec::new();
    let mut grouper = Grouper::new(spans.len());
    for span in spans {
        let (r, s) = grouper.place(&mut groups, &span);
        groups[r].1[s].1.push(span_into_pb(span));
    }
    ExportTraceServiceRequest {
        resource_spans: groups
            .into_iter()
            .map(|(resource, scopes)| pb::ResourceSpans {
                resource: Some(resource_to_pb(&resource)),
                scope_spans: scopes
                    .into_iter()
                    .map(|(scope, spans)| pb::ScopeSpans {
                        scope: Some(scope_to_pb(&scope)),
                        spans,
                        schema_url: scope.schema_url.clone(),
                    })
                    .collect(),
                schema_url: resource.schema_url.clone(),
            })
            .collect(),
    }
}

/// A resource as OTLP's, for the request of its spans.
pub(crate) fn resource_to_pb(resource: &Resource) -> PbResource {
    PbResource {
        attributes: attrs_into_pb(resource.attributes.clone()),
        ..Default::default()
    }
}

/// A scope as OTLP's, for the request of its spans.
pub(crate) fn scope_to_pb(scope: &Scope) -> pb_common::InstrumentationScope {
    pb_common::InstrumentationScope {
        name: scope.name.clone(),
        version: scope.version.clone(),
        attributes: attrs_into_pb(scope.attributes.clone()),
        dropped_attributes_count: 0,
    }
}

/// A batch's spans (or what is made of each) by resource, then by scope, in first-seen
/// order, as a request groups them.
pub(crate) type Groups<T> = Vec<(Arc<Resource>, Vec<(Arc<Scope>, Vec<T>)>)>;

/// Finds each span's group among [`Groups`]. A batch is mostly one resource and scope:
/// the first group is sized for the whole batch, and a span of the same group as the
/// one before is placed without a search.
pub(crate) struct Grouper {
    room: usize,
    last: Option<(usize, usize)>,
}

impl Grouper {
    /// A grouper for a batch of `spans` spans.
    pub(crate) fn new(spans: usize) -> Grouper {
        Grouper {
            room: spans,
            last: None,
        }
    }

    /// Where `span` goes among `groups` (resource, then scope), a group added when none
    /// is its own.
    pub(crate) fn place<T>(&mut self, groups: &mut Groups<T>, span: &Span) -> (usize, usize) {
        let place = match self.last {
            Some((r, s))
                if Arc::ptr_eq(&groups[r].0, &span.resource)
                    && Arc::ptr_eq(&groups[r].1[s].0, &span.scope) =>
            {
                (r, s)
            }
            _ => self.search(groups, span),
        };
        self.last = Some(place);
        place
    }

    fn search<T>(&mut self, groups: &mut Groups<T>, span: &Span) -> (usize, usize) {
        let r = match groups.iter().position(|(r, _)| same(r, &span.resource)) {
            Some(r) => r,
            None => {
                groups.push((span.resource.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        let scopes = &mut groups[r].1;
        let s = match scopes.iter().position(|(s, _)| same(s, &span.scope)) {
            Some(s) => s,
            None => {
                let room = std::mem::take(&mut self.room);
                scopes.push((span.scope.clone(), Vec::with_capacity(room)));
                scopes.len() - 1
            }
        };
        (r, s)
    }
}

/// How many spans a request holds.
pub fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// The spans of a request. Spans with an invalid id are skipped and counted.
pub fn from_request(request: &ExportTraceServiceRequest) -> (Vec<Span>, usize) {
    into_spans(request.clone())
}

/// Like [`from_request`], moving the request's strings instead of copying them (the
/// receiver's path).
pub fn into_spans(request: ExportTraceServiceRequest) -> (Vec<Span>, usize) {
    let mut spans = Vec::new();
    let mut invalid = 0;
    for rs in request.resource_spans {
        let resource = Arc::new(resource_from_pb(rs.resource, rs.schema_url));
        for ss in rs.scope_spans {
            let scope = Arc::new(scope_from_pb(ss.scope, ss.schema_url));
            for mut span in ss.spans {
                let attributes = attrs_from_pb(std::mem::take(&mut span.attributes));
                match span_from_pb(&mut span, attributes, &resource, &scope) {
                    Some(s) => spans.push(s),
                    None => invalid += 1,
                }
            }
        }
    }
    (spans, invalid)
}

/// A request's resource (with the `schema_url` of its `ResourceSpans`).
pub(crate) fn resource_from_pb(resource: Option<PbResource>, schema_url: String) -> Resource {
    Resource {
        attributes: resource
            .map(|r| attrs_from_pb(r.attributes))
            .unwrap_or_default(),
        schema_url,
    }
}

/// A request's instrumentation scope (with the `schema_url` of its `ScopeSpans`).
pub(crate) fn scope_from_pb(
    scope: Option<pb_common::InstrumentationScope>,
    schema_url: String,
) -> Scope {
    match scope {
        Some(s) => Scope {
            name: s.name,
            version: s.version,
            attributes: attrs_from_pb(s.attributes),
            schema_url,
        },
        None => Scope {
            schema_url,
            ..Default::default()
        },
    }
}

/// A span decoded into `span`, a message reused for the next one (the receiver's path),
/// its attributes decoded and converted already (`attributes`; `span.attributes` is not
/// read): its strings are moved out, and its vectors drained, so they keep their capacity.
pub(crate) fn span_from_reused(
    span: &mut pb::Span,
    attributes: Vec<Attribute>,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
) -> Option<Span> {
    span_from_pb(span, attributes, resource, scope)
}

fn span_into_pb(span: Span) -> pb::Span {
    let mut pb = pb::Span::default();
    span_into_pb_reusing(span, &mut pb);
    pb
}

/// Moves `span` into `pb`, reusing `pb`'s vectors (ids, attributes): converted span by
/// span into one `pb::Span`, a batch needs no allocation of its own for them
/// (`wire::encode_spans`). What `pb` held before is dropped.
fn span_into_pb_reusing(span: Span, pb: &mut pb::Span) {
    span_into_pb_adding(span, pb, |_, _| {});
}

/// [`span_into_pb_reusing`], with the attributes `add` writes (given the span, before it
/// moves) after the span's own: a backend profile's, never in the span itself.
pub(crate) fn span_into_pb_adding(
    mut span: Span,
    pb: &mut pb::Span,
    add: impl FnOnce(&Span, &mut AddedAttrs<'_>),
) {
    let own = span.attributes.len();
    let mut added = AddedAttrs::after(&mut pb.attributes, own);
    add(&span, &mut added);
    let end = added.end;
    pb.attributes.truncate(end);
    attrs_into_pb_front(std::mem::take(&mut span.attributes), &mut pb.attributes);
    refill(&mut pb.trace_id, &span.trace_id.0);
    refill(&mut pb.span_id, &span.span_id.0);
    match span.parent_span_id {
        Some(parent) => refill(&mut pb.parent_span_id, &parent.0),
        None => pb.parent_span_id.clear(),
    }
    pb.trace_state = span.trace_state;
    pb.flags = span.flags;
    pb.name = span.name;
    pb.kind = match span.kind {
        SpanKind::Internal => pb::span::SpanKind::Internal,
        SpanKind::Server => pb::span::SpanKind::Server,
        SpanKind::Client => pb::span::SpanKind::Client,
        SpanKind::Producer => pb::span::SpanKind::Producer,
        SpanKind::Consumer => pb::span::SpanKind::Consumer,
    } as i32;
    pb.start_time_unix_nano = span.start_unix_nanos;
    pb.end_time_unix_nano = span.end_unix_nanos;
    pb.dropped_attributes_count = 0;
    pb.events = span
        .events
        .into_iter()
        .map(|e| pb::span::Event {
            time_unix_nano: e.time_unix_nanos,
            name: e.name,
            attributes: attrs_into_pb(e.attributes),
            dropped_attributes_count: 0,
        })
        .collect();
    pb.dropped_events_count = 0;
    pb.links = span
        .links
        .into_iter()
        .map(|l| pb::span::Link {
            trace_id: l.trace_id.0.to_vec(),
            span_id: l.span_id.0.to_vec(),
            trace_state: l.trace_state,
            attributes: attrs_into_pb(l.attributes),
            dropped_attributes_count: 0,
            flags: 0,
        })
        .collect();
    pb.dropped_links_count = 0;
    pb.status = match span.status.code {
        StatusCode::Unset if span.status.message.is_empty() => None,
        code => Some(pb::Status {
            message: span.status.message,
            code: match code {
                StatusCode::Unset => pb::status::StatusCode::Unset,
                StatusCode::Ok => pb::status::StatusCode::Ok,
                StatusCode::Error => pb::status::StatusCode::Error,
            } as i32,
        }),
    };
}

/// `bytes` in `vec`, in place of what it held, in its allocation when there is one.
fn refill(vec: &mut Vec<u8>, bytes: &[u8]) {
    vec.clear();
    vec.extend_from_slice(bytes);
}

/// The span `span` holds, its `attributes` converted already; its strings are moved out.
fn span_from_pb(
    span: &mut pb::Span,
    attributes: Vec<Attribute>,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
) -> Option<Span> {
    let trace_id = TraceId(span.trace_id.as_slice().try_into().ok()?);
    let span_id = SpanId(span.span_id.as_slice().try_into().ok()?);
    if trace_id.0 == [0; 16] || span_id.0 == [0; 8] {
        return None;
    }
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        _ => {
            Some(SpanId(span.parent_span_id.as_slice().try_into().ok()?)).filter(|p| p.0 != [0; 8])
        }
    };
    Some(Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: std::mem::take(&mut span.trace_state),
        flags: span.flags,
        name: std::mem::take(&mut span.name),
        kind: match pb::span::SpanKind::try_from(span.kind) {
            Ok(pb::span::SpanKind::Server) => SpanKind::Server,
            Ok(pb::span::SpanKind::Client) => SpanKind::Client,
            Ok(pb::span::SpanKind::Producer) => SpanKind::Producer,
            Ok(pb::span::SpanKind::Consumer) => SpanKind::Consumer,
            _ => SpanKind::Internal,
        },
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
        attributes,
        events: span
            .events
            .drain(..)
            .map(|e| Event {
                name: e.name,
                time_unix_nanos: e.time_unix_nano,
                attributes: attrs_from_pb(e.attributes),
            })
            .collect(),
        links: span
            .links
            .drain(..)
            .filter_map(|l| {
                Some(Link {
                    trace_id: TraceId(l.trace_id.as_slice().try_into().ok()?),
                    span_id: SpanId(l.span_id.as_slice().try_into().ok()?),
                    trace_state: l.trace_state,
                    attributes: attrs_from_pb(l.attributes),
                })
            })
            .collect(),
        status: span
            .status
            .take()
            .map(|s| Status {
                code: match pb::status::StatusCode::try_from(s.code) {
                    Ok(pb::status::StatusCode::Ok) => StatusCode::Ok,
                    Ok(pb::status::StatusCode::Error) => StatusCode::Error,
                    _ => StatusCode::Unset,
                },
                message: s.message,
            })
            .unwrap_or_default(),
        resource: resource.clone(),
        scope: scope.clone(),
    })
}

#[cfg(test)]
mod tests;
