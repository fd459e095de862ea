//! The spooler: a thread of its own that writes what the exporters could not deliver to
//! their spools, so a disk sync never stalls the batcher or the export threads. It takes
//! everything waiting at once and syncs each spool once for all of it (a group commit);
//! spans count as spooled only after that sync. The thread starts with the first batch
//! handed over: a run whose spans are all delivered (`run --wrap true` to the local
//! store) never starts it, nor waits for it to end.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
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

/// The way to the spooler thread, which starts with the first batch.
enum Lane {
    /// Nothing handed over yet: the writers wait here for the thread.
    Idle(Vec<Option<SpoolWriter>>),
    /// The thread runs; `done` answers once it has written everything and ended.
    Open {
        tx: SyncSender<Job>,
        done: Receiver<()>,
    },
    /// Finished, or the thread could not start: batches are counted as dropped.
    Closed,
}

/// What every queue handle shares.
struct Shared {
    has_spool: Vec<bool>,
    metrics: Arc<Metrics>,
    lane: Mutex<Lane>,
}

/// The producers' side: cheap to clone, one per worker.
#[derive(Clone)]
pub struct SpoolQueue {
    shared: Arc<Shared>,
}

impl SpoolQueue {
    /// Keeps an undelivered batch for `flush`; without a spool for this exporter (or when
    /// the spooler is gone) its spans are counted as dropped, reason `why`.
    pub fn keep(&self, exporter: usize, payload: Arc<Payload>, why: &'static str) {
        let job = Job {
            exporter,
            payload,
            why,
        };
        if self.shared.has_spool[exporter]
            && let Some(tx) = self.sender()
        {
            // Outside the lock: a full queue makes this caller wait, not the others.
            match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => return self.drop_job(&job),
            }
        }
        self.drop_job(&job);
    }

    /// A sender to the thread, started now if this is the first batch; `None` once
    /// finished or when no thread could start.
    fn sender(&self) -> Option<SyncSender<Job>> {
        let mut lane = crate::sync::lock(&self.shared.lane);
        if matches!(*lane, Lane::Idle(_)) {
            *lane = match std::mem::replace(&mut *lane, Lane::Closed) {
                Lane::Idle(writers) => start_thread(writers, self.shared.metrics.clone())
                    .map_or(Lane::Closed, |(tx, done)| Lane::Open { tx, done }),
                other => other,
            };
        }
        match &*lane {
            Lane::Open { tx, .. } => Some(tx.clone()),
            Lane::Idle(_) | Lane::Closed => None,
        }
    }

    fn drop_job(&self, job: &Job) {
        let (signal, count) = (job.payload.signal(), job.payload.count() as u64);
        self.shared.metrics.exporters[job.exporter].dropped_of(signal, count, job.why);
    }
}

/// The spooler thread (once started) and the queue to it.
pub struct Spooler {
    queue: SpoolQueue,
}

impl Spooler {
    /// One writer per exporter, `None` where nothing is kept (telemetry, `test-export`).
    /// Starts no thread: the first batch handed over does.
    pub fn start(writers: Vec<Option<SpoolWriter>>, metrics: Arc<Metrics>) -> Spooler {
        let has_spool = writers.iter().map(Option::is_some).collect::<Vec<_>>();
        let lane = if has_spool.iter().any(|h| *h) {
            Lane::Idle(writers)
        } else {
            Lane::Closed
        };
        Spooler {
            queue: SpoolQueue {
                shared: Arc::new(Shared {
                    has_spool,
                    metrics,
                    lane: Mutex::new(lane),
                }),
            },
        }
    }

    pub fn queue(&self) -> SpoolQueue {
        self.queue.clone()
    }

    /// Whether the thread was started (something was handed over).
    #[cfg(test)]
    pub fn started(&self) -> bool {
        matches!(
            *crate::sync::lock(&self.queue.shared.lane),
            Lane::Open { .. }
        )
    }

    /// Closes the queue and waits for what was handed over to be written, at most until
    /// `deadline` (whatever is not written by then stays counted as pending). Without a
    /// thread started there is nothing to wait for.
    pub fn finish(self, deadline: Instant) {
        let lane = std::mem::replace(
            &mut *crate::sync::lock(&self.queue.shared.lane),
            Lane::Closed,
        );
        let Lane::Open { tx, done } = lane else {
            return;
        };
        // The thread ends once the senders still sending are done too.
        drop(tx);
        let wait = deadline.saturating_duration_since(Instant::now());
        match done.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Starts the thread with its queue; `None` when the system refuses a thread.
fn start_thread(
    writers: Vec<Option<SpoolWriter>>,
    metrics: Arc<Metrics>,
) -> Option<(SyncSender<Job>, Receiver<()>)> {
    let (tx, rx) = mpsc::sync_channel(QUEUE_BATCHES);
    let (done_tx, done) = mpsc::channel();
    thread::Builder::new()
        .name("automagik-spooler".into())
        .spawn(move || {
            write_jobs(rx, writers, &metrics);
            let _ = done_tx.send(());
        })
        .ok()?;
    Some((tx, done))
}

/// The thread: group commits until [`Spooler::finish`] closes the queue. Whenever nothing is
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::Relaxed;
    use std::time::Duration;

    use super::*;
    use crate::engine::metrics::ExporterMetrics;
    use crate::engine::spool::DestinationKey;
    use crate::engine::tests::span;
    use crate::span::to_request;

    fn spooler_in(dir: &std::path::Path) -> (Spooler, Arc<Metrics>) {
        let metrics = Arc::new(Metrics {
            exporters: vec![ExporterMetrics::new("otlp", "http://127.0.0.1:9")],
            ..Default::default()
        });
        let writer = SpoolWriter::new(
            dir.join("otlp"),
            1 << 30,
            DestinationKey::new("otlp", "http://127.0.0.1:9", ""),
        );
        (Spooler::start(vec![Some(writer)], metrics.clone()), metrics)
    }

    fn payload(spans: usize) -> Arc<Payload> {
        let spans: Vec<_> = (0..spans).map(|i| span(&format!("s{i}"))).collect();
        Arc::new(Payload::new(to_request(&spans)))
    }

    #[test]
    fn the_thread_starts_with_the_first_batch_and_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (spooler, metrics) = spooler_in(dir.path());
        assert!(!spooler.started(), "nothing handed over, no thread");
        let queue = spooler.queue();
        queue.keep(0, payload(3), reason::SHUTDOWN);
        assert!(spooler.started());
        queue.keep(0, payload(2), reason::SHUTDOWN);
        spooler.finish(Instant::now() + Duration::from_secs(10));
        assert_eq!(metrics.exporters[0].spooled.load(Relaxed), 5);
        assert!(dir.path().join("otlp").read_dir().unwrap().next().is_some());
    }

    #[test]
    fn finishing_without_a_batch_writes_nothing_and_later_batches_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (spooler, metrics) = spooler_in(dir.path());
        let queue = spooler.queue();
        spooler.finish(Instant::now() + Duration::from_secs(10));
        assert!(!dir.path().join("otlp").exists());
        queue.keep(0, payload(4), reason::SHUTDOWN);
        assert_eq!(metrics.exporters[0].spooled.load(Relaxed), 0);
        let run = metrics.snapshot(Duration::ZERO);
        assert_eq!(run.exporters[0].dropped.get(reason::SHUTDOWN), Some(&4));
    }
}
