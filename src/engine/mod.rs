//! The engine: producers [`Recorder::record`] spans (never blocking, never failing); a
//! background thread batches them, has each batch masked and converted once per mask
//! mode on the export threads (`convert`, two batches at once; encoded there too when
//! only OTLP/HTTP exporters take it), and
//! fans it out, in order, to one small queue per exporter (`fanout`), so a slow or dead
//! provider never delays another. Each exporter's worker delivers up to three batches at
//! once on the export runtime's two threads, where a batch not yet encoded is encoded
//! once for every exporter that sends it. What an exporter cannot deliver goes to its [`spool`] for `flush`.
//! [`Engine::shutdown`] delivers what it can within a deadline, spools the rest, and
//! accounts for every span: delivered, spooled, or dropped with a reason.
//!
//! Log records and metrics ([`Recorder::record_records`]) take the same way beside the
//! spans: a queue of their own (bounded by requests, and by the same byte cap), batches of
//! their own signal, masking per mode, the same lanes, workers, retry and spool; only the
//! exporters whose provider takes the signal get them (the others count them as not
//! accepted). The span path does not wait on them.
//!
//! Spans are allocated where they are recorded and freed on the export threads; the
//! binary uses mimalloc for that, and library users after throughput should too.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use automagik_tracing::{Config, LoadOptions, engine::Engine, span::{Resource, Scope, Span}};
//!
//! let settings = Config::load(LoadOptions::from_process())?.settings()?;
//! let engine = Engine::start(&settings)?;
//! let recorder = engine.recorder(); // cheap to clone, hand it to every thread
//! let mut span = Span::start("invoke_agent helper", None, Arc::new(Resource::service("my-agent")), Arc::new(Scope::default()));
//! span.set("gen_ai.operation.name", "invoke_agent");
//! span.end();
//! recorder.record(span);
//! let report = engine.shutdown(Duration::from_secs(5));
//! println!("delivered {} spans", report.exporters.iter().map(|e| e.exported).sum::<u64>());
//! # Ok::<(), automagik_tracing::Error>(())
//! ```

mod background;
mod breaker;
mod convert;
mod exports;
mod fanout;
pub mod flush;
pub mod intake;
mod masking;
pub mod metrics;
mod oversize;
mod records;
mod recovery;
mod retry;
pub mod spool;
mod spooler;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

pub use intake::Intake;
pub use metrics::{ExporterRun, Metrics, RunMetrics};
use records::QueuedRecords;
pub use records::RECORDS_QUEUE_REQUESTS;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::export::{self, Exporter};
use crate::mask::MaskPlan;
use crate::presets::Signal;
use crate::profile::ProfilePlan;
use crate::span::Span;
use background::{Background, begin_stopping};
use metrics::{ExporterMetrics, reason};
use worker::Phase;

/// Spans per batch at most.
pub const BATCH_MAX_SPANS: usize = 512;
/// Estimated bytes per batch at most.
pub const BATCH_MAX_BYTES: usize = 4 * 1024 * 1024;
/// A batch leaves this long after its first span at the latest.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(1);
/// Once it has taken every waiting span, the batcher lets more gather this long before
/// it waits for the next one. While it waits, each `record` must wake it (a system call,
/// microseconds on the caller's thread); lingering, it wakes a few hundred times a
/// second instead of once per span. Nothing is late for it: a batch waits up to
/// [`BATCH_TIMEOUT`] anyway.
pub const INTAKE_LINGER: Duration = Duration::from_millis(5);
/// After the shutdown deadline, how long the workers get to write what is left to the
/// spool before they are stopped (and what they held is counted as dropped).
pub const SPOOL_GRACE: Duration = Duration::from_secs(2);

/// How the engine behaves; [`EngineOptions::from_settings`] is the usual source.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Spans held in the queue at most; beyond it the newest is dropped and counted.
    pub queue_max_spans: usize,
    /// Estimated bytes of spans held at most, from the queue to the last payload in flight.
    pub queue_max_bytes: u64,
    /// Sampling and value truncation, applied on the caller's thread. The sampling is
    /// head sampling, span by span ([`Intake::keep`]); `run` decides whole traces before
    /// its spans get here.
    pub intake: Intake,
    /// Spans per batch at most.
    pub batch_max_spans: usize,
    /// Estimated bytes per batch at most.
    pub batch_max_bytes: usize,
    /// A batch leaves at the latest this long after its first span.
    pub batch_timeout: Duration,
    /// Retry retryable failures while running (off for `test-export`).
    pub retry: bool,
    /// Where to save the run's metrics at shutdown.
    pub data_dir: Option<PathBuf>,
    /// The spool root (one directory per exporter inside); `None` drops instead.
    pub spool_dir: Option<PathBuf>,
    /// The spool's cap per exporter, in bytes; the oldest segments go first.
    pub spool_max_bytes: u64,
    /// What each exporter receives of the spans' content, by exporter name.
    pub mask: MaskPlan,
    /// Where each configured provider sends (what its spooled records are bound to); an
    /// exporter not found here by name and endpoint is bound to its name and endpoint.
    pub destinations: Vec<spool::DestinationKey>,
    /// The attributes each exporter's backend reads, added after masking, by exporter name.
    pub profiles: ProfilePlan,
}

impl EngineOptions {
    /// The options the settings call for: their limits, sampling, masking and the data
    /// dir's spool, with the default batch sizes.
    pub fn from_settings(settings: &Settings) -> EngineOptions {
        let obs = &settings.observability;
        EngineOptions {
            queue_max_spans: settings.limits.queue_max_spans.value as usize,
            queue_max_bytes: settings.limits.queue_max_bytes.value,
            intake: Intake::new(
                obs.sample_rate.value,
                obs.slow_threshold_ms.value,
                settings.limits.attribute_value_length_limit.value as usize,
            ),
            batch_max_spans: BATCH_MAX_SPANS,
            batch_max_bytes: BATCH_MAX_BYTES,
            batch_timeout: BATCH_TIMEOUT,
            retry: true,
            data_dir: Some(settings.paths.data_dir.value.clone()),
            spool_dir: Some(spool::root(&settings.paths.data_dir.value)),
            spool_max_bytes: settings.limits.spool_max_bytes.value,
            mask: obs.mask_plan(),
            destinations: obs.active().map(spool::DestinationKey::of).collect(),
            profiles: ProfilePlan::from_providers(&obs.providers),
        }
    }
}

/// A queued span and its estimated size (counted in the byte bound until every payload
/// made of it is gone).
struct Queued {
    span: Span,
    size: u64,
}

/// The cheap, clonable producer side.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Queued>,
    records_tx: mpsc::Sender<QueuedRecords>,
    queued_bytes: Arc<AtomicU64>,
    max_bytes: u64,
    intake: Arc<Intake>,
    metrics: Arc<Metrics>,
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

/// An engine ready to start: its exporters built, its options resolved ([`Engine::plan`]).
pub struct EnginePlan {
    exporters: Vec<Arc<dyn Exporter>>,
    options: EngineOptions,
}

impl EnginePlan {
    /// A plan of these exporters and options, as [`Engine::start_with`] takes them.
    pub fn new(exporters: Vec<Arc<dyn Exporter>>, options: EngineOptions) -> EnginePlan {
        EnginePlan { exporters, options }
    }

    /// Starts the engine's thread; fails only when the system refuses a thread.
    pub fn start(self) -> Result<Engine> {
        Engine::start_with(self.exporters, self.options)
    }
}

/// The engine; owns the background thread and its shutdown.
pub struct Engine {
    recorder: Recorder,
    /// Running until shutdown sets the deadline; the batcher and every worker watch it.
    phase: Arc<watch::Sender<Phase>>,
    thread: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
    started: Instant,
    data_dir: Option<PathBuf>,
}

impl Engine {
    /// Starts the engine with an exporter for every active provider of `settings`.
    pub fn start(settings: &Settings) -> Result<Engine> {
        Engine::plan(settings)?.start()
    }

    /// Builds the exporters `settings` call for (where a configuration error shows)
    /// without starting anything: `run --wrap` starts the command first, then the engine
    /// beside it ([`EnginePlan::start`]).
    pub fn plan(settings: &Settings) -> Result<EnginePlan> {
        let exporters = settings
            .observability
            .active()
            .map(|p| export::build(settings, p))
            .collect::<Result<Vec<_>>>()?;
        Ok(EnginePlan {
            exporters,
            options: EngineOptions::from_settings(settings),
        })
    }

    /// Starts the engine with these exporters (tests, `test-export`, library users).
    pub fn start_with(exporters: Vec<Arc<dyn Exporter>>, options: EngineOptions) -> Result<Engine> {
        let metrics = Arc::new(Metrics {
            exporters: exporters
                .iter()
                .map(|e| ExporterMetrics::new(e.name(), e.endpoint()))
                .collect(),
            ..Default::default()
        });
        let (tx, rx) = mpsc::channel(options.queue_max_spans.max(1));
        let (records_tx, records_rx) = mpsc::channel(RECORDS_QUEUE_REQUESTS);
        let queued_bytes = Arc::new(AtomicU64::new(0));
        let phase = Arc::new(watch::channel(Phase::Running).0);
        let background = Background {
            masks: Arc::new(masking::MaskGroups::new(
                &options.mask,
                &options.profiles,
                exporters.iter().map(|e| e.name()),
            )),
            accepts: exporters.iter().map(|e| e.signals()).collect(),
            exporters,
            options: options.clone(),
            metrics: metrics.clone(),
            queued_bytes: queued_bytes.clone(),
            phase: phase.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("automagik-engine".into())
            .spawn(move || background.run(rx, records_rx))
            .map_err(|e| Error::failed(format!("cannot start the engine's thread: {e}")))?;
        Ok(Engine {
            recorder: Recorder {
                tx,
                records_tx,
                queued_bytes,
                max_bytes: options.queue_max_bytes,
                intake: Arc::new(options.intake),
                metrics: metrics.clone(),
            },
            phase,
            thread: Some(thread),
            metrics,
            started: Instant::now(),
            data_dir: options.data_dir,
        })
    }

    /// A producer handle; clone it freely.
    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    /// Hands a span to the engine, as [`Recorder::record`] does: never blocks, never fails.
    pub fn record(&self, span: Span) {
        self.recorder.record(span);
    }

    /// The live counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Sends what is queued, waiting at most `deadline`, then spools what is left (or,
    /// without a spool, counts it as dropped, reason `shutdown`). A refused provider or an
    /// open breaker is not waited on. Saves the run's metrics in the data dir and returns
    /// them.
    pub fn shutdown(mut self, deadline: Duration) -> RunMetrics {
        self.stop_and_join(deadline);
        let run = self.metrics.snapshot(self.started.elapsed());
        if let Some(dir) = &self.data_dir
            && run.queued + run.dropped_queue_full + run.sampled_out > 0
        {
            // Metrics are a convenience: failing to save them never fails the caller.
            let _ = run.save(dir);
        }
        run
    }

    fn stop_and_join(&mut self, deadline: Duration) {
        begin_stopping(&self.phase, Instant::now() + deadline);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for exporter in &self.metrics.exporters {
            for signal in Signal::ALL {
                let left = match exporter.records.pending.of(signal) {
                    None => exporter.pending.load(Relaxed),
                    Some(pending) => pending.load(Relaxed),
                };
                if left > 0 {
                    exporter.dropped_of(signal, left, reason::SHUTDOWN);
                }
            }
        }
    }
}

impl Drop for Engine {
    /// An engine dropped without `shutdown` still tries briefly, so nothing is lost silently.
    fn drop(&mut self) {
        self.stop_and_join(Duration::from_secs(1));
    }
}

#[cfg(test)]
pub(crate) mod intake_heap_tests;
#[cfg(test)]
mod signal_tests;
#[cfg(test)]
pub(crate) mod tests;
