//! Sending telemetry without slowing anything: a command only appends its events to the
//! outbox and starts a detached sender (the hidden `telemetry-send` subcommand) that posts
//! them as OTLP spans with a 2 s deadline and exits; what it could not send stays for the
//! next one. Rust agents using the library call [`send_pending`] themselves.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::outbox;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::export::otlp_http::OtlpHttp;
use crate::export::{Exporter as _, Payload};
use crate::span::{Resource, Scope, into_request};

/// The first argument of the binary that makes it the sender (not a user subcommand: it
/// is kept out of `--help`, completions and man pages).
pub const SENDER_ARG: &str = "telemetry-send";
/// How long a sender may take, connection included.
pub const SEND_DEADLINE: Duration = Duration::from_secs(2);

/// A sender is started at most this often: starting one costs the command a process
/// spawn (milliseconds of `run --wrap`), and events recorded meanwhile wait in the outbox
/// for the next one, which sends them all in one request.
pub const SPAWN_INTERVAL: Duration = Duration::from_secs(60);

/// Starts the sender as [`spawn_detached`] does, unless one was started less than
/// [`SPAWN_INTERVAL`] ago (the mtime of `telemetry/sender.started` in the data dir says
/// when). Returns whether it started one.
pub fn spawn_when_due(exe: &Path, data_dir: &Path, endpoint: &str) -> std::io::Result<bool> {
    let marker = outbox::dir(data_dir).join(STARTED_MARKER);
    let recent = std::fs::metadata(&marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| at.elapsed().ok())
        .is_some_and(|age| age < SPAWN_INTERVAL);
    if recent {
        return Ok(false);
    }
    // Marked first: should the spawn fail, the next command tries again after the
    // interval, not at once.
    crate::config::files::open_private(
        &marker,
        OpenOptions::new().create(true).truncate(true).write(true),
    )?
    .set_modified(std::time::SystemTime::now())?;
    spawn_detached(exe, data_dir, endpoint).map(|()| true)
}

/// The file in the telemetry dir whose mtime is the last sender's start.
pub const STARTED_MARKER: &str = "sender.started";

/// Starts the sender in the background and returns at once: no stdio (a pipe held open
/// would keep a caller waiting), its own process group (a Ctrl-C meant for the command does
/// not reach it), never waited on.
pub fn spawn_detached(exe: &Path, data_dir: &Path, endpoint: &str) -> std::io::Result<()> {
    let mut command = Command::new(exe);
    command
        .arg(SENDER_ARG)
        .arg("--outbox-dir")
        .arg(data_dir)
        .arg("--endpoint")
        .arg(endpoint);
    detach(command)
}

/// Starts `command` as [`spawn_detached`] starts the sender (the spool's background sender
/// is started the same way).
pub fn detach(mut command: Command) -> std::io::Result<()> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    command.spawn().map(drop)
}

/// What one send did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Events the endpoint accepted (removed from the outbox).
    pub delivered: usize,
    /// Left in the outbox for the next sender.
    pub kept: usize,
    /// Another sender was already at work; this one did nothing.
    pub busy: bool,
}

/// For Rust agents using the library: posts the pending events when telemetry is on (and
/// not in debug mode), within [`SEND_DEADLINE`]. Blocks the calling thread for at most
/// that long; safe to call from async code (it sends from a thread of its own).
pub fn send_pending(settings: &Settings) -> Result<Sent> {
    let telemetry = &settings.telemetry;
    if !telemetry.switch.enabled || telemetry.debug.value {
        return Ok(Sent::default());
    }
    let data_dir = settings.paths.data_dir.value.clone();
    let endpoint = telemetry.endpoint.value.clone();
    std::thread::spawn(move || send_outbox(&data_dir, &endpoint, SEND_DEADLINE))
        .join()
        .unwrap_or_else(|_| Err(Error::failed("the telemetry sender stopped unexpectedly")))
}

/// Posts every pending event of the outbox in `data_dir` to `endpoint` as one OTLP
/// request, within `deadline`, and removes what was delivered. A sender already at work
/// makes this one return at once. (The switches were checked by whoever started it.)
pub fn send_outbox(data_dir: &Path, endpoint: &str, deadline: Duration) -> Result<Sent> {
    let dir = outbox::dir(data_dir);
    let lock_path = dir.join("sender.lock");
    if !outbox::path(data_dir).exists() {
        return Ok(Sent::default());
    }
    let lock = crate::config::files::open_private(
        &lock_path,
        OpenOptions::new().create(true).truncate(false).write(true),
    )
    .map_err(|e| Error::io("cannot open", &lock_path, e))?;
    if lock.try_lock().is_err() {
        return Ok(Sent {
            busy: true,
            ..Default::default()
        });
    }
    // Read under the lock: what an earlier sender delivered is gone by now.
    let events = outbox::read(data_dir)?;
    if events.is_empty() {
        return Ok(Sent::default());
    }
    let resource = Arc::new(Resource::service("automagik-tracing"));
    let scope = Arc::new(Scope {
        name: "automagik-tracing.telemetry".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    });
    let request = into_request(
        events
            .iter()
            .map(|e| e.to_span(&resource, &scope))
            .collect(),
    );
    let exporter = OtlpHttp::to_url("telemetry", endpoint)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the telemetry sender: {e}")))?;
    let delivered = runtime.block_on(async {
        tokio::time::timeout(deadline, exporter.export(&Payload::new(request)))
            .await
            .is_ok_and(|outcome| outcome.is_delivered())
    });
    // A DNS lookup still running on the blocking pool must not outlive the deadline.
    runtime.shutdown_background();
    if !delivered {
        return Ok(Sent {
            kept: events.len(),
            ..Default::default()
        });
    }
    let ids: HashSet<String> = events.iter().map(|e| e.id.clone()).collect();
    outbox::remove(data_dir, &ids)?;
    Ok(Sent {
        delivered: events.len(),
        ..Default::default()
    })
}
