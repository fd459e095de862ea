//! An exporter that keeps what it is given, and answers what it is told to: the test double.

use std::sync::Mutex;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::{BoxFuture, Exporter, Outcome};

/// Records every request; answers with the scripted outcomes in order, then `Delivered`.
#[derive(Default)]
pub struct MemoryExporter {
    name: String,
    received: Mutex<Vec<ExportTraceServiceRequest>>,
    script: Mutex<Vec<Outcome>>,
}

impl MemoryExporter {
    pub fn new(name: &str) -> MemoryExporter {
        MemoryExporter {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Outcomes to answer with, first to last, before answering `Delivered`.
    pub fn answering(self, outcomes: Vec<Outcome>) -> MemoryExporter {
        *self.script.lock().unwrap() = outcomes.into_iter().rev().collect();
        self
    }

    pub fn received(&self) -> Vec<ExportTraceServiceRequest> {
        self.received.lock().unwrap().clone()
    }
}

impl Exporter for MemoryExporter {
    fn name(&self) -> &str {
        &self.name
    }

    fn endpoint(&self) -> &str {
        "memory"
    }

    fn export<'a>(&'a self, request: &'a ExportTraceServiceRequest) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            self.received.lock().unwrap().push(request.clone());
            self.script
                .lock()
                .unwrap()
                .pop()
                .unwrap_or(Outcome::Delivered { status: None })
        })
    }
}
