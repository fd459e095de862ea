//! One exporter's worker: takes batches from its own queue and delivers them, with retry
//! and backoff while running, a 413 answered by splitting, and a circuit breaker. At
//! shutdown it makes one attempt per batch and never waits on a breaker or a retry.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use super::breaker::Breaker;
use super::intake::truncate_string;
use super::metrics::{ExporterMetrics, reason};
use super::retry;
use crate::export::{BoxFuture, Cause, Exporter, Outcome};
use crate::span::{Span, Value, to_request};

/// The largest a string value may stay in a span that is too large on its own.
const OVERSIZED_SPAN_VALUE_LIMIT: usize = 4 * 1024;

pub struct Worker {
    pub exporter: Arc<dyn Exporter>,
    pub metrics: Arc<super::Metrics>,
    pub index: usize,
    pub retry: bool,
    pub shutting_down: watch::Receiver<bool>,
    pub breaker: Breaker,
}

impl Worker {
    fn stats(&self) -> &ExporterMetrics {
        &self.metrics.exporters[self.index]
    }

    fn stopping(&self) -> bool {
        *self.shutting_down.borrow()
    }

    pub async fn run(mut self, mut batches: mpsc::Receiver<Arc<Vec<Span>>>) {
        while let Some(batch) = batches.recv().await {
            self.deliver(&batch, false).await;
        }
    }

    /// Delivers `spans` or drops them with a counted reason.
    fn deliver<'a>(&'a mut self, spans: &'a [Span], truncated: bool) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let count = spans.len() as u64;
            if !self.breaker.allow(Instant::now()) {
                self.stats().drop_spans(count, reason::BREAKER_OPEN);
                return;
            }
            let request = to_request(spans);
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                let sent_at = Instant::now();
                let outcome = self.exporter.export(&request).await;
                self.stats().attempt(&outcome, sent_at.elapsed());
                match outcome {
                    Outcome::Delivered { .. } => {
                        self.breaker.success();
                        self.stats().delivered(count);
                        return;
                    }
                    Outcome::Permanent {
                        cause: Cause::Http(413),
                        ..
                    } => {
                        // Not the provider's fault: the breaker is not told.
                        return self.split(spans, truncated).await;
                    }
                    Outcome::Permanent { .. } => {
                        self.breaker.failure(Instant::now());
                        self.stats().drop_spans(count, reason::REJECTED);
                        return;
                    }
                    Outcome::Retryable { retry_after, .. } => {
                        self.breaker.failure(Instant::now());
                        attempt += 1;
                        let wait = retry::wait(attempt, retry_after);
                        let give_up = if self.stopping() {
                            Some(reason::SHUTDOWN)
                        } else if !self.retry
                            || self.breaker.is_open()
                            || started.elapsed() + wait > retry::TOTAL_DEADLINE
                        {
                            Some(reason::RETRIES_EXHAUSTED)
                        } else {
                            None
                        };
                        if let Some(why) = give_up {
                            self.stats().drop_spans(count, why);
                            return;
                        }
                        self.stats().retries.fetch_add(1, Relaxed);
                        let mut stop = self.shutting_down.clone();
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = stop.wait_for(|s| *s) => {}
                        }
                        if self.stopping() {
                            self.stats().drop_spans(count, reason::SHUTDOWN);
                            return;
                        }
                    }
                }
            }
        })
    }

    /// A 413: halves are sent on their own; one span alone has its long values cut and
    /// is sent once more, then dropped with a count. One huge span never sinks a batch.
    async fn split(&mut self, spans: &[Span], truncated: bool) {
        if spans.len() > 1 {
            let (left, right) = spans.split_at(spans.len() / 2);
            self.deliver(left, truncated).await;
            self.deliver(right, truncated).await;
        } else if truncated {
            self.stats().drop_spans(1, reason::TOO_LARGE);
        } else {
            let mut span = spans[0].clone();
            shrink(&mut span);
            self.deliver(std::slice::from_ref(&span), true).await;
        }
    }
}

/// Cuts every string value of the span to a few KiB.
fn shrink(span: &mut Span) {
    fn cut(value: &mut Value) {
        match value {
            Value::Str(s) if s.len() > OVERSIZED_SPAN_VALUE_LIMIT => {
                truncate_string(s, OVERSIZED_SPAN_VALUE_LIMIT)
            }
            Value::Bytes(b) => b.truncate(OVERSIZED_SPAN_VALUE_LIMIT),
            Value::Array(items) => items.iter_mut().for_each(cut),
            Value::Map(entries) => entries.iter_mut().for_each(|a| cut(&mut a.value)),
            _ => {}
        }
    }
    span.attributes.iter_mut().for_each(|a| cut(&mut a.value));
    for event in &mut span.events {
        event.attributes.iter_mut().for_each(|a| cut(&mut a.value));
    }
}
