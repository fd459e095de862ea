//! A run's figures as saved for `status` (`metrics/last-run.json`): the snapshot of the
//! live counters at shutdown, with the plan's verdict (drop rate, mean latency).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{ExporterMetrics, HEALTHY_DROP_RATE, HEALTHY_MEAN_LATENCY_MS, Metrics, SignalRun};
use crate::config::files;
use crate::export::Outcome;
use crate::sync::lock;

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
    /// Spans dropped, by reason (see [`reason`](super::reason)).
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
        let exporters: Vec<ExporterRun> = self.exporters.iter().map(ExporterRun::of).collect();
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
        let mean_latency_ms = mean_latency_ms(&exporters);
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

impl ExporterRun {
    /// What one exporter's counters say at the end of the run.
    fn of(e: &ExporterMetrics) -> ExporterRun {
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
    }
}

/// The mean of the exporters' mean latencies, of those that sent anything (0 if none).
fn mean_latency_ms(exporters: &[ExporterRun]) -> f64 {
    let with_latency: Vec<f64> = exporters
        .iter()
        .filter(|e| e.latency_mean_ms > 0.0)
        .map(|e| e.latency_mean_ms)
        .collect();
    if with_latency.is_empty() {
        0.0
    } else {
        with_latency.iter().sum::<f64>() / with_latency.len() as f64
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where the last run's figures are kept.
pub fn last_run_path(data_dir: &Path) -> PathBuf {
    data_dir.join("metrics").join("last-run.json")
}

impl RunMetrics {
    /// Writes the figures to `metrics/last-run.json` in the data dir (0600, atomically,
    /// through a spare file: [`files::write_through_spare`]).
    pub fn save(&self, data_dir: &Path) -> crate::Result<()> {
        let path = last_run_path(data_dir);
        let dir = path.parent().expect("has a parent");
        files::private_dir(dir).map_err(|e| crate::Error::io("cannot create directory", dir, e))?;
        let text = serde_json::to_vec_pretty(self).expect("metrics serialise");
        files::write_through_spare(dir, &path, &text)
    }

    /// The last run's figures, if a run saved them and they can be read (whole, though a
    /// run may be saving its own: [`files::read_through_spare`]).
    pub fn load(data_dir: &Path) -> Option<RunMetrics> {
        let text = files::read_through_spare(&last_run_path(data_dir)).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::{ExporterMetrics, reason};

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
