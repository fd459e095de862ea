//! The spooler: a thread of its own that writes what the exporters could not deliver to
//! their spools, so a disk sync never stalls the batcher or the export threads. It takes everything waiting at once and syncs each spool
//! once for all of it (a group commit); spans count as spooled only after that sync.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::Instant;

use super::Metrics;
use super::metrics::reason;
use super::spool::SpoolWriter;
use crate::export::Payload;

/// Batches waiting for the spooler before those who hand over more wait for it.
const QUEUE_BATCHES: usize = 64;

struct Job {
    exporter: usize,
    payload: Arc<Payload>,
    why: &'static str,
}

/// The producers' side: cheap to clone, one per worker.
#[derive(Clone)]
pub struct SpoolQueue {
    tx: Option<SyncSender<Job>>,
    has_spool: Arc<Vec<bool>>,
    metrics: Arc<Metrics>,
}

impl SpoolQueue {
    /// Keeps an undelivered batch for `flush`; without a spool for this exporter (or when
    /// the spooler is gone) its spans are counted as dropped, reason `why`.
    pub fn keep(&self, exporter: usize, payload: Arc<Payload>, why: &'static str) {
        if self.has_spool[exporter]
            && let Some(tx) = &self.tx
        {
            match tx.send(Job {
                exporter,
                payload,
                why,
            }) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => return self.drop_job(&job),
            }
        }
        let (signal, count) = (payload.signal(), payload.count() as u64);
        self.metrics.exporters[exporter].dropped_of(signal, count, why);
    }

    fn drop_job(&self, job: &Job) {
        let (signal, count) = (job.payload.signal(), job.payload.count() as u64);
        self.metrics.exporters[job.exporter].dropped_of(signal, count, job.why);
    }
}

/// The spooler thread and the queue to it.
pub struct Spooler {
    queue: SpoolQueue,
    done: Option<Receiver<()>>,
}

impl Spooler {
    /// One writer per exporter, `None` where nothing is kept (telemetry, `test-export`).
    /// Starts no thread when no exporter has a spool.
    pub fn start(writers: Vec<Option<SpoolWriter>>, metrics: Arc<Metrics>) -> Spooler {
        let has_spool = Arc::new(writers.iter().map(Option::is_some).collect::<Vec<_>>());
        if !has_spool.iter().any(|h| *h) {
            return Spooler {
                queue: SpoolQueue {
                    tx: None,
                    has_spool,
                    metrics,
                },
                done: None,
            };
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE_BATCHES);
        let (done_tx, done) = mpsc::channel();
        let thread_metrics = metrics.clone();
        let started = thread::Builder::new()
            .name("automagik-spooler".into())
            .spawn(move || {
                write_jobs(rx, writers, &thread_metrics);
                let _ = done_tx.send(());
            });
        Spooler {
            queue: SpoolQueue {
                tx: started.is_ok().then_some(tx),
                has_spool,
                metrics,
            },
            done: Some(done),
        }
    }

    pub fn queue(&self) -> SpoolQueue {
        self.queue.clone()
    }

    /// Closes the queue and waits for what was handed over to be written, at most until
    /// `deadline` (whatever is not written by then stays counted as pending).
    pub fn finish(mut self, deadline: Instant) {
        self.queue.tx = None;
        if let Some(done) = self.done.take() {
            let wait = deadline.saturating_duration_since(Instant::now());
            match done.recv_timeout(wait) {
                Ok(()) | Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// The thread: group commits until every queue handle is gone. Whenever nothing is
/// waiting, the writers let go of their segments, so the background delivery of a
/// provider that is back can take them.
fn write_jobs(rx: Receiver<Job>, mut writers: Vec<Option<SpoolWriter>>, metrics: &Metrics) {
    loop {
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(_) => {
                writers.iter_mut().flatten().for_each(SpoolWriter::release);
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        let mut jobs = vec![first];
        while jobs.len() < QUEUE_BATCHES
            && let Ok(job) = rx.try_recv()
        {
            jobs.push(job);
        }
        for (exporter, writer) in writers.iter_mut().enumerate() {
            let mine: Vec<&Job> = jobs.iter().filter(|j| j.exporter == exporter).collect();
            let Some(writer) = writer.as_mut().filter(|_| !mine.is_empty()) else {
                continue;
            };
            let stats = &metrics.exporters[exporter];
            let payloads: Vec<&Payload> = mine.iter().map(|j| j.payload.as_ref()).collect();
            match writer.append_all(&payloads) {
                Ok(appended) => {
                    stats.spool_spans(appended.spans);
                    for records in payloads.iter().filter(|p| p.records().is_some()) {
                        stats.spooled_of(records.signal(), records.count() as u64);
                    }
                    stats.count_dropped(appended.evicted_spans, reason::SPOOL_FULL);
                }
                Err(err) => {
                    stats.spool_failed(&err);
                    for payload in &payloads {
                        let count = payload.count() as u64;
                        stats.dropped_of(payload.signal(), count, reason::SPOOL_FAILED);
                    }
                }
            }
        }
    }
}
