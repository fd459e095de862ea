//! Engine benchmarks (figures printed, nothing asserted), against a discarding loopback
//! sink: enqueue latency at 100,000 spans/s, end-to-end throughput (plain and gzip), drop
//! rate and CPU per million spans at a sustained 10,000 spans/s, peak memory with a dead
//! provider, and the cost of content masking (throughput of bare GenAI spans with
//! `AUTOMAGIK_MASK` off and `content`, of spans carrying prompts with it off, `patterns`
//! and `content`, and the masker alone).
//! The cost of a backend profile: end-to-end throughput without one and with Phoenix's.
//! The rows compared with each other (masking modes, profiles) are medians of runs taken
//! in turn.
//! `BENCH_SOAK_SECS` shortens the soak (default 60); `BENCH_ONLY=memory`, `latency`,
//! `throughput` (plain end-to-end), `gzip` (the same, gzip), `masking`, `profiles` or `soak` runs that part alone;
//! `masker` and `profiler` the masker and the profile alone, without the engine;
//! `BENCH_SPANS` shortens the end-to-end runs (a run under callgrind).
//! Run with `cargo bench --bench engine`; `scripts/bench-python-sdk` runs the same
//! workload through the Python SDK for comparison.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;
#[path = "engine/compared.rs"]
mod compared;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use automagik_tracing::engine::{BATCH_MAX_SPANS, Engine, EngineOptions};
use automagik_tracing::mask::{MaskMode, MaskPlan, Masker};
use automagik_tracing::presets::Profile;
use automagik_tracing::profile::{ProfilePlan, Profiler};
use automagik_tracing::span::{Resource, Scope, Span};
use common::{
    cpu_seconds, discarding_sink, figure, genai_span, otlp_to, peak_rss_mib, thread_line,
    thread_times,
};
use compared::{masker_alone, masking, profiler_alone, profiles};

fn engine(
    url: &str,
    gzip: bool,
    tune: impl FnOnce(&mut EngineOptions),
) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (settings, exporter) = otlp_to(dir.path(), url, gzip);
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
        let done = m.exporters[0].exported.load(Relaxed)
            + m.exporters[0].spooled.load(Relaxed)
            + m.dropped_queue_full.load(Relaxed);
        let dropped: u64 = engine.metrics().exporters[0].dropped().values().sum();
        if done + dropped >= n || start.elapsed() > Duration::from_secs(120) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[derive(Debug)]
struct Throughput {
    exported: u64,
    secs: f64,
    /// CPU seconds per million spans, every thread of the process (the producer and the
    /// in-process sink included).
    cpu: f64,
}

impl Throughput {
    fn cpu_per_million(cpu: f64, spans: usize) -> f64 {
        cpu / (spans as f64 / 1e6)
    }

    fn spans_per_second(&self) -> f64 {
        self.exported as f64 / self.secs
    }

    fn line(&self, n: usize) -> String {
        format!(
            "{:.0} spans/s ({} of {n} exported in {:.2} s, {:.2} CPU s per million spans)",
            self.exported as f64 / self.secs,
            self.exported,
            self.secs,
            self.cpu
        )
    }
}

/// Records `batch` as fast as the producer can go and waits for it to be exported.
fn throughput(url: &str, gzip: bool, mask: MaskMode, batch: Vec<Span>) -> Throughput {
    throughput_profiled(url, gzip, mask, Profile::Plain, batch)
}

/// [`throughput`] with the exporter's backend profile set.
fn throughput_profiled(
    url: &str,
    gzip: bool,
    mask: MaskMode,
    profile: Profile,
    batch: Vec<Span>,
) -> Throughput {
    let n = batch.len();
    let (e, _d) = engine(url, gzip, |o| {
        o.queue_max_spans = n;
        o.queue_max_bytes = 4 << 30;
        o.mask = MaskPlan::all(mask);
        o.profiles = ProfilePlan {
            providers: vec![(
                "otlp".into(),
                Profiler {
                    profile,
                    resource: Vec::new(),
                },
            )],
        };
    });
    let recorder = e.recorder();
    let threads_before = thread_times();
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    for span in batch {
        recorder.record(span);
    }
    let produced = start.elapsed().as_secs_f64();
    wait_exported(&e, n as u64);
    let secs = start.elapsed().as_secs_f64();
    let cpu = Throughput::cpu_per_million(cpu_seconds() - cpu_before, n);
    println!(
        "  per thread in {secs:.2} s (the producer recorded for {produced:.2} s): {}",
        thread_line(&threads_before, &thread_times(), secs)
    );
    let exported = e.metrics().exporters[0].exported.load(Relaxed);
    e.shutdown(Duration::from_secs(10));
    Throughput {
        exported,
        secs,
        cpu,
    }
}

/// Peak memory with a blackholed provider (it accepts, never answers) while the queue is
/// held at its byte cap.
fn memory() {
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
    figure("engine.blackholed.peak_rss", peak_rss_mib(), "MiB");
    println!(
        "blackholed provider, queue cap {} MiB: peak RSS {:.1} MiB (was {:.1} MiB before), {} spans dropped as the queue was full",
        cap >> 20,
        peak_rss_mib(),
        before,
        e.metrics().dropped_queue_full.load(Relaxed)
    );
    e.shutdown(Duration::from_secs(1));
    drop(dead);
}

/// Enqueue latency at 100,000 spans/s for 2 s.
fn latency(url: &str) {
    let (e, _d) = engine(url, false, |_| {});
    let lat = paced(&e, spans(200_000), 100_000.0);
    println!(
        "enqueue latency at 100k spans/s: p50 {:.2} µs  p99 {:.2} µs  p999 {:.2} µs  max {:.1} µs",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        *lat.last().unwrap() as f64 / 1000.0
    );
    figure("engine.enqueue.p99", percentile(&lat, 0.99), "µs");
    e.shutdown(Duration::from_secs(10));
}

/// `n` rounded up to whole batches. A throughput run ends when its last span is
/// exported; a last batch short of [`BATCH_MAX_SPANS`] would leave only when
/// [`automagik_tracing::engine::BATCH_TIMEOUT`] (1 s) runs out, and the run would time
/// that timer instead of the engine (a million spans is 1953 batches and 64 spans over).
fn whole_batches(n: usize) -> usize {
    n.next_multiple_of(BATCH_MAX_SPANS)
}

/// End-to-end throughput of a million spans (`BENCH_SPANS` others: fewer for a run under
/// callgrind), as fast as the producer can go.
fn end_to_end(url: &str, gzip: bool) {
    let n = std::env::var("BENCH_SPANS")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(whole_batches(1_000_000), whole_batches);
    let run = throughput(url, gzip, MaskMode::None, spans(n));
    let compression = if gzip { "gzip " } else { "plain" };
    let name = format!("engine.e2e.{}.mask_none", compression.trim());
    figure(&name, run.spans_per_second(), "spans/s");
    figure(&format!("{name}.cpu"), run.cpu, "CPU s/M spans");
    println!("end-to-end {compression}: {}", run.line(n));
}

/// Sustained 10,000 spans/s: drop rate and CPU per million spans.
fn soak(url: &str) {
    let soak: u64 = std::env::var("BENCH_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (e, _d) = engine(url, false, |_| {});
    let n = (10_000 * soak) as usize;
    let batch = spans(n);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let _ = paced(&e, batch, 10_000.0);
    let producing = started.elapsed().as_secs_f64();
    let run = e.shutdown(Duration::from_secs(10));
    let cpu = cpu_seconds() - cpu_before;
    // The paced producer spins on a core while it produces; count it out. What is left is
    // the engine's threads and the in-process sink's.
    let engine_cpu = (cpu - producing).max(0.0);
    figure("engine.soak.drop_rate", run.drop_rate * 100.0, "%");
    figure(
        "engine.soak.cpu",
        engine_cpu / (n as f64 / 1e6),
        "CPU s/M spans",
    );
    println!(
        "sustained 10k spans/s for {soak} s: drop rate {:.4} % ({} exported of {n}); engine CPU {:.2} s per million spans",
        run.drop_rate * 100.0,
        run.exporters[0].exported,
        engine_cpu / (n as f64 / 1e6)
    );
}

fn main() {
    // As the binary does (`src/main.rs`).
    automagik_tracing::allocator::return_freed_memory_promptly();
    let (url, _bytes) = discarding_sink();
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("memory") => memory(),
        Ok("latency") => latency(&url),
        Ok("throughput") => end_to_end(&url, false),
        Ok("gzip") => end_to_end(&url, true),
        Ok("masking") => masking(&url),
        Ok("profiles") => profiles(&url),
        Ok("masker") => masker_alone(),
        Ok("profiler") => profiler_alone(),
        Ok("soak") => soak(&url),
        _ => {
            memory();
            latency(&url);
            end_to_end(&url, false);
            end_to_end(&url, true);
            masking(&url);
            profiles(&url);
            soak(&url);
        }
    }
}
