//! `run --wrap`: trace a command. A run span from spawn to exit, trace context and a
//! loopback receiver handed to the child, its spans adopted into the run's trace, and the
//! child's exit code returned whatever becomes of the export.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cli::{RUN_USAGE, RunArgs};
use crate::commands::Context;
use crate::config::Settings;
use crate::engine::{Engine, Recorder};
use crate::error::{Error, Result};
use crate::span::{Resource, Scope, Span, SpanKind, Status, StatusCode, Value};
use crate::telemetry::derive::RunObserver;
use crate::wrap::child::{self, Ended, SpawnError};
use crate::wrap::context::TraceParent;
use crate::wrap::receiver::{DEFAULT_BODY_LIMIT, Receiver};
use crate::wrap::{adopt, args::redact};

pub fn run(args: &RunArgs, ctx: &Context) -> Result<u8> {
    if !args.wrap {
        return Err(Error::usage("`run` needs --wrap before the command")
            .with_hint(format!("usage: {RUN_USAGE}")));
    }
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(Error::usage("`run --wrap` needs a command to run")
            .with_hint(format!("usage: {RUN_USAGE}")));
    };
    let attrs = parse_attrs(&args.attrs)?;
    // Tracing never changes the outcome of the command: a problem with it is a warning,
    // and the command runs untraced.
    let loaded = ctx.load().and_then(|c| c.settings());
    // Usage telemetry counts the GenAI spans the receiver sees (types and counts only).
    let observer: Option<Watch> = loaded
        .as_ref()
        .is_ok_and(|s| s.telemetry.switch.enabled)
        .then(Default::default);
    let traced = match loaded {
        Ok(settings) if settings.observability.switch.enabled => match Engine::start(&settings) {
            Ok(engine) => Some((settings, engine)),
            Err(err) => {
                ctx.ui.warn(&format!("the command runs untraced: {err}"));
                None
            }
        },
        Ok(settings) => {
            ctx.ui.debug(&format!(
                "observability is {}",
                settings.observability.switch.reason
            ));
            None
        }
        Err(err) => {
            ctx.ui.warn(&format!("the command runs untraced: {err}"));
            None
        }
    };
    let Some((settings, engine)) = traced else {
        let code = finish_untraced(program, program_args);
        hand_over(observer, ctx);
        return Ok(code);
    };

    let program_name = Path::new(program).file_name().map_or_else(
        || program.to_string_lossy().into_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let service = args
        .service_name
        .clone()
        .unwrap_or_else(|| program_name.clone());
    let scope = Arc::new(Scope {
        name: "automagik-tracing".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    });
    let inherited = ctx
        .options
        .env
        .get("TRACEPARENT")
        .and_then(|v| TraceParent::parse(v));
    let mut span = Span::start(
        args.name.clone().unwrap_or_else(|| program_name.clone()),
        inherited.map(|p| (p.trace_id, p.span_id)),
        Arc::new(Resource::service(&service)),
        scope,
    );
    span.kind = SpanKind::Internal;
    let all_args: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    span.set("process.executable.name", program_name.as_str())
        .set(
            "process.command_args",
            Value::Array(redact(&all_args).into_iter().map(Value::from).collect()),
        );
    for (key, value) in attrs {
        span.set(&key, value);
    }

    let recorder = engine.recorder();
    let receiver = if args.no_receiver {
        None
    } else {
        start_receiver(
            recorder.clone(),
            &span,
            !args.no_adopt,
            observer.clone(),
            ctx,
        )
    };
    let mut env = vec![(
        "TRACEPARENT".to_string(),
        TraceParent {
            trace_id: span.trace_id,
            span_id: span.span_id,
            sampled: true,
        }
        .format(),
    )];
    if let Some(receiver) = &receiver {
        env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()));
        env.push((
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT".into(),
            format!("{}/v1/traces", receiver.endpoint()),
        ));
        env.push(("OTEL_EXPORTER_OTLP_PROTOCOL".into(), "http/protobuf".into()));
        env.push((
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL".into(),
            "http/protobuf".into(),
        ));
    }

    span.start_unix_nanos = crate::span::now_unix_nanos();
    let outcome = child::run(program, program_args, &env, |pid| {
        ctx.ui.debug(&format!(
            "started {program_name} as pid {pid}, trace {}",
            span.trace_id.to_hex()
        ));
    });
    span.end();
    let code = record_outcome(&mut span, &outcome, program);
    let trace_id = span.trace_id.to_hex();
    recorder.record(span);
    if let Some(receiver) = receiver {
        let stats = receiver.stats.clone();
        receiver.stop();
        let other = stats
            .other_signals
            .load(std::sync::atomic::Ordering::Relaxed);
        if other > 0 {
            ctx.ui.debug(&format!("{other} metrics or logs requests from the command were answered and dropped (only traces are forwarded)"));
        }
    }
    let run = engine.shutdown(flush_timeout(args, &settings));
    report_delivery(&run, &trace_id, ctx);
    super::spool_send::after_run(&run, &settings, ctx);
    hand_over(observer, ctx);
    Ok(code)
}

/// Tells the user what did not reach a provider: spooled (and how to send it), or lost.
fn report_delivery(run: &crate::engine::RunMetrics, trace_id: &str, ctx: &Context) {
    for exporter in &run.exporters {
        let dropped: u64 = exporter.dropped.values().sum();
        ctx.ui.debug(&format!(
            "trace {trace_id}: {} spans to {}, {} spooled, {dropped} dropped",
            exporter.exported, exporter.name, exporter.spooled
        ));
        if exporter.spooled > 0 {
            ctx.ui.note(&format!(
                "{} spans for {} ({}) are kept in the spool: `automagik-tracing flush` sends them",
                exporter.spooled, exporter.name, exporter.endpoint
            ));
        }
        if let Some(error) = &exporter.spool_error {
            ctx.ui.warn(&format!(
                "the spool for {} could not be written: {error}",
                exporter.name
            ));
        }
        if dropped > 0 {
            ctx.ui.warn(&format!(
                "{dropped} spans could not be delivered to {} ({})",
                exporter.name, exporter.endpoint
            ));
        }
    }
}

/// The run's span counts, shared with the receiver.
type Watch = Arc<Mutex<RunObserver>>;

/// Gives what the run saw to the command's usage telemetry.
fn hand_over(observer: Option<Watch>, ctx: &Context) {
    if let Some(observer) = observer {
        let seen = std::mem::take(&mut *observer.lock().unwrap());
        *ctx.derived.run.lock().unwrap() = Some(seen);
    }
}

fn start_receiver(
    recorder: Recorder,
    span: &Span,
    adopting: bool,
    observer: Option<Watch>,
    ctx: &Context,
) -> Option<Receiver> {
    let (trace_id, run_span) = (span.trace_id, span.span_id);
    let sink = Arc::new(move |mut spans: Vec<Span>| {
        if let Some(observer) = &observer {
            observer.lock().unwrap().observe(&spans);
        }
        if adopting {
            adopt(&mut spans, trace_id, run_span);
        }
        for s in spans {
            recorder.record(s);
        }
    });
    match Receiver::start(sink, DEFAULT_BODY_LIMIT) {
        Ok(receiver) => Some(receiver),
        Err(err) => {
            ctx.ui
                .warn(&format!("the command's own spans are not collected: {err}"));
            None
        }
    }
}

/// Sets the run span's outcome and returns the wrapper's exit code.
fn record_outcome(
    span: &mut Span,
    outcome: &std::result::Result<Ended, SpawnError>,
    program: &OsString,
) -> u8 {
    match outcome {
        Ok(ended) => {
            span.set("process.pid", i64::from(ended.pid));
            let code = ended.wrapper_code();
            span.set("process.exit.code", i64::from(code));
            if let Some(signal) = ended.signal {
                span.set("process.exit.signal", i64::from(signal));
            }
            if code != 0 {
                span.status = Status {
                    code: StatusCode::Error,
                    message: match ended.signal {
                        Some(sig) => format!("ended by signal {sig}"),
                        None => format!("exited with code {code}"),
                    },
                };
            }
            code
        }
        Err(err) => {
            let code = err.code();
            eprint!("{}", spawn_error(err, program).report());
            span.set("process.exit.code", i64::from(code));
            span.status = Status {
                code: StatusCode::Error,
                message: format!("could not start (exit code {code})"),
            };
            code
        }
    }
}

fn spawn_error(err: &SpawnError, program: &OsString) -> Error {
    let name = program.to_string_lossy();
    match err {
        SpawnError::NotFound => Error::failed(format!("command not found: `{name}`"))
            .with_hint("check the spelling, or give its path (./script.sh)"),
        SpawnError::NotExecutable => Error::failed(format!("`{name}` cannot be run")).with_hint(
            format!("make it executable (chmod +x {name}) or run it through its interpreter"),
        ),
        SpawnError::Other(e) => Error::failed(format!("cannot start `{name}`: {e}")),
    }
}

/// Runs the command without tracing and returns its code.
fn finish_untraced(program: &OsString, args: &[OsString]) -> u8 {
    match child::run(program, args, &[], |_| {}) {
        Ok(ended) => ended.wrapper_code(),
        Err(err) => {
            eprint!("{}", spawn_error(&err, program).report());
            err.code()
        }
    }
}

fn flush_timeout(args: &RunArgs, settings: &Settings) -> Duration {
    let secs = args
        .flush_timeout
        .unwrap_or(settings.limits.flush_timeout_secs.value as f64);
    Duration::from_secs_f64(secs.max(0.0))
}

fn parse_attrs(items: &[String]) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| {
                    Error::usage(format!("--attr `{item}` is not KEY=VALUE"))
                        .with_hint("write --attr team=search")
                })
        })
        .collect()
}
