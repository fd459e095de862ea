//! `spool-send` (hidden): spooled spans reach their provider without the user remembering
//! `flush`. A wrapped run whose own spans reached a provider (so the destination is
//! healthy) and whose spool holds older records for that same destination starts this
//! detached sender, as commands start the telemetry sender: no stdio, its own process
//! group, never waited on, so the command's exit is never delayed. The sender is `flush`
//! for that one provider, within [`SEND_TIMEOUT`], printing nothing and recording no
//! usage telemetry; records of other destinations stay where they are. One at a time per
//! provider (a sender already at work holds the spool's flush lock).

use std::fs::OpenOptions;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::cli::{FlushArgs, SPOOL_SENDER, SpoolSenderCli};
use crate::commands::Context;
use crate::config::{Settings, keys};
use crate::engine::RunMetrics;
use crate::engine::flush::FLUSH_LOCK;
use crate::engine::spool::{self, DestinationKey};
use crate::error::Result;

/// How long a background sender may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(sender: &SpoolSenderCli) -> Result<u8> {
    let mut ctx = Context::from_global(&sender.global);
    ctx.ui = crate::ui::Ui::new(true, true, 0, &ctx.options.env);
    let args = FlushArgs {
        provider: Some(sender.provider.clone()),
        json: false,
        timeout: sender.timeout,
        to_current: false,
    };
    super::flush::run(&args, &ctx)
}

/// After a run: starts a sender for each provider that took this run's spans (none
/// spooled) and has older records waiting for the same destination.
pub fn after_run(run: &RunMetrics, settings: &Settings, ctx: &Context) {
    let data_dir = &settings.paths.data_dir.value;
    for exporter in run.exporters.iter() {
        if exporter.exported == 0 || exporter.spooled > 0 {
            continue;
        }
        let Some(provider) = settings.observability.provider(&exporter.name) else {
            continue;
        };
        let dir = spool::provider_dir(data_dir, &exporter.name);
        if !waits_for(&dir, data_dir, &DestinationKey::of(provider)) || flush_running(&dir) {
            continue;
        }
        match spawn(&exporter.name, ctx) {
            Ok(()) => ctx.ui.debug(&format!(
                "older spooled spans for {} are being sent in the background",
                exporter.name
            )),
            Err(e) => ctx.ui.debug(&format!(
                "cannot start the background sender of the {} spool: {e}",
                exporter.name
            )),
        }
    }
}

/// Does the spool in `dir` hold records for this destination? Reads only.
fn waits_for(dir: &Path, data_dir: &Path, key: &DestinationKey) -> bool {
    let Some(current) = key.resolve_existing(&spool::root(data_dir)) else {
        return false; // No salt yet: no record is bound to any destination.
    };
    spool::pending_by_destination(dir)
        .unwrap_or_default()
        .iter()
        .any(|d| d.destination.as_ref() == Some(&current) && !d.pending.is_empty())
}

/// Is a flush (or another sender) at work on this spool?
fn flush_running(dir: &Path) -> bool {
    let Ok(lock) = OpenOptions::new().write(true).open(dir.join(FLUSH_LOCK)) else {
        return false; // Never flushed: nobody holds it.
    };
    lock.try_lock().is_err()
}

/// The sender, detached, with the settings this process loaded (same working dir and
/// environment, and the same global flags).
fn spawn(provider: &str, ctx: &Context) -> std::io::Result<()> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg(SPOOL_SENDER);
    if let Some(env_file) = &ctx.options.env_file {
        command.arg("--env-file").arg(env_file);
    }
    for o in &ctx.options.overrides {
        match o.var.as_str() {
            keys::CONFIG_DIR => command.arg("--config-dir").arg(&o.value),
            keys::DATA_DIR => command.arg("--data-dir").arg(&o.value),
            _ => &mut command,
        };
    }
    command
        .arg("--provider")
        .arg(provider)
        .arg("--timeout")
        .arg(SEND_TIMEOUT.as_secs().to_string());
    crate::telemetry::sender::detach(command)
}
