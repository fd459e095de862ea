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
mod recorder;
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
use recorder::Queued;
pub use recorder::Recorder;
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
