//! Records an agent run — an `invoke_agent` span with an LLM `chat` call and an
//! `execute_tool` call under it, as OpenTelemetry GenAI spans — and exports it through
//! the engine to whatever `status` says is active (the local store when nothing is).
//!
//! `cargo run --example agent_run`, then `automagik-tracing status` shows the run.

use std::sync::Arc;
use std::time::Duration;

use automagik_tracing::engine::Engine;
use automagik_tracing::span::{Resource, Scope, Span, SpanKind};
use automagik_tracing::{Config, LoadOptions};

fn main() -> Result<(), automagik_tracing::Error> {
    let settings = Config::load(LoadOptions::from_process())?.settings()?;
    let engine = Engine::start(&settings)?;
    let recorder = engine.recorder();

    let resource = Arc::new(Resource::service("example-agent"));
    let scope = Arc::new(Scope {
        name: "example".into(),
        ..Default::default()
    });

    let mut agent = Span::start(
        "invoke_agent weather",
        None,
        resource.clone(),
        scope.clone(),
    );
    agent
        .set("gen_ai.operation.name", "invoke_agent")
        .set("gen_ai.agent.name", "weather");
    let parent = Some((agent.trace_id, agent.span_id));

    let mut chat = Span::start("chat gpt-4o-mini", parent, resource.clone(), scope.clone());
    chat.kind = SpanKind::Client;
    chat.set("gen_ai.operation.name", "chat")
        .set("gen_ai.provider.name", "openai")
        .set("gen_ai.request.model", "gpt-4o-mini")
        .set("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
        .set("gen_ai.usage.input_tokens", 182i64)
        .set("gen_ai.usage.output_tokens", 41i64);
    std::thread::sleep(Duration::from_millis(30));
    chat.end();

    let mut tool = Span::start("execute_tool get_forecast", parent, resource, scope);
    tool.set("gen_ai.operation.name", "execute_tool")
        .set("gen_ai.tool.name", "get_forecast")
        .set("gen_ai.tool.call.id", "call_1");
    std::thread::sleep(Duration::from_millis(10));
    tool.end();
    agent.end();

    let trace_id = agent.trace_id.to_hex();
    for span in [chat, tool, agent] {
        recorder.record(span);
    }
    let run = engine.shutdown(Duration::from_secs(5));
    println!("trace {trace_id}");
    for exporter in &run.exporters {
        println!(
            "  {:<10} {} spans exported to {}",
            exporter.name, exporter.exported, exporter.endpoint
        );
    }
    Ok(())
}
