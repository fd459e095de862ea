//! The engine's thread: the batcher gathers recorded spans (and log records and metrics)
//! into batches, has the export threads convert them once per mask mode (up to
//! [`convert::CONVERTING`] at once), and hands them to each exporter's lane in order; it
//! also owns the export runtime's lifetime, and at shutdown the spooling of what is left
//! within the deadline.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::convert::{self, Converter};
use super::exports::Exports;
use super::fanout::{self, FanOut};
use super::metrics::{Metrics, reason};
use super::records::QueuedRecords;
use super::spool::SpoolWriter;
use super::spooler::{SpoolQueue, Spooler};
use super::worker::Phase;
use super::{EngineOptions, INTAKE_LINGER, Queued, SPOOL_GRACE, masking, recovery};
use crate::export::{Budget, Exporter, Records};
use crate::presets::Signals;
use crate::span::Span;

/// What runs on the engine's thread: the batcher, and the export runtime's lifetime.
pub(super) struct Background {
    pub(super) exporters: Vec<Arc<dyn Exporter>>,
    /// The signals each exporter takes, in exporter order.
    pub(super) accepts: Vec<Signals>,
    pub(super) masks: Arc<masking::MaskGroups>,
    pub(super) options: EngineOptions,
    pub(super) metrics: Arc<Metrics>,
    pub(super) queued_bytes: Arc<AtomicU64>,
    pub(super) phase: Arc<watch::Sender<Phase>>,
}

/// Moves a running engine to stopping with this deadline (a second call changes nothing)
/// and returns the deadline in force.
pub(super) fn begin_stopping(phase: &watch::Sender<Phase>, deadline: Instant) -> Instant {
    phase.send_if_modified(|now| {
        let running = *now == Phase::Running;
        if running {
            *now = Phase::Stopping { deadline };
        }
        running
    });
    match *phase.borrow() {
        Phase::Stopping { deadline: in_force } => in_force,
        Phase::Running => deadline,
    }
}

impl Background {
    /// The batcher, on this thread; the conversion of its batches and the exporters'
    /// deliveries on the export runtime's threads, so converting one batch overlaps with
    /// encoding and sending others, and the batcher's thread is mostly idle. The export
    /// threads start with the first batch ([`Exports`]).
    pub(super) fn run(self, spans: mpsc::Receiver<Queued>, records: mpsc::Receiver<QueuedRecords>) {
        warm_cpu_features();
        for exporter in &self.exporters {
            exporter.prepare();
        }
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.enable_time();
        // The IO driver (an epoll instance and its waker) only for exporters that open
        // sockets: their workers run here when the engine stops before its first batch.
        if self.exporters.iter().any(|e| e.uses_sockets()) {
            builder.enable_io();
        }
        let Ok(runtime) = builder.build() else {
            return;
        };
        let spooler = Spooler::start(self.spool_writers(), self.metrics.clone());
        let phase_rx = self.phase.subscribe();
        let pressure = fanout::Pressure {
            held: self.queued_bytes.clone(),
            max: self.options.queue_max_bytes,
        };
        let (fan_out, lanes) = FanOut::new(
            self.exporters.len(),
            spooler.queue(),
            phase_rx.clone(),
            pressure,
        );
        let queues = Queues {
            spans,
            records,
            records_open: true,
        };
        let out = Outbox {
            fan_out,
            converter: Converter::new(self.masks.clone(), self.encoded_ahead(), None),
            converting: VecDeque::new(),
            exports: Exports::NotYet(lanes),
            spool: spooler.queue(),
        };
        let (deadline, exports) =
            runtime.block_on(self.batch_until_stopped(queues, out, phase_rx.clone()));
        match exports {
            Exports::Threads(exports, mut tasks) => {
                runtime.shutdown_background();
                exports.block_on(tasks.finish(phase_rx));
                exports.shutdown_background();
            }
            Exports::Batcher(mut tasks) => {
                runtime.block_on(tasks.finish(phase_rx));
                runtime.shutdown_background();
            }
            Exports::NotYet(_) => runtime.shutdown_background(),
        }
        spooler.finish(deadline + SPOOL_GRACE);
    }

    /// Per mask group: whether every exporter of it sends the body only, so its payload
    /// is encoded as it is converted ([`Converter`]).
    pub(super) fn encoded_ahead(&self) -> Vec<bool> {
        self.masks
            .exporters()
            .map(|group| group.iter().all(|&i| self.exporters[i].sends_body_only()))
            .collect()
    }

    /// One spool writer per exporter (none without a spool dir).
    fn spool_writers(&self) -> Vec<Option<SpoolWriter>> {
        self.exporters
            .iter()
            .map(|exporter| {
                let root = self.options.spool_dir.as_ref()?;
                Some(SpoolWriter::new(
                    root.join(exporter.name()),
                    self.options.spool_max_bytes,
                    recovery::destination_of(&self.options, exporter.as_ref()),
                ))
            })
            .collect()
    }

    /// The batching loop: takes spans (and log records and metrics) until the engine
    /// stops, then hands on what is left and returns the shutdown deadline in force, and
    /// where the workers run.
    async fn batch_until_stopped(
        &self,
        mut queues: Queues,
        mut out: Outbox,
        mut stop: watch::Receiver<Phase>,
    ) -> (Instant, Exports) {
        let mut batch = Batch::default();
        let spans = &mut queues.spans;
        let deadline = loop {
            let flush_at = batch.first_at.map(|t| t + self.options.batch_timeout);
            tokio::select! {
                biased;
                phase = stop.wait_for(|p| *p != Phase::Running) => {
                    let deadline = match phase.map(|p| *p) {
                        Ok(Phase::Stopping { deadline }) => deadline,
                        _ => Instant::now(),
                    };
                    // More than a batch left starts the export threads, as a batch sent
                    // while running does; less is sent from here.
                    let left = spans.len() + queues.records.len();
                    self.start_exports(&mut out, left >= self.options.batch_max_spans);
                    spans.close();
                    while let Ok(item) = spans.try_recv() {
                        self.add(&mut batch, item, &mut out).await;
                    }
                    queues.records.close();
                    while let Ok(item) = queues.records.try_recv() {
                        self.add_records(&mut batch, item, &mut out).await;
                    }
                    break deadline;
                }
                Some(done) = out.next_converted(), if !out.converting.is_empty() => {
                    self.hand_on(done, &out.fan_out).await;
                }
                item = spans.recv() => match item {
                    Some(item) => {
                        self.take_waiting(item, spans, &mut batch, &mut out).await;
                        // Spans are taken first (`biased`): under a steady stream of
                        // them, the records waiting are taken here, or they would wait
                        // for a lull (a lock-free check when there are none).
                        while let Ok(item) = queues.records.try_recv() {
                            self.add_records(&mut batch, item, &mut out).await;
                        }
                    }
                    None => break begin_stopping(&self.phase, Instant::now() + Duration::from_secs(1)),
                },
                item = queues.records.recv(), if queues.records_open => match item {
                    Some(item) => self.add_records(&mut batch, item, &mut out).await,
                    None => queues.records_open = false,
                },
                _ = sleep_until(flush_at), if flush_at.is_some() => {
                    self.dispatch(&mut batch, &mut out).await;
                }
            }
        };
        // Every recorder gone ends the loop without a stop: the workers start now.
        self.start_exports(&mut out, false);
        // At the deadline the workers spool what they hold and what is queued.
        self.dispatch(&mut batch, &mut out).await;
        while let Some(done) = out.next_converted().await {
            self.hand_on(done, &out.fan_out).await;
        }
        // The lanes close with the fan-out: the workers end once they are empty.
        (deadline, out.exports)
    }

    /// Adds `first` and what else is waiting (a batch's worth at most, so a stop is
    /// seen in time); once the queue is empty, lets spans gather for [`INTAKE_LINGER`].
    async fn take_waiting(
        &self,
        first: Queued,
        spans: &mut mpsc::Receiver<Queued>,
        batch: &mut Batch,
        out: &mut Outbox,
    ) {
        self.add(batch, first, out).await;
        for _ in 1..self.options.batch_max_spans {
            match spans.try_recv() {
                Ok(item) => self.add(batch, item, out).await,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // A stop ends the linger at once: every shutdown would otherwise
                    // wait it out (`run --wrap true` pays it in wall time).
                    let mut phase = self.phase.subscribe();
                    tokio::select! {
                        () = tokio::time::sleep(INTAKE_LINGER) => {}
                        _ = phase.wait_for(|p| *p != Phase::Running) => {}
                    }
                    return;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => return,
            }
        }
    }

    async fn add(&self, batch: &mut Batch, item: Queued, out: &mut Outbox) {
        batch.first_at.get_or_insert_with(Instant::now);
        if batch.spans.capacity() == 0 {
            // Room for a whole batch at once (of the default size at most, whatever a
            // library user sets): grown span by span, the vector would be copied nine
            // times over on its way to 512.
            let room = self.options.batch_max_spans.min(super::BATCH_MAX_SPANS);
            batch.spans.reserve_exact(room);
        }
        batch.bytes += item.size as usize;
        batch.spans.push(item.span);
        if batch.spans.len() >= self.options.batch_max_spans
            || batch.bytes >= self.options.batch_max_bytes
        {
            self.dispatch(batch, out).await;
        }
    }

    /// Has the batch masked and converted on the export threads (once per mask mode,
    /// moving, not copying, for the last: `masking`, `convert`); with
    /// [`convert::CONVERTING`] batches already converting, first waits for the oldest and
    /// hands it on.
    async fn dispatch(&self, batch: &mut Batch, out: &mut Outbox) {
        if !batch.spans.is_empty() || batch.records.iter().any(Option::is_some) {
            self.start_exports(out, true);
        }
        for slot in &mut batch.records {
            if let Some((records, bytes)) = slot.take() {
                self.dispatch_records(records, bytes, &out.fan_out).await;
            }
        }
        if batch.spans.is_empty() {
            batch.first_at = None;
            return;
        }
        let spans = std::mem::take(&mut batch.spans);
        let bytes = batch.bytes as u64;
        *batch = Batch::default();
        // The spans' bytes stay counted until every payload made of them is gone; each
        // masked copy (one per further mask mode) counts them again.
        // (The first is made here so that with no exporter at all it is still released.)
        let total = self.queued_bytes.clone();
        let budgets = std::iter::once(Budget::holding(total.clone(), bytes)).chain(
            std::iter::repeat_with(move || Budget::counting(total.clone(), bytes)),
        );
        if out.converting.len() >= convert::CONVERTING
            && let Some(done) = out.next_converted().await
        {
            self.hand_on(done, &out.fan_out).await;
        }
        let pending = out.converter.start(spans, budgets);
        out.converting.push_back(pending);
    }

    /// Hands a converted batch to every exporter's lane, waiting briefly (never past the
    /// shutdown deadline) when one is full ([`FanOut::wait_for_room`]); an exporter whose
    /// lane stays full is behind, and the batch goes to its spool instead.
    async fn hand_on(&self, done: convert::Done, fan_out: &FanOut) {
        let count = done.count;
        if done.groups.is_empty() {
            // The conversion panicked: nothing of the batch can be sent, all is counted.
            for stats in &self.metrics.exporters {
                stats.pending.fetch_add(count, Relaxed);
                stats.drop_spans(count, reason::MASK_FAILED);
            }
            return;
        }
        fan_out
            .wait_for_room(Instant::now() + fanout::ROOM_WAIT)
            .await;
        for ((payload, failed), exporters) in done.groups.iter().zip(self.masks.exporters()) {
            for &index in exporters {
                let stats = &self.metrics.exporters[index];
                stats.pending.fetch_add(count, Relaxed);
                if *failed > 0 {
                    stats.drop_spans(*failed, reason::MASK_FAILED);
                }
                if count > *failed {
                    fan_out.send(index, payload);
                }
            }
        }
    }
}

/// Where the batcher's batches go: converted on the export threads, then to the lanes.
pub(super) struct Outbox {
    pub(super) fan_out: FanOut,
    pub(super) converter: Converter,
    /// Batches converting, oldest first: handed on in this order.
    pub(super) converting: VecDeque<convert::Pending>,
    /// Where the workers run, once started.
    pub(super) exports: Exports,
    /// Where the workers keep what they cannot deliver.
    pub(super) spool: SpoolQueue,
}

impl Outbox {
    /// The oldest batch converting, once converted (cancel-safe: it stays first until
    /// it is done); `None` when none is.
    async fn next_converted(&mut self) -> Option<convert::Done> {
        let done = self.converting.front_mut()?.done().await;
        self.converting.pop_front();
        Some(done)
    }
}

/// The batcher's two queues.
pub(super) struct Queues {
    pub(super) spans: mpsc::Receiver<Queued>,
    pub(super) records: mpsc::Receiver<QueuedRecords>,
    /// Until every recorder is gone.
    pub(super) records_open: bool,
}

#[derive(Default)]
pub(super) struct Batch {
    pub(super) spans: Vec<Span>,
    pub(super) bytes: usize,
    /// Log records, then metrics, each merged into one request, with their bytes.
    pub(super) records: [Option<(Records, u64)>; 2],
    /// When the batch's first span or record came.
    pub(super) first_at: Option<Instant>,
}

/// Has the standard library detect the CPU's features now, on this thread, while a
/// wrapped command runs: the first hex encoding (the local store's ids) or `memchr` would
/// otherwise do it after the command ends, and each `cpuid` it takes traps to the
/// hypervisor in a VM (tens of microseconds in all, measured on the engine's thread).
fn warm_cpu_features() {
    #[cfg(target_arch = "x86_64")]
    let _ = std::arch::is_x86_feature_detected!("avx2");
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
