//! The bridge for Rust agents instrumented with the OpenTelemetry Rust SDK (directly, or
//! through `tracing` + `tracing-opentelemetry`): [`EngineExporter`] is an
//! `opentelemetry_sdk` [`SpanExporter`] that hands the SDK's spans to this crate's
//! [`Engine`], so they go through the same providers, masking, sampling, spool and local
//! store as the spans of `run --wrap`.
//!
//! The SDK's spans are converted by `opentelemetry-proto`'s own transform (the code the
//! OTLP exporter uses) and read back as this crate's [`Span`]s, so nothing here
//! re-implements the SDK's data model. Behind the `otel-sdk` cargo feature.

use std::sync::Mutex;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use crate::config::Settings;
use crate::engine::{Engine, Recorder, RunMetrics};
use crate::error::Result;
use crate::span::Span;

/// An OpenTelemetry SDK span exporter that records into this crate's engine.
///
/// `export` only enqueues (bounded, never blocking; a full queue is counted, as for any
/// producer), so it returns at once; delivery happens on the engine's threads.
/// `shutdown` (called by the SDK's `SdkTracerProvider::shutdown`) sends what is queued
/// within the flush timeout and spools the rest, like the end of a wrapped run.
///
/// ```no_run
/// use automagik_tracing::{Config, LoadOptions, otel_sdk::EngineExporter};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let settings = Config::load(LoadOptions::from_process())?.settings()?;
/// let provider = SdkTracerProvider::builder()
///     .with_batch_exporter(EngineExporter::start(&settings)?)
///     .build();
/// // ... instrument with `provider.tracer("my-agent")`, or tracing-opentelemetry ...
/// provider.shutdown().ok();
/// # Ok::<(), automagik_tracing::Error>(())
/// ```
pub struct EngineExporter {
    recorder: Recorder,
    /// Taken by the first shutdown; later calls find it gone.
    engine: Mutex<Option<Engine>>,
    flush_timeout: Duration,
    resource: ResourceAttributesWithSchema,
}

impl EngineExporter {
    /// Starts an engine for `settings` (its providers, masking, spool and local store)
    /// and an exporter feeding it. Shutdown waits at most `AUTOMAGIK_FLUSH_TIMEOUT`.
    pub fn start(settings: &Settings) -> Result<EngineExporter> {
        let engine = Engine::start(settings)?;
        let timeout = Duration::from_secs(settings.limits.flush_timeout_secs.value);
        Ok(EngineExporter::with_engine(engine, timeout))
    }

    /// An exporter feeding an engine the caller built (e.g. with `Engine::start_with`).
    pub fn with_engine(engine: Engine, flush_timeout: Duration) -> EngineExporter {
        EngineExporter {
            recorder: engine.recorder(),
            engine: Mutex::new(Some(engine)),
            flush_timeout,
            resource: ResourceAttributesWithSchema::default(),
        }
    }

    /// Stops the engine (as [`SpanExporter::shutdown`] does) and returns the run's
    /// figures: delivered, spooled and dropped per provider. `None` after a shutdown.
    pub fn finish(&self, timeout: Duration) -> Option<RunMetrics> {
        let engine = self
            .engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()?;
        Some(engine.shutdown(timeout))
    }

    /// The SDK's spans as this crate's spans, through the OTLP form.
    fn convert(&self, batch: Vec<SpanData>) -> Vec<Span> {
        let request = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &self.resource),
        };
        crate::span::into_spans(request).0
    }
}

impl std::fmt::Debug for EngineExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineExporter")
            .field("flush_timeout", &self.flush_timeout)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for EngineExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        for span in self.convert(batch) {
            self.recorder.record(span);
        }
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self.finish(timeout.min(self.flush_timeout)) {
            Some(_) => Ok(()),
            None => Err(OTelSdkError::AlreadyShutdown),
        }
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.resource = resource.into();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use opentelemetry::KeyValue;
    use opentelemetry::trace::{Span as _, Tracer, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    use super::*;
    use crate::engine::EngineOptions;
    use crate::export::Exporter;
    use crate::export::memory::MemoryExporter;
    use crate::span::Value;

    #[test]
    fn sdk_spans_reach_the_engine_with_their_tree_resource_and_attributes() {
        let memory = Arc::new(MemoryExporter::new("m"));
        let exporters: Vec<Arc<dyn Exporter>> = vec![memory.clone()];
        let options = EngineOptions {
            batch_timeout: Duration::from_millis(50),
            retry: false,
            ..crate::engine::tests::options()
        };
        let engine = Engine::start_with(exporters, options).unwrap();
        let provider = SdkTracerProvider::builder()
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name("rust-agent")
                    .build(),
            )
            .with_simple_exporter(EngineExporter::with_engine(engine, Duration::from_secs(5)))
            .build();
        let tracer = provider.tracer("agent");
        tracer.in_span("invoke_agent weather", |cx| {
            let mut chat = tracer.start_with_context("chat gpt-4o", &cx);
            chat.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 12));
            chat.end();
        });
        provider.shutdown().unwrap();

        let spans: Vec<Span> = memory
            .received()
            .iter()
            .flat_map(|r| crate::span::from_request(r).0)
            .collect();
        assert_eq!(spans.len(), 2, "{spans:?}");
        let root = spans.iter().find(|s| s.name == "invoke_agent weather");
        let chat = spans.iter().find(|s| s.name == "chat gpt-4o").unwrap();
        let root = root.unwrap();
        assert_eq!(chat.parent_span_id, Some(root.span_id));
        assert_eq!(chat.trace_id, root.trace_id);
        assert_eq!(
            chat.attribute("gen_ai.usage.input_tokens"),
            Some(&Value::Int(12))
        );
        let service = root
            .resource
            .attributes
            .iter()
            .find(|a| a.key == "service.name");
        assert_eq!(service.map(|a| &a.value), Some(&Value::from("rust-agent")));
    }
}
