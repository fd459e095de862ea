//! The receiver's sink for a traced run: what the command's SDK sends goes through the
//! coding agent's translator (when the command is one), is counted for usage telemetry,
//! then held for whole-trace sampling ([`WholeTraces`]) or handed on at once: adopted
//! under the run span, marked with the run's session and user, and recorded. Log records
//! and metrics have a sink of their own (`records_to`): adopted with their trace, then the
//! engine.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::engine::Engine;
use crate::export::Records;
use crate::span::Span;
use crate::wrap::agents::{Agent, RunIds, Translated, Translator, log_events};
use crate::wrap::receiver::{LogTap, RecordSink, SpanSink};
use crate::wrap::sampling::{Forward as HandOn, WholeTraces};
use crate::wrap::session::{Observer, RunSpec, Who};
use crate::wrap::{adopt, adopt_records};

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
    /// The coding agent the command runs, and its translator.
    pub(super) agent: Option<Agent>,
    pub(super) translator: Option<Mutex<Box<dyn Translator>>>,
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
            agent: spec.agent.map(|(agent, _)| agent),
            translator: spec
                .agent
                .map(|(agent, _)| Mutex::new(agent.translator(ids))),
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
        (Arc::new(move |batch: Vec<Span>| spans.take(batch)), tap)
    }

    /// A span batch from the receiver.
    pub(super) fn take(&self, spans: Vec<Span>) {
        let spans = match &self.translator {
            Some(translator) => crate::sync::lock(translator).spans(spans),
            None => spans,
        };
        self.record(spans);
    }

    /// A logs request from the receiver: read by the translator.
    pub(super) fn tap(&self, request: &ExportLogsServiceRequest) {
        if let Some(translator) = &self.translator {
            let events = log_events(request);
            let spans = crate::sync::lock(translator).logs(&events);
            self.record(spans);
        }
    }

    /// Records what the translator still holds; what it did.
    pub(super) fn finish(&self) -> Option<(Agent, Translated)> {
        let translator = self.translator.as_ref()?;
        let (spans, tally) = {
            let mut translator = crate::sync::lock(translator);
            (translator.finish(), translator.tally())
        };
        self.record(spans);
        Some((self.agent?, tally))
    }

    fn record(&self, spans: Vec<Span>) {
        if spans.is_empty() {
            return;
        }
        if let Some(observer) = &self.observer {
            crate::sync::lock(observer).observe(&spans);
        }
        self.recorder.count_gen_ai(&spans);
        match &self.sampling {
            Some(sampling) => sampling.offer(spans),
            None => (self.hand_on)(spans),
        }
    }
}

/// Where the child's kept spans go: adopted, marked with the run's session and user, and
/// recorded as sampled (by [`WholeTraces`], or every trace is kept at a rate of 1).
pub(super) fn hand_on(engine: &Engine, span: &Span, adopting: bool, who: Who) -> HandOn {
    let recorder = engine.recorder();
    let (trace_id, run_span) = (span.trace_id, span.span_id);
    Arc::new(move |mut spans: Vec<Span>| {
        if adopting {
            adopt(&mut spans, trace_id, run_span);
        }
        who.mark(&mut spans);
        for s in spans {
            recorder.record_sampled(s);
        }
    })
}

/// Sinks that keep nothing of what the receiver takes in (it still counts it).
pub(super) fn discard() -> (SpanSink, RecordSink, Option<LogTap>) {
    (
        Arc::new(|_spans: Vec<Span>| {}),
        Arc::new(|_records: Records| {}),
        None,
    )
}

/// The receiver's sink for log records and metrics: log records of a trace that is
/// adopted move with its spans (same span ids, the run's trace id), then the engine.
pub(super) fn records_to(engine: &Engine, span: &Span, adopting: bool) -> RecordSink {
    let recorder = engine.recorder();
    let trace_id = span.trace_id;
    Arc::new(move |mut records: Records| {
        if adopting {
            adopt_records(&mut records, trace_id);
        }
        recorder.record_records(records);
    })
}
