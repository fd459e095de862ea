//! What the engine counts: spans queued, sampled out, dropped (by reason), exported and
//! retried per exporter, export latency. Counters are atomics on the hot path; a snapshot
//! ([`RunMetrics`]) is written to the data dir at shutdown so `status` can show the last
//! run and its verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::export::Outcome;
use crate::presets::Signal;
use crate::sync::lock;

/// The plan's verdict: healthy when under 1 % of spans are dropped (or spooled: kept, but
/// not delivered) and the mean export latency is under 100 ms.
pub const HEALTHY_DROP_RATE: f64 = 0.01;
/// The verdict's latency bound: a run is healthy only when its mean export latency, in
/// milliseconds, is under this.
pub const HEALTHY_MEAN_LATENCY_MS: f64 = 100.0;
/// Latency samples kept per exporter (a ring, so memory stays flat).
const LATENCY_SAMPLES: usize = 4096;

/// Why spans were not delivered: the keys of an exporter's `dropped` counts. A span kept
/// for `flush` (spooled) is not dropped; these count the ones that could not be kept.
pub mod reason {
    /// The engine's queue was full (by count or bytes). Such spans never reach an
    /// exporter: they are counted once, in
    /// [`Metrics::dropped_queue_full`](super::Metrics::dropped_queue_full).
    pub const QUEUE_FULL: &str = "queue_full";
    /// The exporter's lane was full, so its batch went to the spool (dropped without one).
    pub const EXPORTER_QUEUE_FULL: &str = "exporter_queue_full";
    /// Retryable failures (429, 5xx, network) outlasted the retry deadline (or no retry).
    pub const RETRIES_EXHAUSTED: &str = "retries_exhausted";
    /// Refused for good: a 4xx other than 413 and 429, or an untrusted certificate.
    pub const REJECTED: &str = "rejected";
    /// The exporter's circuit breaker was open, so nothing was attempted.
    pub const BREAKER_OPEN: &str = "breaker_open";
    /// A single span still too large (413) after its long values were cut.
    pub const TOO_LARGE: &str = "too_large";
    /// The shutdown deadline passed before delivery.
    pub const SHUTDOWN: &str = "shutdown";
    /// The spool could not be written (full disk, unwritable data dir).
    pub const SPOOL_FAILED: &str = "spool_failed";
    /// The oldest spooled segments were deleted to keep the spool under its cap.
    pub const SPOOL_FULL: &str = "spool_full";
    /// A span the masker could not mask: not sent (masking fails closed).
    pub const MASK_FAILED: &str = "mask_failed";
}

/// The engine's live counters, shared by the recorder, the batcher and the workers.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Spans accepted into the queue.
    pub queued: AtomicU64,
    /// Spans left out by sampling (neither sampled, failed nor slow).
    pub sampled_out: AtomicU64,
    /// Spans dropped on the way in because the queue was full by count or bytes.
    pub dropped_queue_full: AtomicU64,
    /// Attribute values cut to `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` on the way in.
    pub truncated_values: AtomicU64,
    /// Spans `run`'s whole-trace sampling could not hold (the held traces had reached the
    /// queue's bounds), decided by trace id alone as the library does.
    pub sampled_without_holding: AtomicU64,
    /// One set of counters per exporter, in the engine's exporter order.
    pub exporters: Vec<ExporterMetrics>,
    /// Requests the `run --wrap` receiver refused, by reason: their spans never reached
    /// the engine.
    pub refused_requests: Mutex<BTreeMap<String, u64>>,
    /// The model calls of the spans the wrapped command sent (sampled out or not).
    pub gen_ai: Mutex<crate::semantic::Tally>,
    /// Log records and metric data points accepted into the queue.
    pub records_queued: PerSignal,
    /// Log records and metric data points dropped on the way in (the queue was full).
    pub records_dropped_queue_full: PerSignal,
}

/// A count per signal besides traces: log records, and metric data points.
#[derive(Debug, Default)]
pub struct PerSignal {
    /// Log records.
    pub logs: AtomicU64,
    /// Metric data points.
    pub metrics: AtomicU64,
}

impl PerSignal {
    /// The counter of `signal`; `None` for traces (counted as spans, elsewhere).
    pub fn of(&self, signal: Signal) -> Option<&AtomicU64> {
        match signal {
            Signal::Traces => None,
            Signal::Logs => Some(&self.logs),
            Signal::Metrics => Some(&self.metrics),
        }
    }

    /// Adds `count` to the counter of `signal` (nothing for traces).
    pub fn add(&self, signal: Signal, count: u64) {
        if let Some(counter) = self.of(signal) {
            counter.fetch_add(count, Relaxed);
        }
    }

    /// The counts that are not zero, by signal name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        [(Signal::Logs, &self.logs), (Signal::Metrics, &self.metrics)]
            .into_iter()
            .map(|(s, n)| (s.as_str().to_string(), n.load(Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// What became of one exporter's log records and metric data points (spans are counted
/// in the exporter's own fields).
#[derive(Debug, Default)]
pub struct RecordCounters {
    /// Delivered (a 2xx, or written for `local`).
    pub exported: PerSignal,
    /// Written to the spool for a later `flush`.
    pub spooled: PerSignal,
    /// Lost, whatever the reason (the same reasons as spans).
    pub dropped: PerSignal,
    /// Not sent because the provider does not take the signal: by design, not a loss.
    pub not_accepted: PerSignal,
    /// Handed to this exporter and not yet delivered, spooled or dropped.
    pub pending: PerSignal,
}

/// One exporter's figures for one signal besides traces, in a run's metrics.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SignalRun {
    /// Delivered.
    pub exported: u64,
    /// Kept in the spool for `flush`.
    pub spooled: u64,
    /// Lost (the queue or spool was full, refused for good, shutdown...).
    pub dropped: u64,
    /// Not sent: the provider does not take this signal.
    pub not_accepted: u64,
}

/// One exporter's live counters.
#[derive(Debug, Default)]
pub struct ExporterMetrics {
    /// The exporter's name (the provider's: `langfuse`, `local`, ...).
    pub name: String,
    /// Where it sends, for display.
    pub endpoint: String,
    /// Spans delivered (a 2xx, or written for `local`).
    pub exported: AtomicU64,
    /// Retries of retryable failures (the first attempt is not counted).
    pub retries: AtomicU64,
    /// Spans written to the spool for a later `flush`.
    pub spooled: AtomicU64,
    /// Spans delivered from the spool in the background once the provider took spans
    /// again (this run's and older runs').
    pub recovered: AtomicU64,
    /// Spans handed to this exporter and not yet delivered or dropped.
    pub pending: AtomicU64,
    /// Log records and metric data points, as the span counters above count spans.
    pub records: RecordCounters,
    dropped: Mutex<BTreeMap<&'static str, u64>>,
    latencies_us: Mutex<(Vec<u64>, usize)>,
    last: Mutex<Option<(Outcome, Duration)>>,
    spool_error: Mutex<Option<String>>,
}

impl ExporterMetrics {
    /// Counters at zero for the exporter `name` sending to `endpoint`.
    pub fn new(name: &str, endpoint: &str) -> ExporterMetrics {
        ExporterMetrics {
            name: name.to_string(),
            endpoint: endpoint.to_string(),
            ..Default::default()
        }
    }

    /// Spans of this run that end here, lost for `why`.
    pub fn drop_spans(&self, count: u64, why: &'static str) {
        self.count_dropped(count, why);
        self.settle(count);
    }

    /// Spans lost that were not this run's to deliver (older spooled segments evicted).
    pub fn count_dropped(&self, count: u64, why: &'static str) {
        if count > 0 {
            *lock(&self.dropped).entry(why).or_default() += count;
        }
    }

    /// Spans of this run kept on disk for `flush`.
    pub fn spool_spans(&self, count: u64) {
        self.spooled.fetch_add(count, Relaxed);
        self.settle(count);
    }

    /// Remembers why the spool could not be written (the first reason is the telling one).
    pub fn spool_failed(&self, error: &crate::Error) {
        lock(&self.spool_error).get_or_insert_with(|| error.one_line());
    }

    fn settle(&self, count: u64) {
        self.pending
            .fetch_sub(count.min(self.pending.load(Relaxed)), Relaxed);
    }

    /// Counts `count` items of `signal` (spans, log records, data points) delivered.
    pub fn delivered_of(&self, signal: Signal, count: u64) {
        match self.records.exported.of(signal) {
            None => self.delivered(count),
            Some(exported) => {
                exported.fetch_add(count, Relaxed);
                self.settle_records(signal, count);
            }
        }
    }

    /// Counts `count` items of `signal` kept on disk for `flush`.
    pub fn spooled_of(&self, signal: Signal, count: u64) {
        match self.records.spooled.of(signal) {
            None => self.spool_spans(count),
            Some(spooled) => {
                spooled.fetch_add(count, Relaxed);
                self.settle_records(signal, count);
            }
        }
    }

    /// Counts `count` items of `signal` lost for `why` (by reason for spans).
    pub fn dropped_of(&self, signal: Signal, count: u64, why: &'static str) {
        match self.records.dropped.of(signal) {
            None => self.drop_spans(count, why),
            Some(dropped) => {
                dropped.fetch_add(count, Relaxed);
                self.settle_records(signal, count);
            }
        }
    }

    /// Counts `count` items of `signal` handed to this exporter.
    pub fn handed(&self, signal: Signal, count: u64) {
        match self.records.pending.of(signal) {
            None => self.pending.fetch_add(count, Relaxed),
            Some(pending) => pending.fetch_add(count, Relaxed),
        };
    }

    /// Counts `count` items of `signal` this exporter's provider does not take.
    pub fn not_accepted(&self, signal: Signal, count: u64) {
        self.records.not_accepted.add(signal, count);
    }

    fn settle_records(&self, signal: Signal, count: u64) {
        if let Some(pending) = self.records.pending.of(signal) {
            pending.fetch_sub(count.min(pending.load(Relaxed)), Relaxed);
        }
    }

    /// This exporter's figures for log records and metrics, by signal name (signals it
    /// saw nothing of are left out).
    fn signal_runs(&self) -> BTreeMap<String, SignalRun> {
        [Signal::Logs, Signal::Metrics]
            .into_iter()
            .filter_map(|signal| {
                let load = |c: &PerSignal| c.of(signal).map_or(0, |n| n.load(Relaxed));
                let run = SignalRun {
                    exported: load(&self.records.exported),
                    spooled: load(&self.records.spooled),
                    dropped: load(&self.records.dropped),
                    not_accepted: load(&self.records.not_accepted),
                };
                (run != SignalRun::default()).then(|| (signal.as_str().to_string(), run))
            })
            .collect()
    }

    /// Counts `count` spans delivered, no longer pending.
    pub fn delivered(&self, count: u64) {
        self.exported.fetch_add(count, Relaxed);
        self.settle(count);
    }

    /// Records one export attempt's latency (kept in a ring of the last 4096) and remembers
    /// it with its outcome as the last one.
    pub fn attempt(&self, outcome: &Outcome, latency: Duration) {
        let mut samples = lock(&self.latencies_us);
        let (values, next) = &mut *samples;
        let us = latency.as_micros() as u64;
        if values.len() < LATENCY_SAMPLES {
            values.push(us);
        } else {
            values[*next] = us;
        }
        *next = (*next + 1) % LATENCY_SAMPLES;
        *lock(&self.last) = Some((outcome.clone(), latency));
    }

    /// The spans dropped so far, by reason (see [`reason`]).
    pub fn dropped(&self) -> BTreeMap<String, u64> {
        lock(&self.dropped)
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    /// The last attempt's outcome and latency.
    pub fn last(&self) -> Option<(Outcome, Duration)> {
        lock(&self.last).clone()
    }

    fn latency(&self) -> (f64, f64, f64) {
        let mut values = lock(&self.latencies_us).0.clone();
        if values.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        values.sort_unstable();
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        let mean = values.iter().sum::<u64>() as f64 / values.len() as f64 / 1000.0;
        (at(0.5), at(0.99), mean)
    }
}

/// A run's figures, as written to `metrics/last-run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunMetrics {
    /// Seconds since the Unix epoch when the run ended.
    pub ended_at: u64,
    /// How long the engine ran, in milliseconds.
    pub duration_ms: u64,
    /// Spans accepted into the queue.
    pub queued: u64,
    /// Spans left out by sampling.
    pub sampled_out: u64,
    /// Spans dropped on the way in because the queue was full.
    pub dropped_queue_full: u64,
    /// Attribute values truncated on the way in.
    pub truncated_values: u64,
    /// Spans `run`'s whole-trace sampling decided by trace id alone, its held traces
    /// having reached the queue's bounds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sampled_without_holding: u64,
    /// Requests from the wrapped command that the receiver refused, by reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused_requests: BTreeMap<String, u64>,
    /// Log records and metric data points accepted into the queue, by signal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records_queued: BTreeMap<String, u64>,
    /// Log records and metric data points dropped because the queue was full, by signal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records_dropped_queue_full: BTreeMap<String, u64>,
    /// Each exporter's figures.
    pub exporters: Vec<ExporterRun>,
    /// What the model calls of the wrapped command added up to (calls, tokens, cost);
    /// `None` when it made none, or for a run that was not a wrapped command.
    #[serde(default)]
    pub gen_ai: Option<crate::semantic::Totals>,
    /// Dropped spans over the spans owed to all exporters (each exporter is owed every
    /// span), `0.0` to `1.0`.
    pub drop_rate: f64,
    /// The mean of the exporters' mean latencies, over those that made an attempt.
    pub mean_latency_ms: f64,
    /// The plan's verdict: under 1 % not delivered (dropped or spooled), mean latency under
    /// 100 ms, and no request refused by the receiver.
    pub healthy: bool,
}

/// One exporter's figures for a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExporterRun {
    /// The exporter's name.
    pub name: String,
    /// Where it sent.
    pub endpoint: String,
    /// Spans delivered.
    pub exported: u64,
    /// Retries of retryable failures.
    pub retries: u64,
    /// Spans kept in the spool for `flush`.
    #[serde(default)]
    pub spooled: u64,
    /// Spans delivered from the spool in the background during the run.
    #[serde(default)]
    pub recovered: u64,
    /// Spans dropped, by reason (see [`reason`]).
    pub dropped: BTreeMap<String, u64>,
    /// Why the spool could not be written, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spool_error: Option<String>,
    /// Median export latency in milliseconds, over the last 4096 attempts.
    pub latency_p50_ms: f64,
    /// 99th-percentile export latency in milliseconds, over the last 4096 attempts.
    pub latency_p99_ms: f64,
    /// Mean export latency in milliseconds; `0.0` when nothing was attempted.
    pub latency_mean_ms: f64,
    /// What became of log records and metric data points, by signal (`logs`, `metrics`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signals: BTreeMap<String, SignalRun>,
    /// The last attempt's outcome and latency (not saved).
    #[serde(skip)]
    pub last: Option<(Outcome, Duration)>,
}

impl Metrics {
    /// Counts requests the receiver refused (the receiver's reasons, as they are named
    /// in the run's metrics).
    pub fn receiver_refused(&self, refused: &BTreeMap<String, u64>) {
        let mut counts = lock(&self.refused_requests);
        for (why, n) in refused {
            *counts.entry(why.clone()).or_default() += n;
        }
    }

    /// The figures so far and the verdict, for a run that has lasted `duration`.
    pub fn snapshot(&self, duration: Duration) -> RunMetrics {
        let exporters: Vec<ExporterRun> = self
            .exporters
            .iter()
            .map(|e| {
                let (p50, p99, mean) = e.latency();
                ExporterRun {
                    name: e.name.clone(),
                    endpoint: e.endpoint.clone(),
                    exported: e.exported.load(Relaxed),
                    retries: e.retries.load(Relaxed),
                    spooled: e.spooled.load(Relaxed),
                    recovered: e.recovered.load(Relaxed),
                    dropped: e.dropped(),
                    spool_error: lock(&e.spool_error).clone(),
                    latency_p50_ms: p50,
                    latency_p99_ms: p99,
                    latency_mean_ms: mean,
                    signals: e.signal_runs(),
                    last: e.last(),
                }
            })
            .collect();
        let refused_requests = lock(&self.refused_requests).clone();
        let no_refusals = refused_requests.is_empty();
        let queued = self.queued.load(Relaxed);
        let queue_full = self.dropped_queue_full.load(Relaxed);
        // Each exporter is owed every queued span; a full queue cost every exporter its span.
        let owed = (queued + queue_full) * exporters.len().max(1) as u64;
        let dropped: u64 = queue_full * exporters.len().max(1) as u64
            + exporters
                .iter()
                .flat_map(|e| e.dropped.values())
                .sum::<u64>();
        // What was spooled and delivered from the spool before the run ended is delivered.
        let spooled: u64 = exporters
            .iter()
            .map(|e| e.spooled.saturating_sub(e.recovered))
            .sum();
        let rate = |n: u64| {
            if owed == 0 {
                0.0
            } else {
                n as f64 / owed as f64
            }
        };
        let drop_rate = rate(dropped);
        // Spooled spans are not lost, but a run that could not deliver them is not healthy.
        let undelivered_rate = rate(dropped + spooled);
        let with_latency: Vec<f64> = exporters
            .iter()
            .filter(|e| e.latency_mean_ms > 0.0)
            .map(|e| e.latency_mean_ms)
            .collect();
        let mean_latency_ms = if with_latency.is_empty() {
            0.0
        } else {
            with_latency.iter().sum::<f64>() / with_latency.len() as f64
        };
        RunMetrics {
            ended_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            duration_ms: duration.as_millis() as u64,
            queued,
            sampled_out: self.sampled_out.load(Relaxed),
            dropped_queue_full: queue_full,
            truncated_values: self.truncated_values.load(Relaxed),
            sampled_without_holding: self.sampled_without_holding.load(Relaxed),
            refused_requests,
            records_queued: self.records_queued.snapshot(),
            records_dropped_queue_full: self.records_dropped_queue_full.snapshot(),
            exporters,
            gen_ai: lock(&self.gen_ai).totals(),
            drop_rate,
            mean_latency_ms,
            // A refused request's spans never reached the engine: not counted in the
            // rates, but lost all the same.
            healthy: undelivered_rate < HEALTHY_DROP_RATE
                && mean_latency_ms < HEALTHY_MEAN_LATENCY_MS
                && no_refusals,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where the last run's figures are kept.
pub fn last_run_path(data_dir: &Path) -> PathBuf {
    data_dir.join("metrics").join("last-run.json")
}

use crate::config::files;

impl RunMetrics {
    /// Writes the figures to `metrics/last-run.json` in the data dir (0600, atomically).
    pub fn save(&self, data_dir: &Path) -> crate::Result<()> {
        let path = last_run_path(data_dir);
        let dir = path.parent().expect("has a parent");
        files::private_dir(dir).map_err(|e| crate::Error::io("cannot create directory", dir, e))?;
        let text = serde_json::to_vec_pretty(self).expect("metrics serialise");
        files::write_atomically_unsynced(dir, &path, &text, files::PRIVATE_FILE)
    }

    /// The last run's figures, if a run saved them and they can be read.
    pub fn load(data_dir: &Path) -> Option<RunMetrics> {
        let text = std::fs::read(last_run_path(data_dir)).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_follows_drop_rate_and_latency() {
        let mut metrics = Metrics::default();
        metrics.exporters.push(ExporterMetrics::new("a", "x"));
        metrics.queued.store(1000, Relaxed);
        metrics.exporters[0].pending.store(1000, Relaxed);
        metrics.exporters[0].delivered(995);
        metrics.exporters[0].drop_spans(5, reason::SHUTDOWN);
        metrics.exporters[0].attempt(
            &Outcome::Delivered { status: Some(200) },
            Duration::from_millis(20),
        );
        let run = metrics.snapshot(Duration::from_secs(1));
        assert_eq!(run.drop_rate, 0.005);
        assert!(run.healthy);
        assert_eq!(run.exporters[0].dropped["shutdown"], 5);
        metrics.exporters[0].drop_spans(10, reason::REJECTED);
        assert!(!metrics.snapshot(Duration::from_secs(1)).healthy);
    }

    #[test]
    fn saved_and_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let run = Metrics::default().snapshot(Duration::from_millis(5));
        run.save(dir.path()).unwrap();
        assert_eq!(RunMetrics::load(dir.path()), Some(run));
    }
}
