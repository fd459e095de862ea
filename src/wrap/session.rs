//! One wrapped run: the run span, the environment the child gets, the loopback receiver
//! and the engine, from before the spawn to the report after the export. The command
//! (`commands/run.rs`) goes arguments → session → exit code, and only prints.
//!
//! Three ways a session runs: traced (the engine exports what arrives), discarding (the
//! settings could not be read, so nothing may leave: the child's OpenTelemetry SDK is
//! still pointed at the receiver, and what arrives is counted and thrown away), and off
//! (the user switched observability off; the child's environment is left alone).

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use crate::config::{Override, keys};
use crate::engine::{Engine, EnginePlan};
use crate::span::Span;
use crate::telemetry::derive::RunObserver;
use crate::wrap::agents::Agent;
use crate::wrap::child_env::{point_child_at, seal};
use crate::wrap::context::TraceParent;
use crate::wrap::forward::{Forward, discard, hand_on, records_to};
use crate::wrap::receiver::{Bound, DEFAULT_BODY_LIMIT, Receiver};
use crate::wrap::sampling::WholeTraces;

pub use crate::wrap::child_env::{Protocol, RECEIVER_MARKER};
use crate::wrap::run_span::run_span;
pub use crate::wrap::who::Who;
pub use end::Report;

/// What the command line asks of a traced run.
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    /// The command and its arguments, the program first.
    pub command: Vec<OsString>,
    /// The run span's name (default: the script's name, [`run_name`](crate::wrap::naming::run_name)).
    pub name: Option<String>,
    /// `service.name` of the run span (default: the SDK's variables, else the run's name).
    pub service_name: Option<String>,
    /// The resource the command's own SDK would use (`OTEL_RESOURCE_ATTRIBUTES`,
    /// `OTEL_SERVICE_NAME`), for the run span too.
    pub resource: Vec<(String, String)>,
    /// Extra attributes of the run span.
    pub attrs: Vec<(String, String)>,
    /// Start the loopback receiver (`--no-receiver` turns it off).
    pub receiver: bool,
    /// Adopt the child's root spans under the run span.
    pub adopt: bool,
    /// A `TRACEPARENT` the wrapper itself was given.
    pub inherited: Option<TraceParent>,
    /// The OTLP protocol the child's SDK is told to use ([`Protocol::chosen`]).
    pub protocol: Protocol,
    /// `session.id` and `user.id` for every span of the run that carries none
    /// (`--session`, `--user`).
    pub who: Who,
    /// A `BAGGAGE` the wrapper itself was given, passed on with the run's ids added.
    pub baggage: Option<String>,
    /// The coding agent the command runs ([`Agent::recognise`] or `--agent`), with the
    /// index in `command` where its own arguments begin.
    pub agent: Option<(Agent, usize)>,
    /// The wrapper's environment (what the agent's setup must not override).
    pub env: HashMap<String, String>,
}

/// The counts of GenAI spans usage telemetry is made of, shared with the receiver.
pub type Observer = Arc<Mutex<RunObserver>>;

/// One wrapped run's tracing: traced (engine, run span, receiver), discarding (a receiver that drops what arrives, after a configuration error) or off; and the environment the child gets.
pub struct Session {
    tracing: Tracing,
    /// The traced receiver's socket, bound before the spawn, served by [`Session::start`].
    bound: Option<Bound>,
    receiver: Option<Receiver>,
    env: Vec<(String, String)>,
    /// Arguments for the command, inserted at the index (an agent's `-c key=value`).
    args: Option<(usize, Vec<String>)>,
    /// What the agent setup did and left alone, for `-v`.
    notes: Vec<String>,
    /// The receiver's sink and the agent's translator, finished before the engine.
    forward: Option<Arc<Forward>>,
    /// What the user should know before the command runs (the caller prints it).
    warning: Option<String>,
}

enum Tracing {
    /// Traced, before the spawn: the engine is planned, not started.
    Ready(Box<Ready>),
    On {
        engine: Engine,
        span: Box<Span>,
        /// Whole-trace sampling, below a sample rate of 1.
        sampling: Option<Arc<WholeTraces>>,
    },
    Discarding {
        why: String,
    },
    Off,
}

/// A traced run before [`Session::start`]: what starting the engine and serving the
/// receiver take.
struct Ready {
    plan: EnginePlan,
    span: Span,
    spec: RunSpec,
    observer: Option<Observer>,
}

impl Session {
    /// Observability is off by the user's choice: the child runs as it would alone.
    pub fn off() -> Session {
        Session {
            tracing: Tracing::Off,
            bound: None,
            receiver: None,
            env: Vec::new(),
            args: None,
            notes: Vec::new(),
            forward: None,
            warning: None,
        }
    }

    /// Tracing could not start (`why`): the child's SDK is pointed at a receiver that
    /// counts what arrives and keeps none of it, so nothing bypasses masking.
    pub fn discarding(why: String, protocol: Protocol) -> Session {
        let mut env = Vec::new();
        let mut warning = None;
        let (spans, records, _) = discard();
        let receiver = match Receiver::start(spans, records, DEFAULT_BODY_LIMIT) {
            Ok(receiver) => {
                point_child_at(receiver.addr, protocol, true, &mut env);
                Some(receiver)
            }
            Err(err) => {
                warning = Some(format!(
                    "the command's OpenTelemetry SDK is switched off (OTEL_SDK_DISABLED): {err}"
                ));
                seal(&mut env);
                None
            }
        };
        Session {
            tracing: Tracing::Discarding { why },
            bound: None,
            receiver,
            env,
            args: None,
            notes: Vec::new(),
            forward: None,
            warning,
        }
    }

    /// A last resort when even [`Session::discarding`] failed: the child's SDK is off.
    pub fn sealed(why: String) -> Session {
        let mut env = Vec::new();
        seal(&mut env);
        Session {
            tracing: Tracing::Discarding { why },
            bound: None,
            receiver: None,
            env,
            args: None,
            notes: Vec::new(),
            forward: None,
            warning: None,
        }
    }

    /// A traced run: the run span, `TRACEPARENT`, and (unless `--no-receiver`) the
    /// receiver's socket. Nothing starts here: the command is spawned first, and
    /// [`Session::start`] brings up the engine and serves the receiver beside it.
    pub fn traced(plan: EnginePlan, spec: &RunSpec, observer: Option<Observer>) -> Session {
        let span = run_span(spec);
        let mut env = vec![(
            "TRACEPARENT".to_string(),
            TraceParent {
                trace_id: span.trace_id,
                span_id: span.span_id,
                sampled: true,
            }
            .format(),
        )];
        if let Some(baggage) = spec.who.baggage(spec.baggage.as_deref()) {
            env.push(("BAGGAGE".to_string(), baggage));
        }
        let mut warning = None;
        let mut session_args = None;
        let mut notes = Vec::new();
        let bound = if spec.receiver {
            match Receiver::bind() {
                Ok(bound) => {
                    let endpoint = format!("http://{}", bound.addr);
                    let setup = spec.agent.map(|(agent, at)| {
                        let own = spec.command.get(at..).unwrap_or_default();
                        (agent.setup(&endpoint, &spec.env, own), at)
                    });
                    // An agent whose telemetry is switched on sends logs and metrics too:
                    // all of it to the receiver, none to an endpoint inherited for them.
                    let switched = setup
                        .as_ref()
                        .is_some_and(|(s, _)| !s.env.is_empty() || !s.args.is_empty());
                    point_child_at(bound.addr, spec.protocol, switched, &mut env);
                    if let Some((setup, at)) = setup {
                        env.extend(setup.env);
                        notes = setup.notes;
                        session_args = (!setup.args.is_empty()).then_some((at, setup.args));
                    }
                    Some(bound)
                }
                Err(err) => {
                    // Its SDK would otherwise send straight to the inherited endpoint,
                    // bypassing masking: off is the safe side.
                    warning = Some(format!(
                        "the command's own spans are not collected, its OpenTelemetry SDK is switched off (OTEL_SDK_DISABLED): {err}"
                    ));
                    seal(&mut env);
                    None
                }
            }
        } else {
            None
        };
        Session {
            tracing: Tracing::Ready(Box::new(Ready {
                plan,
                span,
                spec: spec.clone(),
                observer,
            })),
            bound,
            receiver: None,
            env,
            args: session_args,
            notes,
            forward: None,
            warning,
        }
    }

    /// What the agent setup switched on and left alone, once (for `-v`).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The command's arguments (after the program), with what the agent setup adds.
    pub fn child_args(&self, command: &[OsString]) -> Vec<OsString> {
        let mut all = command.to_vec();
        if let Some((at, args)) = &self.args {
            let at = (*at).clamp(1, all.len().max(1));
            all.splice(at..at, args.iter().map(OsString::from));
        }
        all.into_iter().skip(1).collect()
    }

    /// Starts the engine and serves the receiver of a traced run, once the command runs
    /// (a second call does nothing), and loads the certificates an https provider needs. Returns what the user should know: should the engine
    /// fail to start, what the command sends is discarded (nothing leaves unmasked);
    /// should the receiver fail, its socket closes and the command's SDK is refused.
    pub fn start(&mut self) -> Option<String> {
        if !matches!(self.tracing, Tracing::Ready(_)) {
            return None;
        }
        let Tracing::Ready(ready) = std::mem::replace(&mut self.tracing, Tracing::Off) else {
            return None;
        };
        warm_up_tls();
        let Ready {
            plan,
            span,
            spec,
            observer,
        } = *ready;
        let ((sink, records, log_tap), warning) = match plan.start() {
            Ok(engine) => {
                let hand_on = hand_on(&engine, &span, spec.adopt);
                let sampling =
                    WholeTraces::start(&engine, span.trace_id, spec.adopt, hand_on.clone())
                        .map(Arc::new);
                let sinks = self.bound.is_some().then(|| {
                    let forward =
                        Forward::new(&engine, &span, &spec, observer, sampling.clone(), hand_on);
                    let (spans, tap) = forward.sinks();
                    self.forward = Some(forward);
                    (spans, records_to(&engine, &span, spec.adopt), tap)
                });
                self.tracing = Tracing::On {
                    engine,
                    span: Box::new(span),
                    sampling,
                };
                (sinks.unwrap_or_else(discard), None)
            }
            Err(err) => {
                let why = err.one_line();
                let warning = format!(
                    "the command runs untraced, and what its OpenTelemetry SDK sends is discarded so nothing leaves unmasked: {why}"
                );
                self.tracing = Tracing::Discarding { why };
                (discard(), Some(warning))
            }
        };
        let Some(bound) = self.bound.take() else {
            return warning;
        };
        // The engine's queue: a request it has no room for is asked to come again. Not
        // while whole-trace sampling holds spans in its budget until the run ends: a
        // retry could find no more room, and the command's SDK would wait in vain.
        let queue = match &self.tracing {
            Tracing::On {
                engine,
                sampling: None,
                ..
            } => Some(engine.recorder()),
            _ => None,
        };
        match bound.serve(sink, records, log_tap, queue, DEFAULT_BODY_LIMIT) {
            Ok(receiver) => {
                self.receiver = Some(receiver);
                warning
            }
            Err(err) => Some(format!(
                "{}the command's own spans are not collected: {err}",
                warning.map_or(String::new(), |w| format!("{w}; "))
            )),
        }
    }

    /// What the user should know before the command runs, once.
    pub fn take_warning(&mut self) -> Option<String> {
        self.warning.take()
    }

    /// The variables the child gets on top of the wrapper's environment.
    pub fn child_env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The run's trace id, when traced.
    pub fn trace_id(&self) -> Option<String> {
        match &self.tracing {
            Tracing::Ready(ready) => Some(ready.span.trace_id.to_hex()),
            Tracing::On { span, .. } => Some(span.trace_id.to_hex()),
            _ => None,
        }
    }

    /// Marks the spawn: the run span starts now.
    pub fn begin(&mut self) {
        if let Tracing::Ready(ready) = &mut self.tracing {
            ready.span.start_unix_nanos = crate::span::now_unix_nanos();
        }
    }
}

/// Loads the system's certificates for an https provider on a thread of its own, beside
/// the command (milliseconds that used to come before it started); the first export
/// waits for them. Should no thread start, that export loads them itself.
fn warm_up_tls() {
    if crate::export::otlp_http::cold() {
        let _ = std::thread::Builder::new()
            .name("automagik-tls".into())
            .spawn(crate::export::otlp_http::warm_up);
    }
}

/// The overrides a wrapper nested in another (its environment holds [`RECEIVER_MARKER`])
/// loads its settings with: only the outer receiver, unmasked and unsampled, since the
/// outer wrapper masks, samples and exports. `None` when not nested.
pub fn nested_overrides(env: &HashMap<String, String>) -> Option<Vec<Override>> {
    let outer = env.get(RECEIVER_MARKER).filter(|v| !v.trim().is_empty())?;
    let flag = format!("the outer wrapper ({RECEIVER_MARKER})");
    let set = |var: &str, value: String| Override {
        var: var.to_string(),
        value,
        flag: flag.clone(),
    };
    let mut overrides = vec![
        set(keys::OBSERVABILITY_PROVIDERS, "otlp".into()),
        set("OTEL_EXPORTER_OTLP_ENDPOINT", outer.clone()),
        set(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("{}/v1/traces", outer.trim_end_matches('/')),
        ),
        set(keys::SAMPLE_RATE, "1".into()),
        set(keys::MASK, "none".into()),
    ];
    if let Some(var) = keys::provider_mask_var("otlp") {
        overrides.push(set(var, "none".into()));
    }
    Some(overrides)
}

mod end;

#[cfg(test)]
mod args_tests;
#[cfg(test)]
mod start_tests;
