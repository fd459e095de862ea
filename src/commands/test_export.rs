//! `test-export`: send a small test trace to each active exporter, now, and say plainly
//! what happened, with a hint naming what to check when it failed.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::cli::TestExportArgs;
use crate::commands::Context;
use crate::config::{ProviderConfig, Settings};
use crate::engine::{Engine, EngineOptions, Intake};
use crate::error::{EXIT_FAILED, EXIT_OK, Error, Result};
use crate::export::{self, Outcome};
use crate::presets;
use crate::span::{Resource, Scope, Span, SpanKind};

#[derive(Debug, Serialize)]
pub struct Report {
    pub trace_id: String,
    pub results: Vec<ResultRow>,
    /// True when only the local store was tested.
    pub local_only: bool,
}

#[derive(Debug, Serialize)]
pub struct ResultRow {
    pub provider: String,
    pub endpoint: String,
    pub ok: bool,
    pub result: String,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub hint: Option<String>,
}

pub fn run(args: &TestExportArgs, ctx: &Context) -> Result<u8> {
    let settings = ctx.load()?.settings()?;
    let providers = chosen(&settings, args.provider.as_deref())?;
    let spans = test_trace();
    let deadline = Duration::from_secs_f64(args.timeout);
    let exporters = providers
        .iter()
        .map(|p| export::build(&settings, p))
        .collect::<Result<Vec<_>>>()?;
    // Through the engine like every producer, but once: no retries, every span kept.
    let options = EngineOptions {
        retry: false,
        intake: Intake::new(1.0, 0, usize::MAX),
        // A test trace that did not arrive is not worth keeping for `flush`.
        spool_dir: None,
        ..EngineOptions::from_settings(&settings)
    };
    let engine = Engine::start_with(exporters, options)?;
    for span in &spans {
        engine.record(span.clone());
    }
    let run = engine.shutdown(deadline);
    let results: Vec<ResultRow> = providers
        .iter()
        .zip(&run.exporters)
        .map(|(provider, exporter)| {
            let (outcome, latency) = match &exporter.last {
                Some((outcome, latency))
                    if exporter.exported == spans.len() as u64 || !outcome.is_delivered() =>
                {
                    (outcome.clone(), *latency)
                }
                _ => (
                    Outcome::Retryable {
                        cause: export::Cause::Timeout,
                        retry_after: None,
                        message: format!("timed out after {} s", deadline.as_secs_f64()),
                    },
                    deadline,
                ),
            };
            row(provider, &exporter.endpoint, &outcome, latency)
        })
        .collect();
    let report = Report {
        trace_id: spans[0].trace_id.to_hex(),
        local_only: providers.iter().all(|p| p.name == presets::LOCAL),
        results,
    };
    let all_ok = report.results.iter().all(|r| r.ok);
    if args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        ctx.ui.out(&format!("{text}\n"))?;
    } else {
        ctx.ui.out(&render(&report, ctx))?;
    }
    Ok(if all_ok { EXIT_OK } else { EXIT_FAILED })
}

/// The providers to test: the one named, or every active one.
fn chosen(settings: &Settings, name: Option<&str>) -> Result<Vec<ProviderConfig>> {
    if let Some(name) = name {
        let provider = settings
            .observability
            .provider(name)
            .expect("clap only accepts provider names");
        if !provider.configured {
            return Err(
                Error::bad_input(format!("{name} is {}", provider.note)).with_hint(format!(
                    "automagik-tracing configure --provider {name} --set KEY=VALUE"
                )),
            );
        }
        return Ok(vec![provider.clone()]);
    }
    if !settings.observability.switch.enabled {
        return Err(Error::failed(format!(
            "observability is {}",
            settings.observability.switch.reason
        ))
        .with_hint("turn it on, or test one provider anyway with --provider NAME"));
    }
    Ok(settings.observability.active().cloned().collect())
}

/// A root span and a child GenAI `chat` span.
pub fn test_trace() -> Vec<Span> {
    let resource = Arc::new(Resource::service("automagik-tracing"));
    let scope = Arc::new(Scope {
        name: "automagik-tracing".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    });
    let mut root = Span::start(
        "automagik-tracing test-export",
        None,
        resource.clone(),
        scope.clone(),
    );
    let mut chat = Span::start(
        "chat test-model",
        Some((root.trace_id, root.span_id)),
        resource,
        scope,
    );
    chat.kind = SpanKind::Client;
    chat.set("gen_ai.operation.name", "chat")
        .set("gen_ai.provider.name", "automagik-tracing")
        .set("gen_ai.request.model", "test-model")
        .set("gen_ai.response.model", "test-model")
        .set("gen_ai.usage.input_tokens", 12i64)
        .set("gen_ai.usage.output_tokens", 34i64);
    chat.end();
    root.end();
    vec![root, chat]
}

fn row(
    provider: &ProviderConfig,
    endpoint: &str,
    outcome: &Outcome,
    latency: Duration,
) -> ResultRow {
    let result = match outcome {
        Outcome::Delivered { .. } => "delivered",
        Outcome::Retryable { .. } => "failed",
        Outcome::Permanent { .. } => "refused",
    };
    let error = outcome.message().map(str::to_string);
    ResultRow {
        provider: provider.name.to_string(),
        endpoint: endpoint.to_string(),
        ok: outcome.is_delivered(),
        result: result.to_string(),
        status: outcome.status(),
        latency_ms: latency.as_millis() as u64,
        error,
        hint: export::hint(provider, outcome),
    }
}

fn render(report: &Report, ctx: &Context) -> String {
    let ui = &ctx.ui;
    let width = report
        .results
        .iter()
        .map(|r| r.endpoint.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:<10}  {:<width$}  {:<9}  {:<6}  {}\n",
        "provider", "endpoint", "result", "status", "latency"
    );
    for r in &report.results {
        let result = format!("{:<9}", r.result);
        let result = if r.ok {
            ui.good(&result)
        } else {
            ui.bad(&result)
        };
        let status = r.status.map_or("-".to_string(), |s| s.to_string());
        out.push_str(&format!(
            "{:<10}  {:<width$}  {result}  {status:<6}  {} ms\n",
            r.provider, r.endpoint, r.latency_ms
        ));
        if let Some(error) = &r.error {
            out.push_str(&format!("  error: {error}\n"));
        }
        if let Some(hint) = &r.hint {
            out.push_str(&format!("  hint: {hint}\n"));
        }
    }
    out.push_str(&format!("trace id: {}\n", report.trace_id));
    if report.local_only {
        out.push_str(
            "No remote provider is configured: traces stay on this machine, in the local store above.\n\
             To send them to a provider: automagik-tracing configure (or --provider NAME --set KEY=VALUE).\n",
        );
    }
    out
}
