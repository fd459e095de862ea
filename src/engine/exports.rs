//! Where the exporters' workers run: the export runtime's threads, started with the
//! engine's first batch, or, for an engine that stops before its first batch with
//! little left to send, the batcher's own runtime. A short `run --wrap` (its one span is
//! recorded as it ends) so starts no export threads and waits for none to end.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::watch;

use super::SPOOL_GRACE;
use super::background::{Background, Outbox};
use super::convert::Converter;
use super::fanout;
use super::recovery;
use super::spooler::SpoolQueue;
use super::worker::{self, Phase};

/// The export runtime and the workers on it. Its threads start with the first batch: a
/// run that ends before any (`run --wrap true`, whose one span is recorded as it ends)
/// starts none, and its last batch is converted and delivered on the batcher's thread.
pub(super) enum Exports {
    /// Nothing sent yet: each exporter's lane waits for its worker.
    NotYet(Vec<fanout::Lane>),
    /// The export threads, and the workers on them.
    Threads(tokio::runtime::Runtime, Tasks),
    /// The workers on the batcher's own runtime.
    Batcher(Tasks),
}

/// The tasks on the export runtime: the workers, and the spool's background deliveries.
#[derive(Default)]
pub(super) struct Tasks {
    running: tokio::task::JoinSet<()>,
    recoveries: tokio::task::JoinSet<()>,
}

impl Tasks {
    /// Deliveries end when their lanes are closed and empty, or [`SPOOL_GRACE`] after the
    /// deadline; nothing outlives that, not a DNS lookup on the blocking pool.
    pub(super) async fn finish(&mut self, phase: watch::Receiver<Phase>) {
        let running = &mut self.running;
        let all_done = async { while running.join_next().await.is_some() {} };
        tokio::select! {
            () = all_done => {}
            () = worker::deadline_passed(phase, SPOOL_GRACE) => {}
        }
        self.running.abort_all();
        self.recoveries.abort_all();
    }
}

impl Background {
    /// Starts the exporters' workers, unless they run already: on the export threads
    /// (`on_threads`), else on the batcher's own runtime, as they are when the engine
    /// stops before its first batch with little left to send (the batch a short
    /// `run --wrap` records as it ends), or when the system refuses the threads.
    pub(super) fn start_exports(&self, out: &mut Outbox, on_threads: bool) {
        let lanes = match std::mem::replace(&mut out.exports, Exports::Batcher(Tasks::default())) {
            Exports::NotYet(lanes) => lanes,
            started => {
                out.exports = started;
                return;
            }
        };
        let threads = on_threads
            .then(|| {
                worker::export_runtime()
                    .inspect_err(|err| {
                        crate::stderr::line(&format!(
                            "automagik-tracing: cannot start the export threads, delivering on the engine's thread: {err}"
                        ));
                    })
                    .ok()
            })
            .flatten();
        let mut tasks = Tasks::default();
        let handle = threads
            .as_ref()
            .map_or_else(Handle::current, |t| t.handle().clone());
        self.start_workers(lanes, &out.spool, &handle, &mut tasks);
        out.exports = match threads {
            Some(threads) => {
                out.converter =
                    Converter::new(self.masks.clone(), self.encoded_ahead(), Some(handle));
                Exports::Threads(threads, tasks)
            }
            None => Exports::Batcher(tasks),
        };
    }

    /// A worker per exporter on `runtime`, and beside it (while the engine runs) the
    /// background delivery of what its spool holds (which ends when the engine begins to
    /// stop: the run never waits for it).
    fn start_workers(
        &self,
        lanes: Vec<fanout::Lane>,
        spool: &SpoolQueue,
        runtime: &Handle,
        tasks: &mut Tasks,
    ) {
        let running = *self.phase.borrow() == Phase::Running;
        for ((index, exporter), lane) in self.exporters.iter().enumerate().zip(lanes) {
            let wake: Option<Arc<tokio::sync::Notify>> = recovery::data_dir(&self.options)
                .filter(|_| running)
                .map(|_| Arc::default());
            let worker = worker::Worker {
                exporter: exporter.clone(),
                metrics: self.metrics.clone(),
                index,
                retry: self.options.retry,
                phase: self.phase.subscribe(),
                breaker: Default::default(),
                spool: spool.clone(),
                recovery: wake.clone(),
                delivered_once: Default::default(),
            };
            tasks.running.spawn_on(worker.run(lane), runtime);
            if let Some(wake) = wake {
                let recovery = recovery::Recovery::new(
                    &self.options,
                    exporter.clone(),
                    index,
                    self.metrics.clone(),
                    wake,
                    self.phase.subscribe(),
                );
                tasks.recoveries.spawn_on(recovery.run(), runtime);
            }
        }
    }
}
