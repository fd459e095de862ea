//! What the engine counts: spans queued, sampled out, dropped (by reason), exported and
//! retried per exporter, export latency. Counters are atomics on the hot path; a snapshot
//! ([`RunMetrics`], in `run`) is written to the data dir at shutdown so `status` can show
//! the last run and its verdict.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::export::Outcome;
use crate::presets::Signal;
use crate::sync::lock;

mod run;

pub use run::{ExporterRun, RunMetrics, last_run_path};

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
