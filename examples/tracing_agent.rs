//! A Rust agent instrumented with `tracing` + `tracing-opentelemetry`, sending its spans
//! through automagik-tracing with one line of setup (`EngineExporter::start`): the same
//! providers, masking, spool and local store as `automagik-tracing run`.
//!
//! `cargo run --example tracing_agent --features otel-sdk`, then
//! `automagik-tracing traces show last` shows the agent span with its LLM call and tool
//! call (with nothing configured, traces stay in the local store).

use automagik_tracing::otel_sdk::EngineExporter;
use automagik_tracing::{Config, LoadOptions};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Config::load(LoadOptions::from_process())?.settings()?;
    // The one line: the SDK's batch processor hands its spans to the engine.
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name("weather-agent")
                .build(),
        )
        .with_batch_exporter(EngineExporter::start(&settings)?)
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("weather-agent"));
    let subscriber = tracing_subscriber::registry().with(layer);

    tracing::subscriber::with_default(subscriber, || {
        let agent = tracing::info_span!(
            "invoke_agent weather",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = "weather",
        );
        let _agent = agent.enter();
        tracing::info_span!(
            "chat gpt-4o-mini",
            otel.kind = "client",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o-mini",
            gen_ai.usage.input_tokens = 42_i64,
            gen_ai.usage.output_tokens = 7_i64,
        )
        .in_scope(|| {});
        tracing::info_span!(
            "execute_tool get_weather",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "get_weather",
        )
        .in_scope(|| {});
    });

    // Sends what is queued (within AUTOMAGIK_FLUSH_TIMEOUT), spools the rest.
    provider.shutdown()?;
    Ok(())
}
