//! Background delivery of the spool while the engine runs: when an exporter's deliveries
//! succeed again after its breaker was open (or for the first time in this run), what its
//! spool holds for this destination is sent, oldest first, one record at a time, beside
//! the new batches (at most one more request in flight). It is the same code as `flush`
//! ([`flush_spool`]): records of another destination stay, each delivered record is
//! marked at once. While the provider keeps taking spans it looks again for what was
//! spooled since (a batch whose retries ran out after the provider came back); it stops
//! at a failure (the next success wakes it again) and when the engine begins to stop, so
//! it never delays the end of a run; what it did not send stays for the next run or
//! `flush`. It creates nothing: with no salt yet, nothing is bound to any destination.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use super::flush::{Step, Target, flush_spool};
use super::spool::{self, DestinationKey};
use super::worker::Phase;
use super::{EngineOptions, Metrics};
use crate::export::Exporter;
use crate::mask::Masker;

/// One pass over the spool gives up after this long (a provider that answers slowly
/// must not hold the spool's flush lock for the whole run).
pub const ROUND: Duration = Duration::from_secs(60);
/// How soon an armed delivery looks at the spool again, at first and at most.
pub const RECHECK_FIRST: Duration = Duration::from_secs(1);
pub const RECHECK_MAX: Duration = Duration::from_secs(30);

pub struct Recovery {
    pub exporter: Arc<dyn Exporter>,
    pub index: usize,
    pub metrics: Arc<Metrics>,
    /// The data dir (for the quarantine folder) and the exporter's spool in it.
    pub data_dir: PathBuf,
    pub spool_dir: PathBuf,
    pub destination: DestinationKey,
    /// Spooled records are masked as the provider's mode says now, as `flush` does.
    pub masker: Masker,
    pub phase: watch::Receiver<Phase>,
    /// Woken by the worker when deliveries succeed again.
    pub wake: Arc<Notify>,
}

/// The data dir the spool is in, when the spool is where `flush` looks for it (and so
/// where background delivery may take from).
pub fn data_dir(options: &EngineOptions) -> Option<PathBuf> {
    let root = options.spool_dir.as_ref()?;
    let data_dir = options.data_dir.as_ref()?;
    (&spool::root(data_dir) == root).then(|| data_dir.clone())
}

/// What the exporter's spooled records are bound to: the configured provider of that
/// name and endpoint, else its name and endpoint alone.
pub fn destination_of(options: &EngineOptions, exporter: &dyn Exporter) -> DestinationKey {
    options
        .destinations
        .iter()
        .find(|d| d.provider() == exporter.name() && d.endpoint() == exporter.endpoint())
        .cloned()
        .unwrap_or_else(|| DestinationKey::new(exporter.name(), exporter.endpoint(), ""))
}

impl Recovery {
    /// The background delivery of one exporter's spool (`index`: the exporter's place in
    /// the metrics). Only for an engine whose spool [`data_dir`] finds.
    pub fn new(
        options: &EngineOptions,
        exporter: Arc<dyn Exporter>,
        index: usize,
        metrics: Arc<Metrics>,
        wake: Arc<Notify>,
        phase: watch::Receiver<Phase>,
    ) -> Recovery {
        let data_dir = data_dir(options).unwrap_or_default();
        Recovery {
            spool_dir: spool::provider_dir(&data_dir, exporter.name()),
            destination: destination_of(options, exporter.as_ref()),
            masker: options.mask.masker_for(exporter.name()),
            exporter,
            index,
            metrics,
            data_dir,
            phase,
            wake,
        }
    }

    pub async fn run(self) {
        // Armed from a success until a pass fails: what is spooled meanwhile (a batch
        // whose retries ran out after the provider came back) is looked for again, every
        // second at first, then less often while there is none.
        let mut armed = false;
        let mut recheck = RECHECK_FIRST;
        loop {
            let mut phase = self.phase.clone();
            tokio::select! {
                () = self.wake.notified() => {
                    armed = true;
                    recheck = RECHECK_FIRST;
                }
                () = tokio::time::sleep(recheck), if armed => {}
                _ = phase.wait_for(|p| *p != Phase::Running) => return,
            }
            let Some(target) = self.waiting() else {
                recheck = (recheck * 2).min(RECHECK_MAX);
                continue;
            };
            recheck = RECHECK_FIRST;
            let stats = &self.metrics.exporters[self.index];
            let mut count = |step: &Step| {
                if let Step::Delivered { spans } = step {
                    stats.recovered.fetch_add(*spans, Relaxed);
                }
            };
            let pass = flush_spool(
                &self.spool_dir,
                &self.data_dir,
                self.exporter.as_ref(),
                &self.masker,
                &target,
                Instant::now() + ROUND,
                &mut count,
            );
            let mut phase = self.phase.clone();
            tokio::select! {
                report = pass => armed = report.failure.is_none(),
                _ = phase.wait_for(|p| *p != Phase::Running) => return,
            }
        }
    }

    /// What to deliver to, when the spool holds records for this destination. Reads
    /// only: without a salt no record is bound to any destination.
    fn waiting(&self) -> Option<Target> {
        let destination = self
            .destination
            .resolve_existing(&spool::root(&self.data_dir))?;
        let waiting = spool::pending_by_destination(&self.spool_dir)
            .unwrap_or_default()
            .into_iter()
            .any(|d| d.destination.as_ref() == Some(&destination) && !d.pending.is_empty());
        waiting.then_some(Target {
            destination,
            to_current: false,
        })
    }
}
