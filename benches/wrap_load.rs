//! The wrapper's memory under load: `run --wrap` around a child that sends 100,000 spans/s
//! (512-span OTLP/HTTP protobuf requests, paced) to the wrapper's receiver for
//! `BENCH_SECS` seconds (default 30), the wrapper exporting to a discarding loopback sink.
//! Prints the wrapper's peak RSS (VmHWM) beside the memory bound (the default queue cap,
//! read from the configuration code, plus 20 MiB) and the rate the child reached, its RSS
//! second by second, and from the run's metrics whether the queue reached its byte cap
//! (spans dropped as it was full): the wrapper's RSS is the queue's bytes plus what the
//! allocator, the receiver and the code take beside them. The child is this bench binary
//! run again with `BENCH_WRAP_LOAD_CHILD=1`. Asserts nothing. Run with
//! `cargo bench --bench wrap_load`; `BENCH_RATE` changes the spans/s asked,
//! `BENCH_SINK_DELAY_MS` has the provider answer each request that much later (an
//! exporter slower than the child, so the queue fills to its cap), `BENCH_QUEUE_MAX_BYTES`
//! sets the wrapper's queue cap (`AUTOMAGIK_QUEUE_MAX_BYTES`, and the bound with it), and
//! `MIMALLOC_*` variables reach the wrapper (to compare the allocator's settings).

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use automagik_tracing::span::{Resource, Scope, to_request};
use common::{discarding_sink, figure, genai_span, otlp_to, slow_sink};
use prost::Message as _;

const CHILD: &str = "BENCH_WRAP_LOAD_CHILD";
const SPANS_A_REQUEST: usize = 512;
/// Requests in flight at once, so one slow answer does not hold the pace back.
const CONNECTIONS: usize = 4;
/// What the wrapper may hold beyond its queue (issue #20: the cap + 20 MiB).
const OVER_CAP_MIB: f64 = 20.0;
const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let secs = env_number("BENCH_SECS", 30);
    let rate = env_number("BENCH_RATE", 100_000);
    if std::env::var_os(CHILD).is_some() {
        return send_load(secs, rate);
    }
    let delay = env_number("BENCH_SINK_DELAY_MS", 0);
    let sink = if delay == 0 {
        discarding_sink().0
    } else {
        slow_sink(Duration::from_millis(delay))
    };
    let home = tempfile::tempdir().unwrap();
    let (settings, _) = otlp_to(home.path(), &sink, false);
    let cap = std::env::var("BENCH_QUEUE_MAX_BYTES").ok();
    let cap_bytes = cap.as_deref().and_then(|c| c.parse::<u64>().ok());
    let cap_bytes = cap_bytes.unwrap_or(settings.limits.queue_max_bytes.value);
    let bound = cap_bytes as f64 / MIB + OVER_CAP_MIB;
    let data_dir = home.path().join("data");

    let mut wrapper = Command::new(env!("CARGO_BIN_EXE_automagik-tracing"))
        .args(["run", "--wrap", "--flush-timeout", "5", "--"])
        .arg(std::env::current_exe().unwrap())
        .env_clear()
        .env("HOME", home.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &sink)
        .env("AUTOMAGIK_DATA_DIR", &data_dir)
        // Usage telemetry is not what is measured here (and must not leave the machine).
        .env("DO_NOT_TRACK", "1")
        .env(CHILD, "1")
        .env("BENCH_SECS", secs.to_string())
        .env("BENCH_RATE", rate.to_string())
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("MIMALLOC_")))
        .envs(cap.map(|cap| ("AUTOMAGIK_QUEUE_MAX_BYTES", cap)))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(wrapper.stdout.take().unwrap());
    let reader = std::thread::spawn(move || stdout.lines().map_while(Result::ok).last());
    let (peak, by_second) = watch_memory(&mut wrapper);
    let sent: f64 = reader
        .join()
        .unwrap()
        .and_then(|line| line.strip_prefix("sent ")?.parse().ok())
        .expect("the load generator prints `sent SPANS_PER_SECOND`");

    let name = format!("wrap_load.{}k_spans_s_{secs}s", rate / 1000);
    figure(&format!("{name}.peak_rss"), peak, "MiB");
    figure(&format!("{name}.sent"), sent, "spans/s");
    figure("wrap_load.memory_bound", bound, "MiB");
    println!(
        "run --wrap, child sending {rate} spans/s for {secs} s (reached {sent:.0}): wrapper peak RSS {peak:.1} MiB (bound: queue cap + {OVER_CAP_MIB} = {bound:.0} MiB)"
    );
    let seconds: Vec<String> = by_second.iter().map(|m| format!("{m:.0}")).collect();
    println!("  RSS second by second (MiB): {}", seconds.join(" "));
    let run = automagik_tracing::engine::RunMetrics::load(&data_dir);
    let (queued, full) = run.map_or((0, 0), |r| (r.queued, r.dropped_queue_full));
    println!(
        "  queue: {queued} spans taken, {full} dropped as it was full{}",
        if full > 0 {
            " (it reached its byte cap: the provider fell behind)"
        } else {
            ""
        }
    );
}

/// The wrapper's peak RSS and its RSS second by second (MiB), read until it exits
/// successfully.
fn watch_memory(wrapper: &mut std::process::Child) -> (f64, Vec<f64>) {
    let pid = wrapper.id();
    // VmHWM only grows; the last reading before the wrapper exits is its peak.
    let mut peak = 0.0f64;
    let (mut by_second, started) = (Vec::new(), Instant::now());
    while wrapper.try_wait().unwrap().is_none() {
        peak = peak.max(rss_mib(pid, "VmHWM:"));
        if started.elapsed() >= Duration::from_secs(by_second.len() as u64 + 1) {
            by_second.push(rss_mib(pid, "VmRSS:"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = wrapper.wait().unwrap();
    assert!(
        status.success(),
        "the wrapped load generator failed: {status}"
    );
    (peak, by_second)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Process `pid`'s `VmHWM:` (peak) or `VmRSS:` (now) resident memory in MiB (0 once it
/// is gone).
fn rss_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The child: sends `rate` spans/s to the wrapper's receiver for `secs`, request `k` due
/// at `k` request intervals after the start (late ones go at once, so the average holds),
/// then prints `sent SPANS_PER_SECOND` (spans accepted over the whole time).
fn send_load(secs: u64, rate: u64) {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .expect("run --wrap sets OTEL_EXPORTER_OTLP_ENDPOINT for its child");
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let resource = Arc::new(Resource::service("load"));
    let scope = Arc::new(Scope::default());
    let spans: Vec<_> = (0..SPANS_A_REQUEST)
        .map(|i| genai_span(&resource, &scope, i))
        .collect();
    let body = hyper::body::Bytes::from(to_request(&spans).encode_to_vec());
    let interval = Duration::from_secs_f64(SPANS_A_REQUEST as f64 / rate as f64);
    let requests = (secs as f64 / interval.as_secs_f64()) as u64;
    let accepted = Arc::new(AtomicU64::new(0));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .build()
        .unwrap();
    let start = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..CONNECTIONS as u64)
            .map(|first| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                let accepted = accepted.clone();
                tokio::spawn(async move {
                    for k in (first..requests).step_by(CONNECTIONS) {
                        let due = start + interval.mul_f64(k as f64);
                        tokio::time::sleep_until(due.into()).await;
                        let sent = client
                            .post(&url)
                            .header("content-type", "application/x-protobuf")
                            .body(body.clone())
                            .send()
                            .await;
                        if sent.is_ok_and(|r| r.status().is_success()) {
                            accepted.fetch_add(SPANS_A_REQUEST as u64, Relaxed);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    println!("sent {}", accepted.load(Relaxed) as f64 / elapsed);
}
