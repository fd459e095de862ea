//! The receiver's sink for a traced run: what the command's SDK sends goes through the
//! coding agent's translator (when the command is one), is counted for usage telemetry,
//! adopted under the run span, marked with the run's session and user, and recorded.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::engine::Engine;
use crate::span::Span;
use crate::wrap::adopt;
use crate::wrap::agents::{Agent, RunIds, Tally, Translator, log_events};
use crate::wrap::receiver::{LogTap, SpanSink};
use crate::wrap::session::{Observer, RunSpec, Who};

/// The receiver's sink: translates an agent's telemetry, counts for usage telemetry,
/// adopts, and records.
pub(super) struct Forward {
    pub(super) recorder: crate::engine::Recorder,
    /// The run's trace and span.
    pub(super) run: (crate::span::TraceId, crate::span::SpanId),
    pub(super) adopting: bool,
    pub(super) who: Who,
    pub(super) observer: Option<Observer>,
    /// The coding agent the command runs, and its translator.
    pub(super) agent: Option<Agent>,
    pub(super) translator: Option<Mutex<Box<dyn Translator>>>,
}

impl Forward {
    /// The sink of a traced run of `spec` under `run` (its run span).
    pub(super) fn new(
        engine: &Engine,
        run: &Span,
        spec: &RunSpec,
        observer: Option<Observer>,
    ) -> Arc<Forward> {
        let ids = RunIds {
            trace_id: run.trace_id,
            run_span: run.span_id,
        };
        Arc::new(Forward {
            recorder: engine.recorder(),
            run: (run.trace_id, run.span_id),
            adopting: spec.adopt,
            who: spec.who.clone(),
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
    pub(super) fn finish(&self) -> Option<(Agent, Tally)> {
        let translator = self.translator.as_ref()?;
        let (spans, tally) = {
            let mut translator = crate::sync::lock(translator);
            (translator.finish(), translator.tally())
        };
        self.record(spans);
        Some((self.agent?, tally))
    }

    fn record(&self, mut spans: Vec<Span>) {
        if spans.is_empty() {
            return;
        }
        if let Some(observer) = &self.observer {
            crate::sync::lock(observer).observe(&spans);
        }
        if self.adopting {
            adopt(&mut spans, self.run.0, self.run.1);
        }
        self.who.mark(&mut spans);
        for s in spans {
            self.recorder.record(s);
        }
    }
}
