//! Usage telemetry end to end: events reach a test endpoint from the detached sender, every
//! opt-out keeps it silent, read-only commands record nothing, the notice shows once, debug
//! prints instead of sending, a blackholed endpoint slows nothing, and a wrapped PydanticAI
//! run becomes framework, agent and tool events with none of the run's content. Here the
//! helpers; a file per behaviour in `telemetry/`.

use std::path::Path;
use std::time::{Duration, Instant};

use automagik_tracing::span::{Value, from_request};

use crate::sink::Sink;
use crate::testenv::{TestEnv, wait_for};

mod consent;
mod content;
mod sending;

/// Events the sink received, as (event type, attributes) with string-rendered values.
fn events(sink: &Sink) -> Vec<(String, Vec<(String, Value)>)> {
    sink.requests()
        .iter()
        .flat_map(|r| from_request(&r.decode()).0)
        .map(|s| {
            let attrs = s
                .attributes
                .iter()
                .map(|a| (a.key.to_string(), a.value.clone()))
                .collect();
            (s.name, attrs)
        })
        .collect()
}

fn attr<'a>(event: &'a (String, Vec<(String, Value)>), key: &str) -> Option<&'a Value> {
    event.1.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A TestEnv whose telemetry goes to `sink` (the default TestEnv sends it nowhere).
fn with_telemetry(sink: &Sink) -> TestEnv {
    TestEnv::new().telemetry_to(&format!("{}/v1/traces", sink.url()))
}

/// The default data dir of `env`.
fn data_dir(env: &TestEnv) -> std::path::PathBuf {
    env.home.join(".local/share/automagik")
}

/// As if a minute had passed since the last sender started: the next command starts one.
fn sender_due(env: &TestEnv) {
    let marker = data_dir(env).join("telemetry/sender.started");
    // `id --reset` may have taken it already.
    let _ = std::fs::remove_file(&marker);
}

/// No sender process for this data dir is left (they end within their 2 s deadline).
fn wait_for_senders(data_dir: &Path) -> Duration {
    let start = Instant::now();
    let needle = data_dir.display().to_string();
    wait_for("the telemetry sender to exit", || {
        !std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            std::fs::read(p.path().join("cmdline")).is_ok_and(|c| {
                let text = String::from_utf8_lossy(&c);
                text.contains("telemetry-send") && text.contains(&needle)
            })
        })
    });
    start.elapsed()
}
