//! The hand-over from the batcher to the exporters: one small queue (a lane) per
//! exporter. The batcher waits briefly when a healthy exporter's lane is full, so a burst
//! is paced by the exporters instead of spilling to disk; an exporter that stays full
//! longer than [`ROOM_WAIT`] is behind, and its batches go to its spool until it takes
//! one again. Pacing lasts only while the engine has memory to spare: once the spans it
//! holds pass half its byte cap, the batcher waits only when every lane is full, so a
//! slow exporter's batches go to its spool rather than the producers' spans being
//! dropped for everyone.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};

use super::metrics::reason;
use super::spooler::SpoolQueue;
use super::worker::Phase;
use crate::export::Payload;

/// Batches waiting per exporter (besides the one it is sending). Small, so the memory a
/// dead provider can hold stays close to the queue's byte cap.
pub const LANE_BATCHES: usize = 4;
/// How long the batcher waits for room in full lanes before it counts their exporters
/// as behind. A healthy exporter takes its next batch within one export, a fraction of
/// a second even for a provider across an ocean; a stuck one (it accepts and never
/// answers) costs the batcher this much once, and is then not waited for until it takes
/// a batch again. Meanwhile the span queue, bounded as always, takes the producers' spans.
pub const ROOM_WAIT: Duration = Duration::from_secs(1);

/// The batcher's side.
pub struct FanOut {
    lanes: Vec<LaneSender>,
    room: Arc<Notify>,
    spool: SpoolQueue,
    /// A wait never runs past the shutdown deadline, set while it waits.
    phase: watch::Receiver<Phase>,
    pressure: Pressure,
}

/// The bytes the engine holds against its cap: past half of it, the batcher stops
/// pacing itself by exporters that are merely slower than the others.
pub struct Pressure {
    pub held: Arc<AtomicU64>,
    pub max: u64,
}

impl Pressure {
    fn high(&self) -> bool {
        self.held.load(Relaxed) > self.max / 2
    }
}

struct LaneSender {
    tx: mpsc::Sender<Arc<Payload>>,
    taken: Arc<AtomicU64>,
    /// `taken` when a wait for this lane last ran out: while the count is unchanged the
    /// exporter has not moved since, and the batcher does not wait for it again.
    behind_at: Cell<Option<u64>>,
}

/// An exporter's side: its batches, and a word to the batcher each time it takes one.
pub struct Lane {
    rx: mpsc::Receiver<Arc<Payload>>,
    taken: Arc<AtomicU64>,
    room: Arc<Notify>,
}

impl Lane {
    /// The next batch; `None` once the batcher is done and the lane is empty.
    pub async fn next(&mut self) -> Option<Arc<Payload>> {
        let batch = self.rx.recv().await;
        self.taken.fetch_add(1, Relaxed);
        self.room.notify_one();
        batch
    }
}

impl FanOut {
    /// A lane for each of `exporters`; what cannot be queued goes to `spool`.
    pub fn new(
        exporters: usize,
        spool: SpoolQueue,
        phase: watch::Receiver<Phase>,
        pressure: Pressure,
    ) -> (FanOut, Vec<Lane>) {
        let room = Arc::new(Notify::new());
        let (lanes, receivers) = (0..exporters)
            .map(|_| {
                let (tx, rx) = mpsc::channel(LANE_BATCHES);
                let taken = Arc::new(AtomicU64::new(0));
                let sender = LaneSender {
                    tx,
                    taken: taken.clone(),
                    behind_at: Cell::new(None),
                };
                let lane = Lane {
                    rx,
                    taken,
                    room: room.clone(),
                };
                (sender, lane)
            })
            .unzip();
        let fan_out = FanOut {
            lanes,
            room,
            spool,
            phase,
            pressure,
        };
        (fan_out, receivers)
    }

    /// Waits, at most until `until` (or the shutdown deadline, if sooner), while a full
    /// lane belongs to an exporter not known to be behind (under memory pressure: while
    /// every lane is full and one of them is not behind). Lanes still full when the wait
    /// runs out are marked behind.
    pub async fn wait_for_room(&self, mut until: Instant) {
        let mut phase = self.phase.clone();
        loop {
            let stopping = match *phase.borrow_and_update() {
                Phase::Stopping { deadline } => {
                    until = until.min(deadline);
                    true
                }
                Phase::Running => false,
            };
            let full = |lane: &&LaneSender| lane.tx.capacity() == 0;
            let waiting_for = |lane: &LaneSender| lane.tx.capacity() == 0 && !lane.is_behind();
            let pace = if self.pressure.high() {
                self.lanes.iter().all(|lane| lane.tx.capacity() == 0)
                    && self.lanes.iter().any(waiting_for)
            } else {
                self.lanes.iter().any(waiting_for)
            };
            if !pace {
                return;
            }
            tokio::select! {
                () = self.room.notified() => {}
                _ = phase.changed(), if !stopping => {}
                () = tokio::time::sleep_until(until.into()) => {
                    for lane in self.lanes.iter().filter(full) {
                        lane.behind_at.set(Some(lane.taken.load(Relaxed)));
                    }
                    return;
                }
            }
        }
    }

    /// Queues `payload` for exporter `index`, or spools it when that lane is full.
    pub fn send(&self, index: usize, payload: &Arc<Payload>) {
        if self.lanes[index].tx.try_send(payload.clone()).is_err() {
            self.spool
                .keep(index, payload.clone(), reason::EXPORTER_QUEUE_FULL);
        }
    }
}

impl LaneSender {
    fn is_behind(&self) -> bool {
        self.behind_at.get() == Some(self.taken.load(Relaxed))
    }
}
