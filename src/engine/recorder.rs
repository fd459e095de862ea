//! The engine's producer side: [`Recorder`], which any thread holds to hand spans to the
//! engine without blocking (bounded by count and by bytes; what does not fit is dropped
//! and counted), and what `run`'s whole-trace sampling asks of the queue's bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::sync::mpsc;

use super::intake::{self, Intake};
use super::metrics::Metrics;
use super::records::QueuedRecords;
use crate::span::Span;

/// A queued span and its estimated size (counted in the byte bound until every payload
/// made of it is gone).
pub(super) struct Queued {
    pub(super) span: Span,
    pub(super) size: u64,
}

/// The cheap, clonable producer side.
#[derive(Clone)]
pub struct Recorder {
    pub(super) tx: mpsc::Sender<Queued>,
    pub(super) records_tx: mpsc::Sender<QueuedRecords>,
    pub(super) queued_bytes: Arc<AtomicU64>,
    pub(super) max_bytes: u64,
    pub(super) intake: Arc<Intake>,
    pub(super) metrics: Arc<Metrics>,
}

impl Recorder {
    /// Hands a span to the engine. Never blocks and never fails: a span that does not fit
    /// (by count or bytes) is dropped and counted, the newest first.
    ///
    /// Sampling here is head sampling ([`Intake::keep`]): by trace id, plus every span
    /// that failed or was slow, so a failed span of an unsampled trace arrives without
    /// its parents. `run` holds whole traces and decides each once (`wrap::sampling`).
    pub fn record(&self, span: Span) {
        if !self.intake.keep(&span) {
            self.metrics.sampled_out.fetch_add(1, Relaxed);
            return;
        }
        self.enqueue(span, &mut 0);
    }

    /// Hands on a span whose trace the caller has decided to keep (`run`'s whole-trace
    /// sampling): as [`Recorder::record`], without the head decision.
    pub fn record_sampled(&self, span: Span) {
        self.enqueue(span, &mut 0);
    }

    /// [`Recorder::record_sampled`] of a span whose room in the byte budget was taken
    /// ahead ([`Recorder::reserve`], by the wrapper's receiver before it decoded the
    /// span): its size comes out of `held` (what is left of that room) first, so no other
    /// producer can take the room between. The caller gives back what is left of `held`.
    pub(crate) fn record_held(&self, span: Span, held: &mut u64) {
        self.enqueue(span, held);
    }

    fn enqueue(&self, mut span: Span, held: &mut u64) {
        let cut = self.intake.truncate(&mut span);
        if cut > 0 {
            self.metrics.truncated_values.fetch_add(cut as u64, Relaxed);
        }
        let size = intake::approx_size(&span) as u64;
        let ahead = size.min(*held);
        *held -= ahead;
        if size > ahead && !self.reserve(size - ahead) {
            self.release(ahead);
            self.metrics.dropped_queue_full.fetch_add(1, Relaxed);
            return;
        }
        match self.tx.try_send(Queued { span, size }) {
            Ok(()) => {
                self.metrics.queued.fetch_add(1, Relaxed);
            }
            Err(_) => {
                self.queued_bytes.fetch_sub(size, Relaxed);
                self.metrics.dropped_queue_full.fetch_add(1, Relaxed);
            }
        }
    }

    /// Counts the model calls among `spans` (calls, tokens, cost) in the run's figures.
    /// Apart from [`Recorder::record`], whose hot path stays free of it: the wrapper counts
    /// what its receiver takes in, before sampling (a call costs whether it is kept or not).
    /// `meanings[i]` is what `spans[i]` means (read once by the caller, who needs it too).
    pub fn count_gen_ai(&self, spans: &[Span], meanings: &[crate::semantic::MeaningRef<'_>]) {
        crate::sync::lock(&self.metrics.gen_ai).observe_read(spans, meanings);
    }
}

/// What `run`'s whole-trace sampling (`wrap::sampling`) needs of the engine: its rules, and
/// its bounds, so spans held for a decision count in the same byte budget as the queue.
impl Recorder {
    /// The sampling rules spans are recorded with.
    pub(crate) fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The queue's bound by count.
    pub(crate) fn max_spans(&self) -> usize {
        self.tx.max_capacity()
    }

    /// Takes `bytes` of the queue's byte budget for spans held outside it; `false` (and
    /// nothing taken) when they do not fit.
    pub(crate) fn reserve(&self, bytes: u64) -> bool {
        if self.queued_bytes.fetch_add(bytes, Relaxed) + bytes > self.max_bytes {
            self.queued_bytes.fetch_sub(bytes, Relaxed);
            return false;
        }
        true
    }

    /// Gives back what [`Recorder::reserve`] took.
    pub(crate) fn release(&self, bytes: u64) {
        self.queued_bytes.fetch_sub(bytes, Relaxed);
    }

    /// What the queue has room for now: read, not reserved (the receiver asks a sender to
    /// retry a request that will not fit, rather than take it in and drop its spans).
    pub(crate) fn room(&self) -> Room {
        Room {
            bytes: self
                .max_bytes
                .saturating_sub(self.queued_bytes.load(Relaxed)),
            max_bytes: self.max_bytes,
            spans: self.tx.capacity(),
        }
    }

    /// Counts spans a caller's sampling left out.
    pub(crate) fn count_sampled_out(&self, spans: u64) {
        self.metrics.sampled_out.fetch_add(spans, Relaxed);
    }

    /// Counts spans decided by trace id alone because they could not be held.
    pub(crate) fn count_sampled_without_holding(&self, spans: u64) {
        self.metrics
            .sampled_without_holding
            .fetch_add(spans, Relaxed);
    }
}

/// The queue's room at one moment ([`Recorder::room`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Room {
    /// Bytes left under the byte cap (spans held for sampling and payloads in flight count).
    pub bytes: u64,
    /// The byte cap ([`EngineOptions::queue_max_bytes`]).
    pub max_bytes: u64,
    /// Spans the queue takes before its count bound.
    pub spans: usize,
}
