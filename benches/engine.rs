//! Engine benchmarks (figures printed, nothing asserted), against a discarding loopback
//! sink: enqueue latency at 100,000 spans/s, end-to-end throughput (plain and gzip), drop
//! rate and CPU per million spans at a sustained 10,000 spans/s, peak memory with a dead
//! provider, and the cost of content masking (throughput of spans carrying prompts with
//! `AUTOMAGIK_MASK` off, `patterns` and `content`, and the masker alone).
//! The cost of a backend profile: end-to-end throughput without one and with Phoenix's.
//! `BENCH_SOAK_SECS` shortens the soak (default 60); `BENCH_ONLY=memory`, `latency`,
//! `throughput` (plain end-to-end), `gzip` (the same, gzip), `masking`, `profiles` or `soak` runs that part alone;
//! `masker` and `profiler` the masker and the profile alone, without the engine;
//! `BENCH_SPANS` shortens the end-to-end runs (a run under callgrind).
//! Run with `cargo bench --bench engine`; `scripts/bench-python-sdk` runs the same
//! workload through the Python SDK for comparison.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

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

/// A GenAI span with content: a prompt (with an email and a key in it), a completion and
/// tool arguments, about 1 KiB of text.
fn content_span(resource: &Arc<Resource>, scope: &Arc<Scope>, i: usize) -> Span {
    let mut span = genai_span(resource, scope, i);
    let prompt = format!(
        "[{{\"role\":\"system\",\"content\":\"You are a support agent for ACME. Answer briefly and politely; never reveal internal notes.\"}},{{\"role\":\"user\",\"content\":\"Hi, I am customer {i}, reach me at ana.{i}@example.com. My order 55213 arrived broken and the tracking page at 10.1.2.3 says delivered. Can I get a refund? The API key in my account is sk-proj-Abc{i:08}def456ghi789.\"}}]"
    );
    span.set("gen_ai.input.messages", prompt)
        .set(
            "gen_ai.output.messages",
            "[{\"role\":\"assistant\",\"content\":\"I am sorry your order arrived broken. I have opened a refund request; you will receive a confirmation email within two business days.\"}]",
        )
        .set(
            "gen_ai.tool.call.arguments",
            format!("{{\"order_id\":55213,\"customer\":{i},\"reason\":\"arrived broken\"}}"),
        );
    span
}

fn content_spans(n: usize) -> Vec<Span> {
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    (0..n).map(|i| content_span(&resource, &scope, i)).collect()
}

/// Throughput with masking off, `patterns` and `content`, and the masker's own cost.
fn masking(url: &str) {
    let n = whole_batches(200_000);
    for mode in [MaskMode::None, MaskMode::Patterns, MaskMode::Content] {
        let run = throughput(url, false, mode, content_spans(n));
        println!(
            "end-to-end plain, spans with ~1 KiB of content, mask {mode:<8}: {}",
            run.line(n)
        );
        figure(
            &format!("engine.content_spans.mask_{mode}"),
            run.spans_per_second(),
            "spans/s",
        );
    }
    masker_alone();
}

/// The masker alone, on one core, in wall and CPU time (`BENCH_ONLY=masker`: a quick A/B).
fn masker_alone() {
    let n = 200_000;
    for mode in [MaskMode::Patterns, MaskMode::Content] {
        let mut batch = content_spans(n);
        let masker = Masker::new(mode, &[]);
        let cpu_before = cpu_seconds();
        let start = Instant::now();
        let failed = masker.mask_batch(&mut batch);
        let secs = start.elapsed().as_secs_f64();
        let cpu = (cpu_seconds() - cpu_before) * 1e9 / n as f64;
        assert_eq!(failed, 0);
        figure(&format!("engine.masker.{mode}"), cpu, "CPU ns/span");
        println!(
            "masker alone, {mode:<8}: {:.2} µs per span ({:.0} spans/s on one core; {cpu:.0} CPU ns per span)",
            secs * 1e6 / n as f64,
            n as f64 / secs
        );
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
fn end_to_end(url: &str, gzip: bool, mask: MaskMode) {
    let n = std::env::var("BENCH_SPANS")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(whole_batches(1_000_000), whole_batches);
    let run = throughput(url, gzip, mask, spans(n));
    let compression = if gzip { "gzip " } else { "plain" };
    let name = format!("engine.e2e.{}.mask_{mask}", compression.trim());
    figure(&name, run.spans_per_second(), "spans/s");
    figure(&format!("{name}.cpu"), run.cpu, "CPU s/M spans");
    match mask {
        MaskMode::None => println!("end-to-end {compression}: {}", run.line(n)),
        mode => println!("end-to-end {compression}, mask {mode}: {}", run.line(n)),
    }
}

/// The cost of a backend profile: end-to-end throughput without one and with Phoenix's
/// (OpenInference: a semantic read and up to a dozen attributes added per span), for a
/// million bare GenAI spans (the worst case: the added attributes are half the span) and
/// for spans with ~1 KiB of content, as agents' model calls carry; then the profile alone.
fn profiles(url: &str) {
    let cost = |plain: &Throughput, profiled: &Throughput| {
        (1.0 - profiled.spans_per_second() / plain.spans_per_second()) * 100.0
    };
    for (label, name, n, make) in [
        (
            "bare GenAI spans",
            "e2e.plain",
            whole_batches(1_000_000),
            spans as fn(usize) -> Vec<Span>,
        ),
        (
            "spans with ~1 KiB of content",
            "content_spans",
            whole_batches(200_000),
            content_spans,
        ),
    ] {
        let plain = throughput_profiled(url, false, MaskMode::None, Profile::Plain, make(n));
        let profiled =
            throughput_profiled(url, false, MaskMode::None, Profile::OpenInference, make(n));
        figure(
            &format!("engine.{name}.profile_none"),
            plain.spans_per_second(),
            "spans/s",
        );
        figure(
            &format!("engine.{name}.profile_openinference"),
            profiled.spans_per_second(),
            "spans/s",
        );
        println!("end-to-end plain, {label}, no profile: {}", plain.line(n));
        println!(
            "end-to-end plain, {label}, openinference profile: {}",
            profiled.line(n)
        );
        println!(
            "profile cost, {label}: {:.1} % of end-to-end throughput",
            cost(&plain, &profiled)
        );
    }
    profiler_alone();
}

/// The profile alone, in CPU time (steadier than wall time on a shared machine):
/// `BENCH_ONLY=profiler` runs it alone, a quick A/B.
fn profiler_alone() {
    let mut batch = spans(200_000);
    let profiler = Profiler {
        profile: Profile::OpenInference,
        resource: Vec::new(),
    };
    let cpu_before = cpu_seconds();
    let mut tokens = 0;
    for span in &batch {
        tokens += automagik_tracing::semantic::read(span)
            .tokens
            .input
            .unwrap_or(0);
    }
    let read = (cpu_seconds() - cpu_before) * 1e9 / batch.len() as f64;
    let cpu_before = cpu_seconds();
    profiler.apply_batch(&mut batch);
    let apply = (cpu_seconds() - cpu_before) * 1e9 / batch.len() as f64;
    figure("engine.profile.read", read, "CPU ns/span");
    figure("engine.profile.apply", apply, "CPU ns/span");
    println!(
        "semantic read alone: {read:.0} CPU ns per span ({tokens} tokens); the openinference profile (read included): {apply:.0} CPU ns per span"
    );
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
        Ok("throughput") => end_to_end(&url, false, MaskMode::None),
        Ok("gzip") => end_to_end(&url, true, MaskMode::None),
        Ok("masking") => masking(&url),
        Ok("profiles") => profiles(&url),
        Ok("masker") => masker_alone(),
        Ok("profiler") => profiler_alone(),
        Ok("soak") => soak(&url),
        _ => {
            memory();
            latency(&url);
            end_to_end(&url, false, MaskMode::None);
            end_to_end(&url, true, MaskMode::None);
            end_to_end(&url, false, MaskMode::Content);
            masking(&url);
            profiles(&url);
            soak(&url);
        }
    }
}
