//! `run` (or `run --wrap`, the older spelling): trace a command. Arguments → a [`Session`] (run span, the child's
//! environment, receiver, engine: `wrap/session.rs`) → the child → its exit code, returned
//! whatever becomes of the tracing, which runs behind `catch_unwind`. This file decides
//! which session a run gets and tells the user what happened.

use std::ffi::OsString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crate::cli::{RUN_USAGE, RunArgs};
use crate::commands::Context;
use crate::config::Settings;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::wrap::agents::Agent;
use crate::wrap::child::{self, SpawnError};
use crate::wrap::context::TraceParent;
use crate::wrap::receiver::describe_refused;
use crate::wrap::session::{self, Observer, Protocol, Report, RunSpec, Session, Who};

pub fn run(args: &RunArgs, ctx: &Context) -> Result<u8> {
    let Some(program) = args.command.first() else {
        return Err(
            Error::usage("`run` needs a command to run").with_hint(format!("usage: {RUN_USAGE}"))
        );
    };
    let spec = spec_of(args, ctx)?;
    // Tracing never changes the outcome of the command: whatever fails or panics in it,
    // the command runs and its code is returned. A failure before the spawn fails closed.
    let Prepared {
        mut session,
        flush_timeout,
        observer,
        settings,
    } = guarded(|| prepare(args, &spec, ctx)).unwrap_or_else(|| {
        let why = "an internal error stopped tracing".to_string();
        ctx.ui.warn(&format!("the command runs untraced: {why}"));
        let session = guarded(|| Session::discarding(why.clone(), spec.protocol))
            .unwrap_or_else(|| Session::sealed(why));
        Prepared::untraced(session, None)
    });
    if let Some(warning) = session.take_warning() {
        ctx.ui.warn(&warning);
    }
    for note in session.take_notes() {
        ctx.ui.debug(&note);
    }
    let program_args = session.child_args(&args.command);
    session.begin();
    let trace_id = session.trace_id();
    let env = session.child_env().to_vec();
    // The command starts first; the engine and the receiver come up beside it (the
    // receiver's socket is already bound, so nothing the command sends is refused).
    let mut start = || {
        if let Some(warning) = guarded(|| session.start()).flatten() {
            ctx.ui.warn(&warning);
        }
    };
    let outcome = child::run(program, &program_args, &env, |pid| {
        ctx.ui.debug(&format!(
            "started {} as pid {pid}{}",
            program.to_string_lossy(),
            trace_id.map_or(String::new(), |t| format!(", trace {t}"))
        ));
        start();
    });
    // A command that could not start: its run span is recorded all the same.
    start();
    let code = match &outcome {
        Ok(ended) => ended.wrapper_code(),
        Err(err) => {
            crate::stderr::raw(&spawn_error(err, program).report());
            err.code()
        }
    };
    let reported = guarded(|| {
        let report = session.finish(&outcome, flush_timeout);
        tell(&report, ctx);
        if let (Some(run), Some(settings)) = (&report.run, settings) {
            // Older spans spooled for a destination this run reached go out now, in the
            // background.
            super::spool_send::after_run(run, settings, ctx);
        }
        hand_over(observer, ctx);
    });
    if reported.is_none() {
        ctx.ui
            .warn("an internal error stopped tracing; the command's exit code is kept");
    }
    Ok(code)
}

/// What `run` was asked to do, from its arguments and the environment.
fn spec_of(args: &RunArgs, ctx: &Context) -> Result<RunSpec> {
    Ok(RunSpec {
        command: args.command.clone(),
        name: args.name.clone(),
        service_name: args.service_name.clone(),
        attrs: parse_attrs(&args.attrs)?,
        receiver: !args.no_receiver,
        adopt: !args.no_adopt,
        inherited: ctx
            .options
            .env
            .get("TRACEPARENT")
            .and_then(|v| TraceParent::parse(v)),
        protocol: Protocol::chosen(&ctx.options.env),
        resource: crate::wrap::naming::resource_from_env(&ctx.options.env),
        who: Who {
            session: args.session.clone().filter(|s| !s.trim().is_empty()),
            user: args.user.clone().filter(|u| !u.trim().is_empty()),
        },
        baggage: ctx.options.env.get("BAGGAGE").cloned(),
        agent: agent_of(args),
        env: ctx.options.env.clone(),
    })
}

/// The coding agent the command runs: `--agent`, else recognised by its name.
pub(crate) fn agent_of(args: &RunArgs) -> Option<(Agent, usize)> {
    match args.agent.as_deref() {
        Some("none") => None,
        Some(name) => {
            let at = Agent::recognise(&args.command).map_or(1, |(_, at)| at);
            Agent::named(name).map(|agent| (agent, at))
        }
        None => Agent::recognise(&args.command),
    }
}

/// Runs `f`, turning a panic into `None` (the panic hook has already printed it).
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// What the run starts with.
struct Prepared<'a> {
    session: Session,
    /// How long the engine may take to deliver after the command exits.
    flush_timeout: Duration,
    observer: Option<Observer>,
    /// Only for a traced session (kept in the context, where usage telemetry reads them).
    settings: Option<&'a Settings>,
}

impl Prepared<'_> {
    fn untraced<'a>(session: Session, observer: Option<Observer>) -> Prepared<'a> {
        Prepared {
            session,
            flush_timeout: Duration::ZERO,
            observer,
            settings: None,
        }
    }
}

/// Loads the settings and starts what the run needs: a traced session, a discarding
/// one when the settings or the engine fail (nothing may leave unmasked), or none when
/// observability is off.
fn prepare<'a>(args: &RunArgs, spec: &RunSpec, ctx: &'a Context) -> Prepared<'a> {
    let mut options = ctx.options.clone();
    if let Some(nested) = session::nested_overrides(&options.env) {
        ctx.ui
            .debug("nested in another wrapper: sending only to its receiver");
        options.overrides.extend(nested);
    }
    let loaded = ctx.load_with(options).and_then(|c| c.settings());
    let settings = match loaded {
        // Loaded once: usage telemetry records with them at the end of the command.
        Ok(settings) => ctx.derived.settings.get_or_init(|| settings),
        Err(err) => return Prepared::untraced(discard(&err, spec, ctx), None),
    };
    // Usage telemetry counts the GenAI spans the receiver sees (types and counts only).
    let observer: Option<Observer> = settings.telemetry.switch.enabled.then(Default::default);
    if !settings.observability.switch.enabled {
        ctx.ui.debug(&format!(
            "observability is {}",
            settings.observability.switch.reason
        ));
        return Prepared::untraced(Session::off(), observer);
    }
    match Engine::plan(settings) {
        Ok(plan) => Prepared {
            session: Session::traced(plan, spec, observer.clone()),
            flush_timeout: flush_timeout(args, settings),
            observer,
            settings: Some(settings),
        },
        Err(err) => Prepared::untraced(discard(&err, spec, ctx), observer),
    }
}

/// The session for settings that cannot be used, with a warning that says why.
fn discard(err: &Error, spec: &RunSpec, ctx: &Context) -> Session {
    ctx.ui.warn(&format!(
        "the command runs untraced, and what its OpenTelemetry SDK sends is discarded so nothing leaves unmasked: {}",
        err.one_line()
    ));
    Session::discarding(err.one_line(), spec.protocol)
}

/// Tells the user what did not reach a provider: spooled (and how to send it), refused
/// by the receiver, discarded, or lost.
fn tell(report: &Report, ctx: &Context) {
    if let Some(refused) = describe_refused(&report.refused) {
        ctx.ui.warn(&refused);
    }
    if let Some((agent, tally)) = &report.agent {
        ctx.ui.debug(&format!(
            "{}: {} spans synthesised or built from its events, {} moved under the run, {} given figures from its events, {} dropped",
            agent.name(),
            tally.derived,
            tally.reparented,
            tally.joined,
            tally.dropped
        ));
    }
    let (requests, spans) = report.received;
    if requests > 0 {
        ctx.ui.debug(&format!(
            "the receiver answered {requests} requests from the command and took in {spans} spans"
        ));
    }
    if report.other_signals > 0 {
        ctx.ui.debug(&format!(
            "{} logs or metrics requests from the command were received and forwarded to the providers that take them",
            report.other_signals
        ));
    }
    if let Some((spans, why)) = &report.discarded
        && *spans > 0
    {
        ctx.ui.warn(&format!(
            "{spans} spans the command sent were discarded, because {why}; fix that setting (`automagik-tracing status` shows each one) and run again"
        ));
    }
    if let (Some(run), Some(trace_id)) = (&report.run, &report.trace_id) {
        if let Some(sampling) = describe_sampling(run) {
            ctx.ui.debug(&sampling);
        }
        report_delivery(run, trace_id, ctx);
        ctx.ui.note(&run_line(run, trace_id));
    }
}

/// The one line after every traced run: which trace, how many spans, where they went, and
/// how to see them. `trace 4bf92f35… · 6 spans → local store · automagik-tracing traces show last`
pub fn run_line(run: &crate::engine::RunMetrics, trace_id: &str) -> String {
    let short = &trace_id[..trace_id.len().min(8)];
    let spans = run.queued;
    let mut places = Vec::new();
    for e in &run.exporters {
        let place = match e.name.as_str() {
            crate::presets::LOCAL => "local store".to_string(),
            name => name.to_string(),
        };
        if e.spooled > 0 && e.exported == 0 {
            places.push(format!("{place}: spooled for `automagik-tracing flush`"));
        } else if e.spooled > 0 {
            places.push(format!("{place} ({} spooled for flush)", e.spooled));
        } else if e.exported > 0 {
            places.push(place);
        }
    }
    let places = if places.is_empty() {
        "nowhere (see the warnings above)".to_string()
    } else {
        places.join(", ")
    };
    let local = run
        .exporters
        .iter()
        .any(|e| e.name == crate::presets::LOCAL && e.exported > 0);
    let see = if local {
        "automagik-tracing traces show last".to_string()
    } else {
        format!("in your provider, trace {trace_id}")
    };
    format!(
        "trace {short}… · {spans} span{} → {places} · {see}",
        if spans == 1 { "" } else { "s" }
    )
}

/// What sampling left out, and how many spans it could not hold to decide with their
/// whole trace (`None` when it left out nothing).
pub fn describe_sampling(run: &crate::engine::RunMetrics) -> Option<String> {
    if run.sampled_out == 0 && run.sampled_without_holding == 0 {
        return None;
    }
    let mut text = format!(
        "{} spans left out by sampling (AUTOMAGIK_SAMPLE_RATE)",
        run.sampled_out
    );
    if run.sampled_without_holding > 0 {
        text.push_str(&format!(
            ", {} of them without waiting for the rest of their trace, as the held traces had reached the queue's bounds (AUTOMAGIK_QUEUE_MAX_BYTES, AUTOMAGIK_QUEUE_MAX_SPANS)",
            run.sampled_without_holding
        ));
    }
    Some(text)
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
            let why = exporter
                .last
                .as_ref()
                .and_then(|(outcome, _)| outcome.message())
                .map_or(String::new(), |m| format!(" (the last attempt: {m})"));
            let spans = match exporter.spooled {
                1 => "1 span".to_string(),
                n => format!("{n} spans"),
            };
            ctx.ui.note(&format!(
                "{spans} for {} ({}) kept in the spool{why}: `automagik-tracing flush` sends them",
                exporter.name, exporter.endpoint
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

/// Gives what the run saw to the command's usage telemetry.
fn hand_over(observer: Option<Observer>, ctx: &Context) {
    if let Some(observer) = observer {
        let seen = std::mem::take(&mut *crate::sync::lock(&observer));
        *crate::sync::lock(&ctx.derived.run) = Some(seen);
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
