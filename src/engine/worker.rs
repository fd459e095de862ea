//! One exporter's worker: takes batches from its own queue and delivers them, with retry
//! and backoff while running, a 413 answered by splitting, and a circuit breaker. At
//! shutdown it makes one attempt per batch and never waits on a breaker or a retry; what
//! is not delivered by the deadline goes to the spool, as do batches whose retries ran
//! out, that were refused for good, or that met an open breaker.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use super::breaker::Breaker;
use super::fanout::Lane;
use super::metrics::{ExporterMetrics, reason};
use super::oversize::{Oversize, after_413};
use super::retry;
use super::spooler::SpoolQueue;
use crate::export::{BoxFuture, Cause, Exporter, Outcome, Payload};

/// Where the engine is in its life; the workers watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// Shutting down: deliver what can be delivered until the deadline, spool the rest.
    Stopping {
        deadline: Instant,
    },
}

/// Batches one exporter delivers at once: while one waits for the provider's answer,
/// the others are encoded, on both export threads. (Three measured best on two cores:
/// `benches/engine.rs`.)
pub const IN_FLIGHT: usize = 3;
/// Threads of the export runtime, shared by every exporter's deliveries.
pub const EXPORT_THREADS: usize = 2;

pub struct Worker {
    pub exporter: Arc<dyn Exporter>,
    pub metrics: Arc<super::Metrics>,
    pub index: usize,
    pub retry: bool,
    pub phase: watch::Receiver<Phase>,
    pub breaker: Mutex<Breaker>,
    /// Where undelivered batches go (dropped, with their reason, when this exporter has
    /// no spool: telemetry, `test-export`).
    pub spool: SpoolQueue,
    /// Wakes the background delivery of the spool (see `recovery`) when deliveries
    /// succeed again, or for the first time; `None` without a spool.
    pub recovery: Option<Arc<Notify>>,
    pub delivered_once: AtomicBool,
}

/// Resolves once the engine is stopping and `after` has passed since its deadline.
pub async fn deadline_passed(mut phase: watch::Receiver<Phase>, after: Duration) {
    let deadline = loop {
        if let Phase::Stopping { deadline } = *phase.borrow_and_update() {
            break deadline;
        }
        if phase.changed().await.is_err() {
            return std::future::pending().await;
        }
    };
    tokio::time::sleep_until((deadline + after).into()).await;
}

impl Worker {
    fn stats(&self) -> &ExporterMetrics {
        &self.metrics.exporters[self.index]
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        // A poisoned lock only means a delivery panicked; the breaker's state is plain data.
        crate::sync::lock(&self.breaker)
    }

    fn stopping(&self) -> bool {
        *self.phase.borrow() != Phase::Running
    }

    fn past_deadline(&self) -> bool {
        matches!(*self.phase.borrow(), Phase::Stopping { deadline } if Instant::now() >= deadline)
    }

    /// A delivery went through: closes the breaker, and when the provider is back (or
    /// this is the run's first success) lets what waits in the spool follow.
    fn succeeded(&self) {
        let back = self.breaker().success();
        let first = !self.delivered_once.swap(true, Relaxed);
        if (back || first)
            && let Some(wake) = &self.recovery
        {
            wake.notify_one();
        }
    }

    fn failed(&self) {
        self.breaker().failure(Instant::now(), fastrand::f64());
    }

    fn keep(&self, payload: &Arc<Payload>, why: &'static str) {
        self.spool.keep(self.index, payload.clone(), why);
    }

    /// Takes batches from the lane while fewer than [`IN_FLIGHT`] are being delivered,
    /// each delivery a task of its own (so two batches are encoded on two threads).
    pub async fn run(self, mut lane: Lane) {
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut deliveries = JoinSet::new();
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let Some(batch) = lane.next().await else {
                break;
            };
            let worker = worker.clone();
            deliveries.spawn(async move {
                worker.deliver(batch, false).await;
                drop(slot);
            });
            while deliveries.try_join_next().is_some() {}
        }
        while deliveries.join_next().await.is_some() {}
    }

    /// Delivers the payload's spans, or keeps them for `flush` (or drops them) with a
    /// counted reason.
    fn deliver(&self, payload: Arc<Payload>, truncated: bool) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let count = payload.count() as u64;
            if self.past_deadline() {
                return self.keep(&payload, reason::SHUTDOWN);
            }
            if !self.breaker().allow(Instant::now()) {
                return self.keep(&payload, reason::BREAKER_OPEN);
            }
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                let sent_at = Instant::now();
                let deadline = deadline_passed(self.phase.clone(), Duration::ZERO);
                let outcome = tokio::select! {
                    outcome = self.exporter.export(payload.as_ref()) => outcome,
                    () = deadline => return self.keep(&payload, reason::SHUTDOWN),
                };
                self.stats().attempt(&outcome, sent_at.elapsed());
                match outcome {
                    Outcome::Delivered { .. } => {
                        self.succeeded();
                        self.stats().delivered_of(payload.signal(), count);
                        return;
                    }
                    Outcome::Permanent {
                        cause: Cause::Http(413),
                        ..
                    } => {
                        // The provider is up and answering: for the breaker, a success.
                        self.succeeded();
                        return self.split(&payload, truncated).await;
                    }
                    Outcome::Permanent { .. } => {
                        // Kept: the user may fix a key and `flush`.
                        self.failed();
                        return self.keep(&payload, reason::REJECTED);
                    }
                    Outcome::Retryable { retry_after, .. } => {
                        self.failed();
                        attempt += 1;
                        let wait = retry::wait(attempt, retry_after);
                        let give_up = if self.stopping() {
                            Some(reason::SHUTDOWN)
                        } else if !self.retry
                            || self.breaker().is_open()
                            || started.elapsed() + wait > retry::TOTAL_DEADLINE
                        {
                            Some(reason::RETRIES_EXHAUSTED)
                        } else {
                            None
                        };
                        if let Some(why) = give_up {
                            return self.keep(&payload, why);
                        }
                        self.stats().retries.fetch_add(1, Relaxed);
                        let mut phase = self.phase.clone();
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = phase.wait_for(|p| *p != Phase::Running) => {}
                        }
                        if self.stopping() {
                            return self.keep(&payload, reason::SHUTDOWN);
                        }
                        // Another delivery may have opened it while this one waited.
                        if self.breaker().is_open() {
                            return self.keep(&payload, reason::BREAKER_OPEN);
                        }
                    }
                }
            }
        })
    }

    /// A 413: halves are sent on their own; one span alone has its long values cut and
    /// is sent once more, then dropped with a count. One huge span never sinks a batch.
    /// Log records and metrics are not split: a provider that finds their batch too
    /// large loses it, counted.
    async fn split(&self, payload: &Payload, truncated: bool) {
        if payload.records().is_some() {
            let count = payload.count() as u64;
            return self
                .stats()
                .dropped_of(payload.signal(), count, reason::TOO_LARGE);
        }
        match after_413(payload.request(), truncated) {
            Oversize::Halves(left, right) => {
                self.deliver(Arc::new(left.into()), truncated).await;
                self.deliver(Arc::new(right.into()), truncated).await;
            }
            Oversize::Shrunk(smaller) => self.deliver(Arc::new(smaller.into()), true).await,
            Oversize::Drop => self.stats().drop_spans(1, reason::TOO_LARGE),
        }
    }
}

/// The runtime the deliveries run on: [`EXPORT_THREADS`] threads of its own, so
/// encoding and sending never compete with the batcher's thread.
pub fn export_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(EXPORT_THREADS)
        .thread_name("automagik-export")
        .enable_all()
        .build()
}
