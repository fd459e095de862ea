//! Usage telemetry for the commands: which ones record (not the read-only ones), the
//! features each used (from its flags), and the recording itself at the end of the
//! command: events into the outbox, the one-time notice, the detached sender.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::cli::Command;
use crate::commands::Context;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::telemetry::derive::RunObserver;
use crate::telemetry::{Collector, EventType, notice, sender};
use crate::wrap::agents::Agent;

/// What a wrapped run saw, for its events (filled by `run`).
#[derive(Default)]
pub struct Derived {
    pub run: Mutex<Option<RunObserver>>,
    /// The settings the command loaded, so recording does not load them a second time
    /// (a wrapped run's exit waits on it).
    pub settings: OnceLock<Settings>,
}

/// The command's name and the features it used; `None` for commands that record nothing
/// (`status`, `traces`, `id`, `completions`, `man`).
fn describe(command: &Command) -> Option<(&'static str, Vec<&'static str>)> {
    Some(match command {
        Command::Configure(args) => (
            "configure",
            flagged(&[
                (super::configure::runs_wizard(args), "configure.wizard"),
                (args.provider.is_some(), "configure.provider"),
                (!args.set.is_empty(), "configure.set"),
                (!args.unset.is_empty(), "configure.unset"),
                (args.telemetry, "configure.telemetry"),
                (
                    args.observability || args.no_observability,
                    "configure.observability",
                ),
                (args.mask.is_some(), "configure.mask"),
                (args.scope.is_some(), "configure.scope"),
                (args.dry_run, "configure.dry_run"),
            ]),
        ),
        Command::TestExport(args) => (
            "test-export",
            flagged(&[
                (args.provider.is_some(), "test_export.provider"),
                (args.json, "test_export.json"),
            ]),
        ),
        Command::Flush(args) => (
            "flush",
            flagged(&[
                (args.provider.is_some(), "flush.provider"),
                (args.json, "flush.json"),
            ]),
        ),
        Command::Run(args) => (
            "run",
            flagged(&[
                (!args.no_receiver, "run.receiver"),
                (!args.no_receiver && !args.no_adopt, "run.adopt"),
                (args.name.is_some(), "run.name"),
                (!args.attrs.is_empty(), "run.attr"),
                (args.service_name.is_some(), "run.service_name"),
                (args.flush_timeout.is_some(), "run.flush_timeout"),
                (args.agent.is_some(), "run.agent"),
                (agent_traced(args, Agent::Claude), "run.agent.claude"),
                (agent_traced(args, Agent::Gemini), "run.agent.gemini"),
                (agent_traced(args, Agent::Codex), "run.agent.codex"),
            ]),
        ),
        Command::Status(_)
        | Command::Traces(_)
        | Command::Id(_)
        | Command::Completions(_)
        | Command::Man(_) => return None,
    })
}

/// Whether `run` traces `agent` (named by `--agent`, or recognised by the command's name).
fn agent_traced(args: &crate::cli::RunArgs, agent: Agent) -> bool {
    super::run::agent_of(args).is_some_and(|(traced, _)| traced == agent)
}

/// The names whose flag is on.
fn flagged(pairs: &[(bool, &'static str)]) -> Vec<&'static str> {
    pairs
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect()
}

/// Records the command's events when telemetry is on. Never fails the command and never
/// waits on the network: at worst it says why with `-v`.
pub fn record(command: &Command, ctx: &Context, result: &Result<u8>, elapsed: Duration) {
    let Some((name, features)) = describe(command) else {
        return;
    };
    // Settings that do not load (a broken .env) mean no telemetry, not a second error.
    let loaded;
    let settings = match ctx.derived.settings.get() {
        Some(settings) => settings,
        None => match ctx.load().and_then(|c| c.settings()) {
            Ok(settings) => {
                loaded = settings;
                &loaded
            }
            Err(_) => return,
        },
    };
    if let Some(warning) = &settings.telemetry.unreadable {
        ctx.ui.warn(warning);
    }
    let collector = Collector::new(settings);
    if !collector.is_enabled() {
        return;
    }
    let duration_ms = elapsed.as_millis() as u64;
    let success = matches!(result, Ok(0));
    collector.track_event(
        EventType::Startup,
        [
            ("version", env!("CARGO_PKG_VERSION").into()),
            ("os", std::env::consts::OS.into()),
            ("arch", std::env::consts::ARCH.into()),
            ("ci", settings.ci.is_some().into()),
        ],
    );
    collector.track_event(
        EventType::FeatureUsed,
        [
            ("command", name.into()),
            ("feature.name", name.into()),
            ("duration_ms", duration_ms.into()),
            ("success", success.into()),
        ],
    );
    for feature in features {
        collector.track_event(
            EventType::FeatureUsed,
            [("command", name.into()), ("feature.name", feature.into())],
        );
    }
    if let Err(err) = result {
        collector.track_error(error_type(err), name);
    }
    if let Some(observer) = crate::sync::lock(&ctx.derived.run).take() {
        for (event_type, attributes) in observer.events(duration_ms, success) {
            collector.track_event(event_type, attributes);
        }
    }
    hand_over(collector, settings, ctx);
}

/// Hands the recorded events on: printed in debug mode, else queued in the outbox, with
/// the one-time notice and the detached sender started when one is due.
fn hand_over(collector: Collector, settings: &Settings, ctx: &Context) {
    match collector.finish() {
        Ok(finished) if finished.events.is_empty() => {}
        Ok(finished) if !finished.queued => {
            for event in &finished.events {
                crate::stderr::line(&event.debug_line());
            }
        }
        Ok(_) => {
            let paths = &settings.paths;
            if settings.ci.is_none() && notice::first_time(&paths.config_dir.value) {
                crate::stderr::line(notice::NOTICE);
            }
            let started = std::env::current_exe().and_then(|exe| {
                sender::spawn_when_due(
                    &exe,
                    &paths.data_dir.value,
                    &settings.telemetry.endpoint.value,
                )
            });
            if let Ok(false) = started {
                ctx.ui
                    .debug("telemetry sender not started: one started less than a minute ago");
            }
            if let Err(err) = started {
                ctx.ui
                    .debug(&format!("telemetry sender not started: {err}"));
            }
        }
        Err(err) => ctx
            .ui
            .debug(&format!("telemetry not recorded: {}", err.one_line())),
    }
}

/// The kind of error, never its message.
fn error_type(err: &Error) -> &'static str {
    match err {
        Error::Usage { .. } => "usage",
        Error::BadInput { .. } => "bad_input",
        Error::Io { .. } => "io",
        Error::Failed { .. } => "failed",
    }
}
