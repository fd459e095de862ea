//! What to do with a batch a provider refused as too large (HTTP 413), for the workers and
//! for `flush` alike: send the halves on their own; one span alone has its long values cut
//! and is sent once more; if even that is refused it is dropped, so one huge span never
//! sinks a batch.

use crate::span::{shrink_values, span_count, split_request};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

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
