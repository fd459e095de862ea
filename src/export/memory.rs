//! An exporter that keeps what it is given, and answers what it is told to: the test double.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::{BoxFuture, Exporter, Outcome, Payload, Records};
use crate::presets::{self, Signals};

/// Records every request; answers with the scripted outcomes in order, then `Delivered`,
/// each after the delay it was given.
#[derive(Default)]
pub struct MemoryExporter {
    name: String,
    received: Mutex<Vec<ExportTraceServiceRequest>>,
    records: Mutex<Vec<Records>>,
    signals: Option<Signals>,
    script: Mutex<Vec<Outcome>>,
    delay: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl MemoryExporter {
    /// A double named `name` that answers `Delivered` to every export, at once.
    pub fn new(name: &str) -> MemoryExporter {
        MemoryExporter {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Outcomes to answer with, first to last, before answering `Delivered`.
    pub fn answering(self, outcomes: Vec<Outcome>) -> MemoryExporter {
        *crate::sync::lock(&self.script) = outcomes.into_iter().rev().collect();
        self
    }

    /// Answers each export only after `delay`, like a slow provider.
    pub fn delaying(mut self, delay: Duration) -> MemoryExporter {
        self.delay = delay;
        self
    }

    /// Takes these signals (by default its provider's, when its name is one, else all).
    pub fn taking(mut self, signals: Signals) -> MemoryExporter {
        self.signals = Some(signals);
        self
    }

    /// Every request of log records or metrics it was given so far, in order.
    pub fn records(&self) -> Vec<Records> {
        crate::sync::lock(&self.records).clone()
    }

    /// The most exports that were under way at once.
    pub fn most_in_flight(&self) -> usize {
        self.most_in_flight.load(SeqCst)
    }

    /// Every request of spans it was given so far, in order (those it answered with a
    /// failure too).
    pub fn received(&self) -> Vec<ExportTraceServiceRequest> {
        crate::sync::lock(&self.received).clone()
    }
}

impl Exporter for MemoryExporter {
    fn name(&self) -> &str {
        &self.name
    }

    fn endpoint(&self) -> &str {
        "memory"
    }

    fn signals(&self) -> Signals {
        self.signals
            .or_else(|| presets::signals(&self.name))
            .unwrap_or(presets::ALL_SIGNALS)
    }

    fn uses_sockets(&self) -> bool {
        false
    }

    fn export<'a>(&'a self, payload: &'a Payload) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.most_in_flight.fetch_max(now, SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            self.in_flight.fetch_sub(1, SeqCst);
            match payload.records() {
                Some(records) => crate::sync::lock(&self.records).push(records.clone()),
                None => crate::sync::lock(&self.received).push(payload.request().clone()),
            }
            crate::sync::lock(&self.script)
                .pop()
                .unwrap_or(Outcome::Delivered { status: None })
        })
    }
}
