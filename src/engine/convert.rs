//! Masking and converting span batches off the batcher's thread. The batcher only
//! gathers spans; each batch is masked, profiled and converted (once per mask group,
//! `masking`) on the export runtime's threads, beside the encoding of earlier batches,
//! and comes back to the batcher, which hands it to the lanes (`fanout`). So the
//! conversion no longer holds one core while the other waits for it. At most
//! [`CONVERSIONS_IN_FLIGHT`] batches are being converted at once: past that the batcher
//! waits for the oldest, as it waits for room in the lanes, and the memory held stays
//! within the byte budget that counts each batch until its payloads are gone.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::masking::MaskGroups;
use crate::export::{Budget, Payload};
use crate::span::Span;

/// Batches being converted at once, at most: one per export thread.
pub const CONVERSIONS_IN_FLIGHT: usize = super::worker::EXPORT_THREADS;

/// A converted batch: its span count, and per mask group (in [`MaskGroups`] order) its
/// payload and the spans that could not be masked. No groups when the conversion
/// panicked: then every span of the batch is lost, and counted.
pub struct Done {
    pub count: u64,
    pub groups: Vec<(Arc<Payload>, u64)>,
}

/// The batcher's side of the conversions under way.
pub struct Conversions {
    masks: Arc<MaskGroups>,
    /// Where conversions run; `None` (no export threads) converts on the caller's thread.
    pool: Option<Handle>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    in_flight: usize,
}

impl Conversions {
    pub fn new(masks: Arc<MaskGroups>, pool: Option<Handle>) -> Conversions {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Conversions {
            masks,
            pool,
            done_tx,
            done_rx,
            in_flight: 0,
        }
    }

    /// Starts converting `spans`, each group's payload within the next of `budgets`.
    pub fn start(
        &mut self,
        spans: Vec<Span>,
        budgets: impl Iterator<Item = Budget> + Send + 'static,
    ) {
        let sender = Sender {
            tx: self.done_tx.clone(),
            count: spans.len() as u64,
            groups: Vec::new(),
        };
        let masks = self.masks.clone();
        let convert = move || {
            let groups = masks.convert(spans, budgets);
            sender.send(groups.into_iter().map(|g| (g.payload, g.failed)).collect());
        };
        self.in_flight += 1;
        match &self.pool {
            Some(pool) => drop(pool.spawn(async move { convert() })),
            None => convert(),
        }
    }

    /// Conversions started and not yet taken with [`next`](Self::next).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The next finished conversion (in the order they finish); waits when none is,
    /// pending forever when none is under way. Cancel-safe: a select may drop it.
    pub async fn next(&mut self) -> Done {
        if self.in_flight == 0 {
            return std::future::pending().await;
        }
        // `self` holds a sender, so the channel never closes.
        let Some(done) = self.done_rx.recv().await else {
            return std::future::pending().await;
        };
        self.in_flight -= 1;
        done
    }
}

/// Sends the conversion's result when dropped: after it ran, or when it panicked (with
/// no groups), so the batcher never waits for a conversion that will not come.
struct Sender {
    tx: mpsc::UnboundedSender<Done>,
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
        let _ = self.tx.send(Done {
            count: self.count,
            groups: std::mem::take(&mut self.groups),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::MaskPlan;
    use crate::profile::ProfilePlan;
    use crate::span::{Resource, Scope};
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU64;

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

    #[test]
    fn batches_are_converted_on_the_pool_not_the_batchers_thread() {
        let pool = pool();
        let mut conversions = Conversions::new(groups(), Some(pool.handle().clone()));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let total = Arc::new(AtomicU64::new(0));
        for n in [3, 5] {
            let (threads, total) = (threads.clone(), total.clone());
            // The budgets are taken as the batch is converted: they say where that ran.
            conversions.start(
                spans(n),
                std::iter::repeat_with(move || {
                    let name = std::thread::current().name().map(str::to_string);
                    threads.lock().unwrap().push(name);
                    Budget::counting(total.clone(), 1)
                }),
            );
        }
        assert_eq!(conversions.in_flight(), 2);
        let batcher = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut counts: Vec<u64> = (0..2)
            .map(|_| {
                let done = batcher.block_on(conversions.next());
                assert_eq!(done.groups.len(), 1, "one group: no masking");
                assert_eq!(done.groups[0].0.span_count() as u64, done.count);
                done.count
            })
            .collect();
        counts.sort_unstable();
        assert_eq!(counts, [3, 5]);
        assert_eq!(conversions.in_flight(), 0);
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
    fn a_conversion_that_panics_comes_back_empty_instead_of_never() {
        let pool = pool();
        let mut conversions = Conversions::new(groups(), Some(pool.handle().clone()));
        conversions.start(
            spans(4),
            std::iter::repeat_with(|| panic!("a conversion that fails")),
        );
        let batcher = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let done = batcher.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(30), conversions.next()).await
        });
        let done = done.expect("the batcher is told");
        assert_eq!(done.count, 4);
        assert!(done.groups.is_empty(), "nothing to send: counted as lost");
    }

    #[test]
    fn without_a_pool_the_batch_is_converted_at_once() {
        let mut conversions = Conversions::new(groups(), None);
        let total = Arc::new(AtomicU64::new(0));
        conversions.start(
            spans(2),
            std::iter::repeat_with(move || Budget::counting(total.clone(), 1)),
        );
        let done = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(conversions.next());
        assert_eq!(done.count, 2);
        assert_eq!(done.groups.len(), 1);
    }
}
