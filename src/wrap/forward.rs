//! The receiver's sink for a traced run: what the command's SDK sends goes through the
//! coding agent's translator (when the command is one), is counted for usage telemetry,
//! then held for whole-trace sampling ([`WholeTraces`]) or handed on at once: adopted
//! under the run span and recorded; the run's session and user are set before. Log records
//! and metrics have a sink of their own (`records_to`): adopted with their trace, then the
//! engine.
//!
//! The run's first model call loads genai-prices' data (beside the receiver, see
//! `semantic::totals`), which stays until the wrapper exits: what it takes is counted in
//! the queue's byte budget from then on ([`PRICE_DATA_BYTES`]), so the wrapper's memory
//! stays within the queue's cap plus what it takes whatever the command sends.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::engine::Engine;
use crate::export::Records;
use crate::semantic::MeaningRef;
use crate::span::Span;
use crate::wrap::agents::{Agent, RunIds, Translated, Translator, log_events};
use crate::wrap::receiver::{LogTap, RecordSink, SpanSink};
use crate::wrap::sampling::{Forward as HandOn, WholeTraces};
use crate::wrap::session::{Observer, RunSpec, Who};
use crate::wrap::{adopt, adopt_records};

/// What genai-prices' bundled price data takes in memory once loaded: measured 9.5 MiB
/// (release build; about twice that for the moment it loads). Counted in the queue's
/// budget when the queue is at least twice as large.
pub(super) const PRICE_DATA_BYTES: u64 = 10 * 1024 * 1024;

/// The receiver's sink: translates an agent's telemetry, counts for usage telemetry,
/// adopts, and records.
pub(super) struct Forward {
    /// Holds traces for whole-trace sampling below a rate of 1.
    pub(super) sampling: Option<Arc<WholeTraces>>,
    /// Where kept spans go: adopted, marked and recorded ([`hand_on`]).
    pub(super) hand_on: HandOn,
    /// Counts the run's model calls (before sampling: a call costs whether kept or not).
    pub(super) recorder: crate::engine::Recorder,
    pub(super) observer: Option<Observer>,
    /// The run's session and user, set on spans that name none.
    pub(super) who: Who,
    /// The coding agent the command runs, and its translator.
    pub(super) agent: Option<Agent>,
    pub(super) translator: Option<Mutex<Box<dyn Translator>>>,
    /// Whether the price data's memory is counted in the queue's budget yet.
    pub(super) prices_counted: AtomicBool,
}

impl Forward {
    /// The sink of a traced run of `spec` under `run` (its run span); kept spans go to
    /// `hand_on`, through `sampling` when it holds traces.
    pub(super) fn new(
        engine: &Engine,
        run: &Span,
        spec: &RunSpec,
        observer: Option<Observer>,
        sampling: Option<Arc<WholeTraces>>,
        hand_on: HandOn,
    ) -> Arc<Forward> {
        let ids = RunIds {
            trace_id: run.trace_id,
            run_span: run.span_id,
        };
        Arc::new(Forward {
            sampling,
            hand_on,
            recorder: engine.recorder(),
            observer,
            who: spec.who.clone(),
            agent: spec.agent.map(|(agent, _)| agent),
            translator: spec
                .agent
                .map(|(agent, _)| Mutex::new(agent.translator(ids))),
            prices_counted: AtomicBool::new(false),
        })
    }

    /// What the receiver is given: the span sink, and a log tap when an agent's
    /// translator reads its events.
    pub(super) fn sinks(self: &Arc<Self>) -> (SpanSink, Option<LogTap>) {
        let spans = self.clone();
        let tap = self.translator.is_some().then(|| {
            let logs = self.clone();
            Arc::new(move |request: &ExportLogsServiceRequest| logs.tap(request)) as LogTap
        });
        (
            Arc::new(move |batch: Vec<Span>, held: u64| spans.take(batch, held)),
            tap,
        )
    }

    /// A span batch from the receiver, and the bytes of the queue's budget taken for it
    /// (recorded against them, what is left given back).
    pub(super) fn take(&self, spans: Vec<Span>, held: u64) {
        let spans = match &self.translator {
            Some(translator) => crate::sync::lock(translator).spans(spans),
            None => spans,
        };
        self.record(spans, held);
    }

    /// A logs request from the receiver: read by the translator.
    pub(super) fn tap(&self, request: &ExportLogsServiceRequest) {
        if let Some(translator) = &self.translator {
            let events = log_events(request);
            let spans = crate::sync::lock(translator).logs(&events);
            self.record(spans, 0);
        }
    }

    /// Records what the translator still holds; what it did.
    pub(super) fn finish(&self) -> Option<(Agent, Translated)> {
        let translator = self.translator.as_ref()?;
        let (spans, tally) = {
            let mut translator = crate::sync::lock(translator);
            (translator.finish(), translator.tally())
        };
        self.record(spans, 0);
        Some((self.agent?, tally))
    }

    /// Reads what each span means once, for the three that ask (usage telemetry, the
    /// run's model calls, the run's session and user), then holds or hands them on. The
    /// meanings borrow the spans' texts: each of the three copies only what it keeps (a
    /// call's model once a run, an agent's name once), so a span costs no allocation here.
    fn record(&self, mut spans: Vec<Span>, held: u64) {
        if spans.is_empty() {
            self.recorder.release(held);
            return;
        }
        let meanings: Vec<MeaningRef<'_>> = spans.iter().map(crate::semantic::read_ref).collect();
        if let Some(observer) = &self.observer {
            crate::sync::lock(observer).observe_read(&spans, &meanings);
        }
        // Most spans of most commands are no model call: their batch takes no lock.
        if meanings.iter().any(MeaningRef::is_call) {
            self.count_price_data();
            self.recorder.count_gen_ai(&spans, &meanings);
        }
        let missing = self.who.missing(&meanings);
        drop(meanings);
        self.who.mark_missing(&mut spans, &missing);
        match &self.sampling {
            Some(sampling) => {
                self.recorder.release(held);
                sampling.offer(spans);
            }
            None => (self.hand_on)(spans, held),
        }
    }
}

impl Forward {
    /// Takes [`PRICE_DATA_BYTES`] of the queue's budget, once, as a model call is about to
    /// load the price data; never with a queue smaller than twice that, where it would
    /// leave little room. Taken only while the queue has room for it beside the largest
    /// request the receiver admits (half the queue): the spans at hand were admitted for
    /// room they have not taken yet, and must not find it gone. Else it is taken at a
    /// later call, once the queue has drained.
    fn count_price_data(&self) {
        let room = self.recorder.room();
        if room.max_bytes < 2 * PRICE_DATA_BYTES
            || room.bytes < PRICE_DATA_BYTES + room.max_bytes / 2
            || self.prices_counted.load(Relaxed)
        {
            return;
        }
        let first = self
            .prices_counted
            .compare_exchange(false, true, Relaxed, Relaxed)
            .is_ok();
        if first && !self.recorder.reserve(PRICE_DATA_BYTES) {
            self.prices_counted.store(false, Relaxed);
        }
    }
}

/// Where the child's kept spans go: adopted and recorded as sampled (by [`WholeTraces`],
/// or every trace is kept at a rate of 1).
pub(super) fn hand_on(engine: &Engine, span: &Span, adopting: bool) -> HandOn {
    let recorder = engine.recorder();
    let (trace_id, run_span) = (span.trace_id, span.span_id);
    Arc::new(move |mut spans: Vec<Span>, mut held: u64| {
        if adopting {
            adopt(&mut spans, trace_id, run_span);
        }
        for s in spans {
            recorder.record_held(s, &mut held);
        }
        recorder.release(held);
    })
}

/// Sinks that keep nothing of what the receiver takes in (it still counts it).
pub(super) fn discard() -> (SpanSink, RecordSink, Option<LogTap>) {
    (
        // A discarding run has no queue: nothing is held.
        Arc::new(|_spans: Vec<Span>, _held: u64| {}),
        Arc::new(|_records: Records, _held: u64| {}),
        None,
    )
}

/// The receiver's sink for log records and metrics: log records of a trace that is
/// adopted move with its spans (same span ids, the run's trace id), then the engine.
pub(super) fn records_to(engine: &Engine, span: &Span, adopting: bool) -> RecordSink {
    let recorder = engine.recorder();
    let trace_id = span.trace_id;
    Arc::new(move |mut records: Records, held: u64| {
        if adopting {
            adopt_records(&mut records, trace_id);
        }
        recorder.record_records_held(records, held);
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::semantic::READS;
    use crate::telemetry::derive::RunObserver;
    use crate::wrap::who::tests::span_with as span;

    #[test]
    fn each_span_is_read_once_for_telemetry_the_run_totals_and_its_session() {
        let engine = Engine::start_with(Vec::new(), crate::engine::tests::options()).unwrap();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let into = kept.clone();
        let observer: Observer = Arc::new(Mutex::new(RunObserver::default()));
        let forward = Forward {
            sampling: None,
            hand_on: Arc::new(move |spans: Vec<Span>, _held| {
                crate::sync::lock(&into).extend(spans)
            }),
            recorder: engine.recorder(),
            observer: Some(observer.clone()),
            who: Who {
                session: Some("s-1".into()),
                user: None,
            },
            agent: None,
            translator: None,
            prices_counted: AtomicBool::new(false),
        };
        let llm = [
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.request.model", "gpt-4o"),
        ];
        let spans = vec![span(&llm), span(&[]), span(&[("session.id", "theirs")])];
        READS.with(|reads| reads.set(0));
        forward.take(spans, 0);
        assert_eq!(READS.with(|reads| reads.get()), 3, "one read per span");
        let kept = crate::sync::lock(&kept);
        let sessions: Vec<_> = kept.iter().map(|s| s.attribute("session.id")).collect();
        let ours = Some(&crate::span::Value::from("s-1"));
        let theirs = Some(&crate::span::Value::from("theirs"));
        assert_eq!(sessions, [ours, ours, theirs]);
        let events = crate::sync::lock(&observer).events(1, true);
        let llm_count = events
            .iter()
            .flat_map(|(_, attrs)| attrs)
            .find(|(key, _)| key == "llm.count")
            .map(|(_, value)| format!("{value:?}"));
        let one = crate::telemetry::events::AttrValue::from(1u64);
        assert_eq!(llm_count, Some(format!("{one:?}")));
        let metrics = engine.shutdown(Duration::from_secs(1));
        assert_eq!(metrics.gen_ai.map(|t| t.calls), Some(1));
    }

    #[test]
    fn reading_a_model_call_for_telemetry_and_the_run_totals_allocates_nothing_per_span() {
        let engine = Engine::start_with(Vec::new(), crate::engine::tests::options()).unwrap();
        let observer: Observer = Arc::new(Mutex::new(RunObserver::default()));
        let forward = Forward {
            sampling: None,
            hand_on: Arc::new(|_spans: Vec<Span>, _held| {}),
            recorder: engine.recorder(),
            observer: Some(observer.clone()),
            who: Who::default(),
            agent: None,
            translator: None,
            prices_counted: AtomicBool::new(false),
        };
        let call = [
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.response.model", "gpt-4o-2024-08-06"),
            ("gen_ai.usage.input_tokens", "1200"),
            ("gen_ai.agent.name", "support-agent"),
            ("gen_ai.conversation.id", "conv-1"),
        ];
        let batch = || -> Vec<Span> { (0..64).map(|_| span(&call)).collect() };
        // The first call keeps the model's name and the agent's, and starts the price data.
        forward.take(batch(), 0);
        let spans = batch();
        let ((), allocations) =
            crate::engine::intake_heap_tests::allocations_of(|| forward.take(spans, 0));
        // The batch's meanings, and the calls kept to price growing: none per span.
        assert!(allocations <= 4, "{allocations} allocations for 64 spans");
        let events = crate::sync::lock(&observer).events(1, true);
        let run = format!(
            "{:?}",
            events.iter().map(|(_, attrs)| attrs).collect::<Vec<_>>()
        );
        let counted = crate::telemetry::events::AttrValue::from(128u64);
        assert!(
            run.contains(&format!("\"llm.count\", {counted:?}")),
            "{run}"
        );
        assert!(run.contains("openai"), "the framework is still read: {run}");
        let metrics = engine.shutdown(Duration::from_secs(1));
        assert_eq!(metrics.gen_ai.map(|t| t.calls), Some(128));
    }

    #[test]
    fn the_price_data_is_counted_in_the_queues_budget_once_from_the_first_model_call() {
        let options = crate::engine::EngineOptions {
            queue_max_bytes: 4 * PRICE_DATA_BYTES,
            ..crate::engine::tests::options()
        };
        let engine = Engine::start_with(Vec::new(), options).unwrap();
        let forward = Forward {
            sampling: None,
            hand_on: Arc::new(|_spans: Vec<Span>, _held| {}),
            recorder: engine.recorder(),
            observer: None,
            who: Who::default(),
            agent: None,
            translator: None,
            prices_counted: AtomicBool::new(false),
        };
        let room = || engine.recorder().room().bytes;
        forward.take(vec![span(&[("http.method", "GET")])], 0);
        assert_eq!(room(), 4 * PRICE_DATA_BYTES, "no model call, no price data");
        let llm = [
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.request.model", "gpt-4o"),
        ];
        // While the queue has not room for it beside half the queue, it waits.
        assert!(engine.recorder().reserve(2 * PRICE_DATA_BYTES));
        forward.take(vec![span(&llm)], 0);
        assert_eq!(room(), 2 * PRICE_DATA_BYTES);
        engine.recorder().release(2 * PRICE_DATA_BYTES);
        forward.take(vec![span(&llm)], 0);
        forward.take(vec![span(&llm), span(&llm)], 0);
        assert_eq!(room(), 3 * PRICE_DATA_BYTES);
        engine.shutdown(Duration::from_secs(1));
    }

    #[test]
    fn spans_enter_the_queue_against_the_room_held_for_them() {
        let max = 1_000_000;
        let options = crate::engine::EngineOptions {
            queue_max_bytes: max,
            ..crate::engine::tests::options()
        };
        let engine = Engine::start_with(Vec::new(), options).unwrap();
        let recorder = engine.recorder();
        let spans: Vec<Span> = (0..10).map(|_| span(&[("k", "v")])).collect();
        let need: u64 = spans
            .iter()
            .map(|s| crate::engine::intake::approx_size(s) as u64)
            .sum();
        // The receiver took a little more than the spans need before decoding them, and
        // other producers have taken every byte left since.
        assert!(recorder.reserve(need + 100));
        assert!(recorder.reserve(max - need - 100));
        hand_on(&engine, &span(&[]), false)(spans, need + 100);
        assert!(
            recorder.room().bytes >= 100,
            "what the spans left went back"
        );
        recorder.release(max - need - 100);
        let metrics = engine.shutdown(Duration::from_secs(1));
        assert_eq!((metrics.queued, metrics.dropped_queue_full), (10, 0));
    }
}
