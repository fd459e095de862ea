//! Reading the local trace store that [`crate::export::local`] writes, and making sense of
//! what is in it: the recent traces, one trace by id, a trace as a tree with its GenAI
//! figures, and the spans appended while following it. What the `traces` command shows;
//! the command itself (text, colour, flags) lives in `commands/traces/`.
//!
//! Nothing here creates a directory or changes a store file: an absent store reads as an
//! empty one. The one thing written is a cache: the index of the trace ids in a store file
//! no longer written (`index`), beside it, so that the next lookup of an id reads only its
//! lines.
//!
//! How much is read: the store is read from its end, newest file first, so listing the last
//! 20 traces costs the last few lines however large the store is. A trace can straddle lines
//! and files (its spans are written as they end, in batches), so a trace is taken as whole
//! once the reader reaches lines written before it started. The lines carry no write time:
//! a line is taken as written at most [`MAX_WRITE_DELAY_NANOS`] after the latest end time
//! of its spans (the exporters batch for a second, the Python SDK for five).

mod decode;
mod follow;
mod index;
mod json;
mod lines;
mod logs;
mod pool;
mod scan;
mod summary;
mod time;
mod tree;

pub use follow::Follower;
pub use json::{
    AttributesJson, EventJson, LogJson, ModelJson, ScopeJson, SpanJson, StatusJson, SummaryJson,
    TraceJson, ValueJson,
};
pub use logs::{LogEvent, logs_of};
pub use scan::{Lookup, MIN_PREFIX, Store, id_prefix};
pub use summary::{Details, ModelTokens, Summary, details};
pub use time::{rfc3339, utc_date_time, utc_time_of_day};
pub use tree::{Row, rows};

use std::collections::HashSet;

use crate::span::{Span, SpanId, TraceId};

/// How long after its spans end a line may be written: the slack of the "whole trace" rule.
pub const MAX_WRITE_DELAY_NANOS: u64 = 60_000_000_000;

/// The spans of one trace found in the store, deduplicated by span id (delivery is
/// at-least-once, so a span may be stored twice).
#[derive(Debug, Clone)]
pub struct Trace {
    /// The trace's id.
    pub trace_id: TraceId,
    /// Its spans, each once, in the order they were read.
    pub spans: Vec<Span>,
    seen: HashSet<SpanId>,
    start: u64,
    end: u64,
}

impl Trace {
    /// An empty trace of this id, to add spans to.
    pub fn new(trace_id: TraceId) -> Trace {
        Trace {
            trace_id,
            spans: Vec::new(),
            seen: HashSet::new(),
            start: u64::MAX,
            end: 0,
        }
    }

    /// The earliest start of its spans (0 when it has none).
    pub fn start_unix_nanos(&self) -> u64 {
        if self.spans.is_empty() { 0 } else { self.start }
    }

    /// The latest end of its spans.
    pub fn end_unix_nanos(&self) -> u64 {
        self.end
    }

    /// Adds a span of this trace, unless one with its id is there already.
    pub fn add(&mut self, span: Span) {
        if self.seen.insert(span.span_id) {
            self.start = self.start.min(span.start_unix_nanos);
            self.end = self.end.max(span.end_unix_nanos);
            self.spans.push(span);
        }
    }
}
