//! Masking, converting and encoding span batches off the batcher's thread: each batch is
//! masked, profiled and converted (once per mask group, `masking`) on the export
//! runtime's threads, and, for a group whose exporters send nothing but the protobuf
//! body, encoded in the same task span by span, without a request (`wire::encode_spans`:
//! the spans are freed as they are encoded, and the lanes hold bodies alone). The batcher starts up to
//! [`CONVERTING`] batches before it waits for the oldest and hands it to the lanes
//! (`fanout`), in order: two batches convert on two threads while it gathers the next.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::masking::MaskGroups;
use crate::export::{Budget, Payload};
use crate::span::Span;

/// Batches started and not yet handed on: one per export thread keeps both busy; more
/// would only hold more memory while a provider is slow.
pub const CONVERTING: usize = super::worker::EXPORT_THREADS;

/// A converted batch: its span count, and per mask group (in [`MaskGroups`] order) its
/// payload and the spans that could not be masked. No groups when the conversion
/// panicked: then every span of the batch is lost, and counted.
pub struct Done {
    pub count: u64,
    pub groups: Vec<(Arc<Payload>, u64)>,
}

/// Where batches are converted.
pub struct Converter {
    masks: Arc<MaskGroups>,
    /// Per mask group: whether its payload is encoded at once, without a request.
    ahead: Arc<[bool]>,
    /// The export runtime; `None` (no export threads) converts on the caller's thread.
    pool: Option<Handle>,
}

/// A batch being converted; [`Pending::done`] waits for it.
pub struct Pending {
    rx: oneshot::Receiver<Done>,
    count: u64,
}

impl Pending {
    /// The converted batch. Cancel-safe: awaited again, it still comes.
    pub async fn done(&mut self) -> Done {
        // The sender answers even when the conversion panics; a pool shut down under it
        // drops the task, and then the batch is lost as well, counted.
        (&mut self.rx).await.unwrap_or(Done {
            count: self.count,
            groups: Vec::new(),
        })
    }
}

impl Converter {
    /// `ahead` says, per mask group, whether every exporter of it sends the body only.
    pub fn new(masks: Arc<MaskGroups>, ahead: Vec<bool>, pool: Option<Handle>) -> Converter {
        Converter {
            masks,
            ahead: ahead.into(),
            pool,
        }
    }

    /// Starts masking and converting `spans` on the pool, each group's payload within
    /// the next of `budgets`.
    pub fn start(
        &self,
        spans: Vec<Span>,
        budgets: impl Iterator<Item = Budget> + Send + 'static,
    ) -> Pending {
        let count = spans.len() as u64;
        let (tx, rx) = oneshot::channel();
        let sender = Sender {
            tx: Some(tx),
            count,
            groups: Vec::new(),
        };
        let (masks, ahead) = (self.masks.clone(), self.ahead.clone());
        let convert = move || {
            let groups = masks.convert(spans, budgets, &ahead);
            sender.send(groups.into_iter().map(|g| (g.payload, g.failed)).collect());
        };
        match &self.pool {
            Some(pool) => drop(pool.spawn(async move { convert() })),
            None => convert(),
        }
        Pending { rx, count }
    }

    /// `spans` masked and converted on the pool (see [`start`](Self::start)).
    #[cfg(test)]
    pub async fn convert(
        &self,
        spans: Vec<Span>,
        budgets: impl Iterator<Item = Budget> + Send + 'static,
    ) -> Done {
        self.start(spans, budgets).done().await
    }
}

/// Sends the conversion's result when dropped: after it ran, or when it panicked (with
/// no groups), so the batcher never waits for a conversion that will not come.
struct Sender {
    tx: Option<oneshot::Sender<Done>>,
    count: u64,
    groups: Vec<(Arc<Payload>, u64)>,
}

impl Sender {
    fn send(mut self, groups: Vec<(Arc<Payload>, u64)>) {
        self.groups = groups;
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Done {
                count: self.count,
                groups: std::mem::take(&mut self.groups),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::MaskPlan;
    use crate::profile::ProfilePlan;
    use crate::span::{Resource, Scope};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    fn spans(n: usize) -> Vec<Span> {
        let resource = Arc::new(Resource::service("t"));
        let scope = Arc::new(Scope::default());
        (0..n)
            .map(|i| Span::start(format!("s{i}"), None, resource.clone(), scope.clone()))
            .collect()
    }

    fn groups() -> Arc<MaskGroups> {
        Arc::new(MaskGroups::new(
            &MaskPlan::default(),
            &ProfilePlan::default(),
            ["a", "b"],
        ))
    }

    fn pool() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("conversion-pool")
            .build()
            .unwrap()
    }

    fn batcher() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn batches_are_converted_on_the_pool_not_the_batchers_thread() {
        let pool = pool();
        let converter = Converter::new(groups(), vec![false], Some(pool.handle().clone()));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let total = Arc::new(AtomicU64::new(0));
        for n in [3, 5] {
            let (threads, total) = (threads.clone(), total.clone());
            // The budgets are taken as the batch is converted: they say where that ran.
            let budgets = std::iter::repeat_with(move || {
                let name = std::thread::current().name().map(str::to_string);
                threads.lock().unwrap().push(name);
                Budget::counting(total.clone(), 1)
            });
            let done = batcher().block_on(converter.convert(spans(n), budgets));
            assert_eq!(done.count, n as u64);
            assert_eq!(done.groups.len(), 1, "one group: no masking");
            assert_eq!(done.groups[0].0.span_count(), n);
        }
        let threads = threads.lock().unwrap();
        assert_eq!(threads.len(), 2);
        assert!(
            threads
                .iter()
                .all(|t| t.as_deref() == Some("conversion-pool")),
            "converted on {threads:?}"
        );
    }

    #[test]
    fn a_second_batch_converts_while_the_first_still_does() {
        let pool = pool();
        let converter = Converter::new(groups(), vec![false], Some(pool.handle().clone()));
        let total = Arc::new(AtomicU64::new(0));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let first_total = total.clone();
        // The first batch's conversion waits (in taking its budget) for the second's.
        let held_back = std::iter::repeat_with(move || {
            held.recv_timeout(std::time::Duration::from_secs(10))
                .expect("released once the second batch is converted");
            Budget::counting(first_total.clone(), 1)
        });
        let mut first = converter.start(spans(3), held_back);
        let second_total = total.clone();
        let budgets = std::iter::repeat_with(move || Budget::counting(second_total.clone(), 1));
        let mut second = converter.start(spans(5), budgets);
        let batcher = batcher();
        let second = batcher.block_on(second.done());
        assert_eq!((second.count, second.groups.len()), (5, 1));
        release.send(()).unwrap();
        let first = batcher.block_on(first.done());
        assert_eq!(
            (first.count, first.groups.len()),
            (3, 1),
            "converted, not lost"
        );
    }

    #[test]
    fn a_batch_for_body_only_exporters_comes_back_encoded_without_its_request() {
        let pool = pool();
        for ahead in [false, true] {
            let converter = Converter::new(groups(), vec![ahead], Some(pool.handle().clone()));
            let total = Arc::new(AtomicU64::new(0));
            let counted = total.clone();
            let budgets = std::iter::repeat_with(move || Budget::counting(counted.clone(), 1));
            let batch = spans(4);
            let expected = crate::span::to_request(&batch);
            let done = batcher().block_on(converter.convert(batch, budgets));
            let counted_when_converted = total.load(Relaxed);
            let payload = &done.groups[0].0;
            // The budget counts the body from when it is encoded.
            let body = payload.protobuf().len() as u64;
            let encoded = if ahead { 1 + body } else { 1 };
            assert_eq!(counted_when_converted, encoded, "encoded ahead: {ahead}");
            assert_eq!(payload.request(), &expected, "decoded back when let go");
            drop(done);
            assert_eq!(total.load(Relaxed), 0);
        }
    }

    #[test]
    fn a_conversion_that_panics_comes_back_empty_instead_of_never() {
        let pool = pool();
        let converter = Converter::new(groups(), vec![false], Some(pool.handle().clone()));
        let budgets = std::iter::repeat_with(|| panic!("a conversion that fails"));
        let done = batcher().block_on(converter.convert(spans(4), budgets));
        assert_eq!(done.count, 4);
        assert!(done.groups.is_empty(), "nothing to send: counted as lost");
    }

    #[test]
    fn without_a_pool_the_batch_is_converted_on_the_callers_thread() {
        let converter = Converter::new(groups(), vec![false], None);
        let total = Arc::new(AtomicU64::new(0));
        let budgets = std::iter::repeat_with(move || Budget::counting(total.clone(), 1));
        let done = batcher().block_on(converter.convert(spans(2), budgets));
        assert_eq!(done.count, 2);
        assert_eq!(done.groups.len(), 1);
    }
}
