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
use super::fanout::{self, FanOut};
use super::metrics::{Metrics, reason};
use super::records::QueuedRecords;
use super::spool::SpoolWriter;
use super::spooler::Spooler;
use super::worker::{self, Phase};
use super::{EngineOptions, INTAKE_LINGER, Queued, SPOOL_GRACE, masking, recovery};
use crate::export::{Budget, Exporter, Records};
use crate::presets::Signals;
use crate::span::Span;

/// The tasks on the export runtime: the workers, and the spool's background deliveries.
#[derive(Default)]
struct Tasks {
    running: tokio::task::JoinSet<()>,
    recoveries: tokio::task::JoinSet<()>,
}

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
    /// encoding and sending others, and the batcher's thread is mostly idle.
    pub(super) fn run(self, spans: mpsc::Receiver<Queued>, records: mpsc::Receiver<QueuedRecords>) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
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
        let exports = match worker::export_runtime() {
            Ok(exports) => Some(exports),
            Err(err) => {
                // Without it the lanes close at once: every batch goes to the spool (or
                // is counted as dropped without one).
                crate::stderr::line(&format!(
                    "automagik-tracing: cannot start the export threads: {err}"
                ));
                None
            }
        };
        let mut tasks = Tasks::default();
        if let Some(exports) = &exports {
            self.start_workers(lanes, &spooler, &phase_rx, exports, &mut tasks);
        }
        let queues = Queues {
            spans,
            records,
            records_open: true,
        };
        let out = Outbox {
            fan_out,
            converter: Converter::new(
                self.masks.clone(),
                self.encoded_ahead(),
                exports.as_ref().map(|e| e.handle().clone()),
            ),
            converting: VecDeque::new(),
        };
        let deadline = runtime.block_on(self.batch_until_stopped(queues, out, phase_rx.clone()));
        runtime.shutdown_background();
        if let Some(exports) = exports {
            // Deliveries end when their lanes are closed and empty, or SPOOL_GRACE after
            // the deadline; nothing outlives that, not a DNS lookup on the blocking pool.
            exports.block_on(async {
                let all_done = async { while tasks.running.join_next().await.is_some() {} };
                tokio::select! {
                    () = all_done => {}
                    () = worker::deadline_passed(phase_rx, SPOOL_GRACE) => {}
                }
                tasks.running.abort_all();
                tasks.recoveries.abort_all();
            });
            exports.shutdown_background();
        }
        spooler.finish(deadline + SPOOL_GRACE);
    }

    /// Per mask group: whether every exporter of it sends the body only, so its payload
    /// is encoded as it is converted ([`Converter`]).
    fn encoded_ahead(&self) -> Vec<bool> {
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

    /// A worker per exporter on the export runtime, and beside it the background delivery
    /// of what its spool holds (which ends when the engine begins to stop: the run never
    /// waits for it).
    fn start_workers(
        &self,
        lanes: Vec<fanout::Lane>,
        spooler: &Spooler,
        phase_rx: &watch::Receiver<Phase>,
        exports: &tokio::runtime::Runtime,
        tasks: &mut Tasks,
    ) {
        for ((index, exporter), lane) in self.exporters.iter().enumerate().zip(lanes) {
            let wake: Option<Arc<tokio::sync::Notify>> =
                recovery::data_dir(&self.options).map(|_| Arc::default());
            let worker = worker::Worker {
                exporter: exporter.clone(),
                metrics: self.metrics.clone(),
                index,
                retry: self.options.retry,
                phase: phase_rx.clone(),
                breaker: Default::default(),
                spool: spooler.queue(),
                recovery: wake.clone(),
                delivered_once: Default::default(),
            };
            tasks.running.spawn_on(worker.run(lane), exports.handle());
            if let Some(wake) = wake {
                let recovery = recovery::Recovery::new(
                    &self.options,
                    exporter.clone(),
                    index,
                    self.metrics.clone(),
                    wake,
                    phase_rx.clone(),
                );
                tasks.recoveries.spawn_on(recovery.run(), exports.handle());
            }
        }
    }

    /// The batching loop: takes spans (and log records and metrics) until the engine
    /// stops, then hands on what is left and returns the shutdown deadline in force.
    async fn batch_until_stopped(
        &self,
        mut queues: Queues,
        mut out: Outbox,
        mut stop: watch::Receiver<Phase>,
    ) -> Instant {
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
                    spans.close();
                    while let Ok(item) = spans.try_recv() {
                        self.add(&mut batch, item, &mut out).await;
                    }
                    queues.records.close();
                    while let Ok(item) = queues.records.try_recv() {
                        self.add_records(&mut batch, item, &out).await;
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
                            self.add_records(&mut batch, item, &out).await;
                        }
                    }
                    None => break begin_stopping(&self.phase, Instant::now() + Duration::from_secs(1)),
                },
                item = queues.records.recv(), if queues.records_open => match item {
                    Some(item) => self.add_records(&mut batch, item, &out).await,
                    None => queues.records_open = false,
                },
                _ = sleep_until(flush_at), if flush_at.is_some() => {
                    self.dispatch(&mut batch, &mut out).await;
                }
            }
        };
        // At the deadline the workers spool what they hold and what is queued.
        self.dispatch(&mut batch, &mut out).await;
        while let Some(done) = out.next_converted().await {
            self.hand_on(done, &out.fan_out).await;
        }
        deadline
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

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
