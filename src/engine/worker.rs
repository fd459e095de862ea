//! One exporter's worker: takes batches from its own queue and delivers them, with retry
//! and backoff while running, a 413 answered by splitting, and a circuit breaker. At
//! shutdown it makes one attempt per batch and never waits on a breaker or a retry; what
//! is not delivered by the deadline goes to the spool, as do batches whose retries ran
//! out, that were refused for good, or that met an open breaker.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use super::breaker::Breaker;
use super::metrics::{ExporterMetrics, reason};
use super::oversize::{Oversize, after_413};
use super::retry;
use super::spooler::SpoolQueue;
use crate::export::{BoxFuture, Cause, Exporter, Outcome};
use crate::span::span_count;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

/// Where the engine is in its life; the workers watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// Shutting down: deliver what can be delivered until the deadline, spool the rest.
    Stopping {
        deadline: Instant,
    },
}

pub struct Worker {
    pub exporter: Arc<dyn Exporter>,
    pub metrics: Arc<super::Metrics>,
    pub index: usize,
    pub retry: bool,
    pub phase: watch::Receiver<Phase>,
    pub breaker: Breaker,
    /// Where undelivered batches go (dropped, with their reason, when this exporter has
    /// no spool: telemetry, `test-export`).
    pub spool: SpoolQueue,
}

/// Resolves once the engine is stopping and its deadline has passed.
async fn deadline_passed(mut phase: watch::Receiver<Phase>) {
    let deadline = loop {
        if let Phase::Stopping { deadline } = *phase.borrow_and_update() {
            break deadline;
        }
        if phase.changed().await.is_err() {
            return std::future::pending().await;
        }
    };
    tokio::time::sleep_until(deadline.into()).await;
}

impl Worker {
    fn stats(&self) -> &ExporterMetrics {
        &self.metrics.exporters[self.index]
    }

    fn stopping(&self) -> bool {
        *self.phase.borrow() != Phase::Running
    }

    fn past_deadline(&self) -> bool {
        matches!(*self.phase.borrow(), Phase::Stopping { deadline } if Instant::now() >= deadline)
    }

    fn keep(&self, request: &Arc<Request>, why: &'static str) {
        self.spool.keep(self.index, request.clone(), why);
    }

    pub async fn run(mut self, mut batches: mpsc::Receiver<Arc<Request>>) {
        while let Some(batch) = batches.recv().await {
            self.deliver(batch, false).await;
        }
    }

    /// Delivers the request's spans, or keeps them for `flush` (or drops them) with a
    /// counted reason.
    fn deliver(&mut self, request: Arc<Request>, truncated: bool) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let request = &request;
            let count = span_count(request) as u64;
            if self.past_deadline() {
                return self.keep(request, reason::SHUTDOWN);
            }
            if !self.breaker.allow(Instant::now()) {
                return self.keep(request, reason::BREAKER_OPEN);
            }
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                let sent_at = Instant::now();
                let deadline = deadline_passed(self.phase.clone());
                let outcome = tokio::select! {
                    outcome = self.exporter.export(request.as_ref()) => outcome,
                    () = deadline => return self.keep(request, reason::SHUTDOWN),
                };
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
                        // Kept: the user may fix a key and `flush`.
                        self.breaker.failure(Instant::now());
                        return self.keep(request, reason::REJECTED);
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
                            return self.keep(request, why);
                        }
                        self.stats().retries.fetch_add(1, Relaxed);
                        let mut phase = self.phase.clone();
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = phase.wait_for(|p| *p != Phase::Running) => {}
                        }
                        if self.stopping() {
                            return self.keep(request, reason::SHUTDOWN);
                        }
                    }
                }
            }
        })
    }

    /// A 413: halves are sent on their own; one span alone has its long values cut and
    /// is sent once more, then dropped with a count. One huge span never sinks a batch.
    async fn split(&mut self, request: &Request, truncated: bool) {
        match after_413(request, truncated) {
            Oversize::Halves(left, right) => {
                self.deliver(Arc::new(left), truncated).await;
                self.deliver(Arc::new(right), truncated).await;
            }
            Oversize::Shrunk(smaller) => self.deliver(Arc::new(smaller), true).await,
            Oversize::Drop => self.stats().drop_spans(1, reason::TOO_LARGE),
        }
    }
}
