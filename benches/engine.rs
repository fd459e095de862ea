//! Engine benchmarks (figures printed, nothing asserted), against a discarding loopback
//! sink: enqueue latency at 100,000 spans/s, end-to-end throughput (plain and gzip), drop
//! rate and CPU per million spans at a sustained 10,000 spans/s, and peak memory with a
//! dead provider. `BENCH_SOAK_SECS` shortens the soak (default 60).
//! Run with `cargo bench --bench engine`; `scripts/bench-python-sdk` runs the same
//! workload through the Python SDK for comparison.

#[path = "common.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use automagik_tracing::engine::{Engine, EngineOptions};
use automagik_tracing::export;
use automagik_tracing::span::{Resource, Scope, Span};
use automagik_tracing::{Config, LoadOptions};
use common::{cpu_seconds, discarding_sink, genai_span, peak_rss_mib};

fn engine(
    url: &str,
    gzip: bool,
    tune: impl FnOnce(&mut EngineOptions),
) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LoadOptions {
        cwd: dir.path().to_path_buf(),
        ..Default::default()
    };
    for (k, v) in [
        (
            "AUTOMAGIK_CONFIG_DIR",
            dir.path().join("c").display().to_string(),
        ),
        (
            "AUTOMAGIK_DATA_DIR",
            dir.path().join("d").display().to_string(),
        ),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", url.to_string()),
        (
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            if gzip { "gzip" } else { "none" }.to_string(),
        ),
    ] {
        options.env.insert(k.into(), v);
    }
    let settings = Config::load(options).unwrap().settings().unwrap();
    let otlp = settings
        .observability
        .providers
        .iter()
        .find(|p| p.name == "otlp")
        .unwrap();
    let exporter = export::build(&settings, otlp).unwrap();
    let mut options = EngineOptions::from_settings(&settings);
    options.data_dir = None;
    tune(&mut options);
    (Engine::start_with(vec![exporter], options).unwrap(), dir)
}

fn spans(n: usize) -> Vec<Span> {
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    (0..n).map(|i| genai_span(&resource, &scope, i)).collect()
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q) as usize] as f64 / 1000.0
}

/// Records `spans` at `rate` per second, timing each call; returns the sorted latencies (ns).
fn paced(engine: &Engine, spans: Vec<Span>, rate: f64) -> Vec<u64> {
    let recorder = engine.recorder();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(spans.len());
    for (i, span) in spans.into_iter().enumerate() {
        let due = start + interval * i as u32;
        while Instant::now() < due {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        recorder.record(span);
        latencies.push(t.elapsed().as_nanos() as u64);
    }
    latencies.sort_unstable();
    latencies
}

fn wait_exported(engine: &Engine, n: u64) {
    let start = Instant::now();
    loop {
        let m = engine.metrics();
        let done = m.exporters[0].exported.load(Relaxed) + m.dropped_queue_full.load(Relaxed);
        let dropped: u64 = engine.metrics().exporters[0].dropped().values().sum();
        if done + dropped >= n || start.elapsed() > Duration::from_secs(120) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() {
    let (url, _bytes) = discarding_sink();

    // 0. Peak memory with a blackholed provider (it accepts, never answers) and the queue at its byte cap.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    let cap = 50u64 << 20;
    let before = peak_rss_mib();
    let (e, _d) = engine(&dead_url, false, |o| o.queue_max_bytes = cap);
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    let recorder = e.recorder();
    for i in 0..400_000 {
        let mut s = genai_span(&resource, &scope, i);
        s.set("prompt", "p".repeat(512));
        recorder.record(s);
    }
    println!(
        "blackholed provider, queue cap {} MiB: peak RSS {:.1} MiB (was {:.1} MiB before), {} spans dropped as the queue was full",
        cap >> 20,
        peak_rss_mib(),
        before,
        e.metrics().dropped_queue_full.load(Relaxed)
    );
    e.shutdown(Duration::from_secs(1));
    drop(dead);

    // 1. Enqueue latency at 100,000 spans/s for 2 s.
    let (e, _d) = engine(&url, false, |_| {});
    let lat = paced(&e, spans(200_000), 100_000.0);
    println!(
        "enqueue latency at 100k spans/s: p50 {:.2} µs  p99 {:.2} µs  p999 {:.2} µs  max {:.1} µs",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        *lat.last().unwrap() as f64 / 1000.0
    );
    e.shutdown(Duration::from_secs(10));

    // 2. End-to-end throughput, as fast as the producer can go.
    for gzip in [false, true] {
        let n = 1_000_000;
        let (e, _d) = engine(&url, gzip, |o| {
            o.queue_max_spans = n;
            o.queue_max_bytes = 4 << 30;
        });
        let batch = spans(n);
        let recorder = e.recorder();
        let start = Instant::now();
        for span in batch {
            recorder.record(span);
        }
        wait_exported(&e, n as u64);
        let secs = start.elapsed().as_secs_f64();
        let exported = e.metrics().exporters[0].exported.load(Relaxed);
        println!(
            "end-to-end {}: {:.0} spans/s ({exported} of {n} exported in {secs:.2} s)",
            if gzip { "gzip " } else { "plain" },
            exported as f64 / secs
        );
        e.shutdown(Duration::from_secs(10));
    }

    // 3. Sustained 10,000 spans/s: drop rate and CPU per million spans.
    let soak: u64 = std::env::var("BENCH_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (e, _d) = engine(&url, false, |_| {});
    let n = (10_000 * soak) as usize;
    let batch = spans(n);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let _ = paced(&e, batch, 10_000.0);
    let producing = started.elapsed().as_secs_f64();
    let run = e.shutdown(Duration::from_secs(10));
    let cpu = cpu_seconds() - cpu_before;
    // The paced producer spins on a core while it produces; count it out. What is left is
    // the engine's thread and the in-process sink's.
    let engine_cpu = (cpu - producing).max(0.0);
    println!(
        "sustained 10k spans/s for {soak} s: drop rate {:.4} % ({} exported of {n}); engine CPU {:.2} s per million spans",
        run.drop_rate * 100.0,
        run.exporters[0].exported,
        engine_cpu / (n as f64 / 1e6)
    );
}
