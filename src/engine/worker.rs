//! One exporter's worker: takes batches from its own queue and delivers them, with retry
//! and backoff while running, a 413 answered by splitting, and a circuit breaker. At
//! shutdown it makes one attempt per batch and never waits on a breaker or a retry.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use super::breaker::Breaker;
use super::metrics::{ExporterMetrics, reason};
use super::retry;
use crate::export::{BoxFuture, Cause, Exporter, Outcome};
use crate::span::{shrink_values, span_count, split_request};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

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

    pub async fn run(mut self, mut batches: mpsc::Receiver<Arc<Request>>) {
        while let Some(batch) = batches.recv().await {
            self.deliver(&batch, false).await;
        }
    }

    /// Delivers the request's spans or drops them with a counted reason.
    fn deliver<'a>(&'a mut self, request: &'a Request, truncated: bool) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let count = span_count(request) as u64;
            if !self.breaker.allow(Instant::now()) {
                self.stats().drop_spans(count, reason::BREAKER_OPEN);
                return;
            }
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                let sent_at = Instant::now();
                let outcome = self.exporter.export(request).await;
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
                        return self.split(request, truncated).await;
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
    async fn split(&mut self, request: &Request, truncated: bool) {
        if span_count(request) > 1 {
            let (left, right) = split_request(request);
            self.deliver(&left, truncated).await;
            self.deliver(&right, truncated).await;
        } else if truncated {
            self.stats().drop_spans(1, reason::TOO_LARGE);
        } else {
            let mut smaller = request.clone();
            shrink_values(&mut smaller, OVERSIZED_SPAN_VALUE_LIMIT);
            self.deliver(&smaller, true).await;
        }
    }
}
