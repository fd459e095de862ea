//! `run`'s whole-trace sampling: below a sample rate of 1, the wrapper holds each trace's
//! spans until the run ends or the trace has been idle for [`IDLE`], and decides each
//! trace once: kept whole when one of its spans failed or was slow, otherwise by the
//! trace-id rule head sampling uses ([`Intake::trace_sampled`]), so the library and the
//! wrapper keep the same traces at the same rate. No kept trace misses a parent (but
//! under the fallback below).
//!
//! A trace is the child's own, before adoption: an adopted trace hangs under the run span,
//! so keeping one keeps the run span. The run's own trace (the run span and what the child
//! sent under `TRACEPARENT`) is held until the run ends, when its root ends; the run
//! span's own length never makes it slow (it lasts as long as the command), its failure
//! does. Held spans count in the engine queue's bounds; a span that does not fit is
//! decided by the head rule at once (left out, as neither sampled, failed nor slow) and
//! counted (`sampled_without_holding`): should its trace fail later, it is missing there.
//!
//! At a rate of 1 nothing is held: [`WholeTraces::start`] returns `None`.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::engine::intake::{Intake, approx_size};
use crate::engine::{Engine, Recorder};
use crate::span::{Span, TraceId};

/// A trace with no new span for this long is decided. The OpenTelemetry SDKs export every
/// 5 s (`OTEL_BSP_SCHEDULE_DELAY`), so a trace still running has sent something within
/// twice that; a longer wait only holds memory.
pub const IDLE: Duration = Duration::from_secs(10);
/// How often idle traces are looked for.
const TICK: Duration = Duration::from_secs(1);
/// Decisions remembered for spans that arrive after their trace was decided; the oldest
/// are forgotten first.
const DECISIONS_REMEMBERED: usize = 65_536;

/// Where held spans' bytes are counted: the engine queue's byte budget, in a run.
pub trait Room {
    /// Takes `bytes`, or answers `false` and takes nothing.
    fn reserve(&self, bytes: u64) -> bool;
}

impl Room for Recorder {
    fn reserve(&self, bytes: u64) -> bool {
        Recorder::reserve(self, bytes)
    }
}

/// What decisions let go: the spans kept, how many were left out, and the bytes they held.
#[derive(Debug, Default)]
pub struct Released {
    /// Spans of kept traces, to hand on.
    pub kept: Vec<Span>,
    /// Spans left out by sampling.
    pub dropped: u64,
    /// Bytes the released spans held in the budget ([`Room::reserve`]d), to give back.
    pub bytes: u64,
    /// Spans decided by the head rule because they could not be held.
    pub unheld: u64,
}

/// One held trace: none of its spans failed or was slow so far, and its id is not sampled.
struct Held {
    spans: Vec<Span>,
    bytes: u64,
    last_seen: Instant,
}

/// The held traces and the decisions made; pure logic, the clock given by the caller.
///
/// A trace whose id is sampled, or that holds a failed or slow span, is kept as soon as
/// that is known (what it held goes on, the rest follows as it arrives); only the others
/// are held, to be left out once idle or at the run's end.
pub struct Holder {
    intake: Intake,
    run_trace: TraceId,
    adopting: bool,
    max_spans: usize,
    held: HashMap<TraceId, Held>,
    held_spans: usize,
    decided: HashMap<TraceId, bool>,
    decided_order: VecDeque<TraceId>,
    /// A kept span hangs under the run span: it is kept whatever its trace's decision.
    run_span_needed: bool,
}

impl Holder {
    /// Decides with `intake`'s rules; `run_trace` is the run span's trace, held until
    /// [`Holder::finish`]; other traces are adopted under the run span when `adopting`;
    /// at most `max_spans` are held at once.
    pub fn new(intake: Intake, run_trace: TraceId, adopting: bool, max_spans: usize) -> Holder {
        Holder {
            intake,
            run_trace,
            adopting,
            max_spans,
            held: HashMap::new(),
            held_spans: 0,
            decided: HashMap::new(),
            decided_order: VecDeque::new(),
            run_span_needed: false,
        }
    }

    /// Takes spans as they arrive: kept at once (their trace is kept), left out (their
    /// trace was), or held; a span that does not fit the bounds is decided by the head
    /// rule and counted.
    pub fn offer(&mut self, spans: Vec<Span>, now: Instant, room: &dyn Room, out: &mut Released) {
        for span in spans {
            let trace = span.trace_id;
            if let Some(&kept) = self.decided.get(&trace) {
                self.late(span, kept, out);
            } else if self.intake.trace_sampled(&trace) || self.notable(&span) {
                self.settle(trace, true, out);
                out.kept.push(span);
            } else {
                let size = approx_size(&span) as u64;
                if self.held_spans < self.max_spans && room.reserve(size) {
                    self.hold(span, size, now);
                } else {
                    // The head rule: neither sampled nor failed nor slow.
                    out.unheld += 1;
                    out.dropped += 1;
                }
            }
        }
    }

    fn notable(&self, span: &Span) -> bool {
        self.intake.failed(span) || self.intake.slow(span)
    }

    fn hold(&mut self, span: Span, size: u64, now: Instant) {
        let held = self.held.entry(span.trace_id).or_insert_with(|| Held {
            spans: Vec::new(),
            bytes: 0,
            last_seen: now,
        });
        held.spans.push(span);
        held.bytes += size;
        held.last_seen = now;
        self.held_spans += 1;
    }

    /// A span of a trace already decided follows the decision; a failed or slow root of a
    /// dropped trace is kept too, as it misses no parent.
    fn late(&mut self, span: Span, kept: bool, out: &mut Released) {
        if kept || (span.parent_span_id.is_none() && self.notable(&span)) {
            self.note_kept(&span.trace_id);
            out.kept.push(span);
        } else {
            out.dropped += 1;
        }
    }

    /// Leaves out the traces other than the run's that have been idle for [`IDLE`].
    pub fn decide_idle(&mut self, now: Instant, out: &mut Released) {
        let idle: Vec<TraceId> = self
            .held
            .iter()
            .filter(|(trace, held)| {
                **trace != self.run_trace && now.duration_since(held.last_seen) >= IDLE
            })
            .map(|(trace, _)| *trace)
            .collect();
        for trace in idle {
            self.settle(trace, false, out);
        }
    }

    /// The run has ended with `run_span`: leaves out every trace still held, keeps the
    /// run's trace when it is kept or the run failed, and hands the run span on when its
    /// trace is kept or a kept span hangs under it.
    pub fn finish(&mut self, run_span: Span, out: &mut Released) {
        let others: Vec<TraceId> = self
            .held
            .keys()
            .filter(|t| **t != self.run_trace)
            .copied()
            .collect();
        for trace in others {
            self.settle(trace, false, out);
        }
        let kept = self.decided.get(&self.run_trace).copied().unwrap_or(false)
            || self.intake.failed(&run_span)
            || self.intake.trace_sampled(&self.run_trace);
        self.settle(self.run_trace, kept, out);
        if kept || self.run_span_needed {
            out.kept.push(run_span);
        } else {
            out.dropped += 1;
        }
    }

    /// Decides `trace` (once) and lets go of what it held.
    fn settle(&mut self, trace: TraceId, kept: bool, out: &mut Released) {
        if kept {
            self.note_kept(&trace);
        }
        if !self.decided.contains_key(&trace) {
            self.remember(trace, kept);
        }
        let Some(held) = self.held.remove(&trace) else {
            return;
        };
        self.held_spans -= held.spans.len();
        out.bytes += held.bytes;
        if kept {
            out.kept.extend(held.spans);
        } else {
            out.dropped += held.spans.len() as u64;
        }
    }

    /// A kept span of an adopted trace, or of the run's, hangs under the run span.
    fn note_kept(&mut self, trace: &TraceId) {
        if *trace == self.run_trace || self.adopting {
            self.run_span_needed = true;
        }
    }

    fn remember(&mut self, trace: TraceId, kept: bool) {
        if self.decided_order.len() >= DECISIONS_REMEMBERED
            && let Some(oldest) = self.decided_order.pop_front()
        {
            self.decided.remove(&oldest);
        }
        self.decided.insert(trace, kept);
        self.decided_order.push_back(trace);
    }
}

/// Where kept spans go: adopted, marked and recorded with [`Recorder::record_sampled`].
pub type Forward = Arc<dyn Fn(Vec<Span>, u64) + Send + Sync>;

/// The holder at work in a run: fed by the receiver, idle traces decided by a ticker
/// thread, everything decided by [`WholeTraces::finish`] before the engine shuts down.
pub struct WholeTraces {
    shared: Arc<Shared>,
    ticker: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
}

struct Shared {
    holder: Mutex<Holder>,
    recorder: Recorder,
    forward: Forward,
}

impl WholeTraces {
    /// Holds the traces of a run whose span is in `run_trace`, when `engine` samples
    /// (`None` at a rate of 1: nothing is held, nothing costs).
    pub fn start(
        engine: &Engine,
        run_trace: TraceId,
        adopting: bool,
        forward: Forward,
    ) -> Option<WholeTraces> {
        let recorder = engine.recorder();
        if recorder.intake().samples_all() {
            return None;
        }
        let holder = Holder::new(
            recorder.intake().clone(),
            run_trace,
            adopting,
            recorder.max_spans(),
        );
        let shared = Arc::new(Shared {
            holder: Mutex::new(holder),
            recorder,
            forward,
        });
        let (stop, stopped) = mpsc::channel();
        let ticking = shared.clone();
        // Without the ticker, idle traces wait for the run's end: later, not lost.
        let ticker = std::thread::Builder::new()
            .name("automagik-sampler".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    ticking.release(|holder, out| holder.decide_idle(Instant::now(), out));
                }
            })
            .ok()
            .map(|thread| (stop, thread));
        Some(WholeTraces {
            shared,
            ticker: Mutex::new(ticker),
        })
    }

    /// Takes spans the receiver got.
    pub fn offer(&self, spans: Vec<Span>) {
        let room = &self.shared.recorder;
        self.shared
            .release(|holder, out| holder.offer(spans, Instant::now(), room, out));
    }

    /// Decides everything held and hands on what is kept, the run span with it.
    pub fn finish(&self, run_span: Span) {
        if let Some((stop, thread)) = crate::sync::lock(&self.ticker).take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        self.shared
            .release(|holder, out| holder.finish(run_span, out));
    }
}

impl Shared {
    /// Runs `decide` on the holder, then, outside the lock, gives back the bytes released,
    /// counts what was left out and hands on what was kept.
    fn release(&self, decide: impl FnOnce(&mut Holder, &mut Released)) {
        let mut out = Released::default();
        decide(&mut crate::sync::lock(&self.holder), &mut out);
        self.recorder.release(out.bytes);
        if out.dropped > 0 {
            self.recorder.count_sampled_out(out.dropped);
        }
        if out.unheld > 0 {
            self.recorder.count_sampled_without_holding(out.unheld);
        }
        if !out.kept.is_empty() {
            (self.forward)(out.kept, 0);
        }
    }
}

#[cfg(test)]
mod tests;
