//! The run span: named after what ran (`naming`), with the command's resource, its
//! arguments (secrets redacted), the run's session and user, and at the end the command's
//! outcome (exit code or signal, an error status when it failed).

use std::path::Path;
use std::sync::Arc;

use crate::span::{Resource, Scope, Span, SpanKind, Status, StatusCode, Value};
use crate::wrap::child::{Ended, SpawnError};
use crate::wrap::session::RunSpec;
use crate::wrap::{args::redact, naming};

/// The run span, before the spawn: the process's name and its arguments, secrets
/// redacted.
pub(super) fn run_span(spec: &RunSpec) -> Span {
    let program = spec.command.first().cloned().unwrap_or_default();
    let program_name = Path::new(&program).file_name().map_or_else(
        || program.to_string_lossy().into_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let run_name = naming::run_name(&spec.command);
    let from_env = spec
        .resource
        .iter()
        .find(|(k, _)| k == "service.name")
        .map(|(_, v)| v.clone());
    let service = spec
        .service_name
        .clone()
        .or(from_env)
        .unwrap_or_else(|| run_name.clone());
    let mut resource = Resource::service(&service);
    resource.attributes.extend(
        spec.resource
            .iter()
            .filter(|(k, _)| k != "service.name")
            .map(|(k, v)| crate::span::Attribute::new(k.clone(), v.as_str())),
    );
    let scope = Arc::new(Scope {
        name: "automagik-tracing".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    });
    let mut span = Span::start(
        spec.name.clone().unwrap_or(run_name),
        spec.inherited.map(|p| (p.trace_id, p.span_id)),
        Arc::new(resource),
        scope,
    );
    span.kind = SpanKind::Internal;
    let all_args: Vec<String> = spec
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    span.set("process.executable.name", program_name.as_str())
        .set(
            "process.command_args",
            Value::Array(redact(&all_args).into_iter().map(Value::from).collect()),
        );
    for (key, value) in &spec.attrs {
        span.set(key.clone(), value.as_str());
    }
    spec.who.mark(std::slice::from_mut(&mut span));
    span
}

/// Sets the run span's outcome.
pub(super) fn record_outcome(span: &mut Span, outcome: &std::result::Result<Ended, SpawnError>) {
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
        }
        Err(err) => {
            let code = err.code();
            span.set("process.exit.code", i64::from(code));
            span.status = Status {
                code: StatusCode::Error,
                message: format!("could not start (exit code {code})"),
            };
        }
    }
}
