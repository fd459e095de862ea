//! The end of a wrapped run's session: the run span ended with the command's outcome,
//! the receiver stopped, the engine's export bounded by the flush timeout, and the report
//! of what became of what the command sent.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::{Session, Tracing};
use crate::engine::RunMetrics;
use crate::wrap::agents::{Agent, Translated};
use crate::wrap::child::{Ended, SpawnError};
use crate::wrap::run_span::record_outcome;

/// What a finished session has to say.
#[derive(Debug, Default)]
pub struct Report {
    /// The engine's figures (traced runs).
    pub run: Option<RunMetrics>,
    /// The run's trace id (traced runs).
    pub trace_id: Option<String>,
    /// Spans the child sent that were thrown away, and why (discarding runs).
    pub discarded: Option<(u64, String)>,
    /// Requests the receiver refused, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Logs and metrics requests received and handed to the engine.
    pub other_signals: u64,
    /// Requests the receiver answered (every signal, accepted or refused), and the spans
    /// it took in.
    pub received: (u64, u64),
    /// The coding agent traced, and what its translator did.
    pub agent: Option<(Agent, Translated)>,
}

impl Session {
    /// Ends the run span with the child's outcome, stops the receiver and exports,
    /// waiting at most `flush_timeout`.
    pub fn finish(
        mut self,
        outcome: &std::result::Result<Ended, SpawnError>,
        flush_timeout: Duration,
    ) -> Report {
        // A command that could not start never ran beside the engine: its run span is
        // still recorded.
        let _ = self.start();
        let mut report = Report::default();
        let mut received = 0;
        if let Some(receiver) = self.receiver {
            let stats = receiver.stats.clone();
            receiver.stop();
            received = stats.spans.load(Relaxed);
            report.received = (stats.requests.load(Relaxed), received);
            report.refused = stats.refused();
            report.other_signals = stats.other_signals.load(Relaxed);
        }
        if let Some(forward) = &self.forward {
            report.agent = forward.finish();
        }
        match self.tracing {
            Tracing::On {
                engine,
                mut span,
                sampling,
            } => {
                span.end();
                record_outcome(&mut span, outcome);
                if let Some((agent, tally)) = &report.agent {
                    // What the translation left out is on the trace, not only in `-v`.
                    span.set("automagik.agent.name", agent.name())
                        .set("automagik.agent.spans_dropped", tally.dropped as i64);
                }
                report.trace_id = Some(span.trace_id.to_hex());
                // What is held is decided and handed on before the flush deadline starts.
                match sampling {
                    Some(sampling) => sampling.finish(*span),
                    None => engine.record(*span),
                }
                engine.metrics().receiver_refused(&report.refused);
                report.run = Some(engine.shutdown(flush_timeout));
            }
            Tracing::Discarding { why } => report.discarded = Some((received, why)),
            Tracing::Ready(_) | Tracing::Off => {}
        }
        report
    }
}
