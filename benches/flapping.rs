//! A provider that comes and goes (figures printed, nothing asserted): the engine records
//! 3,000 spans/s for `BENCH_FLAP_SECS` (30) against a loopback provider that answers 503
//! for `BENCH_FLAP_PERIOD` seconds (3) and is up for as long, then shuts down with the
//! default 5 s deadline. Prints the share of spans delivered by the end of the run (the
//! target: at least 95 %), what was spooled and is still waiting, what was lost (should be
//! none), and the memory. Issue #15's scenario is `BENCH_FLAP_SECS=150
//! BENCH_FLAP_PERIOD=15`. Run with `cargo bench --bench flapping`.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

#[path = "common.rs"]
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automagik_tracing::engine::spool;
use automagik_tracing::engine::{Engine, EngineOptions};
use automagik_tracing::span::{Resource, Scope};
use common::{genai_span, otlp_to, peak_rss_mib};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;

const SPANS_PER_SEC: usize = 3_000;
const TICK: Duration = Duration::from_millis(10);

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs = env_secs("BENCH_FLAP_SECS", 30);
    let period = Duration::from_secs(env_secs("BENCH_FLAP_PERIOD", 3));
    let dir = tempfile::tempdir().unwrap();
    let up = Arc::new(AtomicBool::new(true));
    let received = Arc::new(Mutex::new(HashSet::<[u8; 8]>::new()));
    let url = flapping_sink(up.clone(), received.clone());
    let (settings, exporter) = otlp_to(dir.path(), &url, false);
    let engine = Engine::start_with(vec![exporter], EngineOptions::from_settings(&settings))
        .expect("engine");

    let resource = Arc::new(Resource::service("flapping"));
    let scope = Arc::new(Scope::default());
    let start = Instant::now();
    let mut recorded = 0usize;
    let mut rss_half = 0.0;
    while start.elapsed() < Duration::from_secs(secs) {
        let phase = (start.elapsed().as_secs_f64() / period.as_secs_f64()) as u64;
        // Down first, so that the run ends as an up window does (spans recorded in a down
        // window the run ends in cannot be delivered by its end).
        up.store(phase % 2 == 1, Relaxed);
        let due = (start.elapsed().as_secs_f64() * SPANS_PER_SEC as f64) as usize;
        while recorded < due {
            engine.record(genai_span(&resource, &scope, recorded));
            recorded += 1;
        }
        if rss_half == 0.0 && start.elapsed() >= Duration::from_secs(secs / 2) {
            rss_half = rss_mib();
        }
        std::thread::sleep(TICK);
    }
    let rss_end = rss_mib();
    let run = engine.shutdown(Duration::from_secs(5));
    let delivered = received.lock().unwrap().len();
    let data_dir = &settings.paths.data_dir.value;
    let waiting = spool::pending(&spool::provider_dir(data_dir, "otlp"))
        .unwrap()
        .spans as usize;
    let e = &run.exporters[0];
    println!(
        "flapping provider, {secs} s at {SPANS_PER_SEC} spans/s, {} s down / {} s up: {recorded} spans recorded",
        period.as_secs(),
        period.as_secs()
    );
    println!(
        "  delivered by the end of the run: {delivered} ({:.1} %; target >= 95 %), {} of them from the spool in the background",
        100.0 * delivered as f64 / recorded as f64,
        e.recovered
    );
    println!(
        "  still spooled: {waiting} spans; lost: {} (recorded - delivered - spooled); dropped: {:?}",
        recorded.saturating_sub(delivered + waiting),
        e.dropped
    );
    println!(
        "  RSS at half time {rss_half:.1} MiB, at the end {rss_end:.1} MiB, peak {:.1} MiB",
        peak_rss_mib()
    );
}

/// Resident memory now, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// A loopback OTLP endpoint that takes requests while `up` (remembering each span id)
/// and answers 503 otherwise. Returns its base URL.
fn flapping_sink(up: Arc<AtomicBool>, received: Arc<Mutex<HashSet<[u8; 8]>>>) -> String {
    common::loopback_server(move |body| {
        if !up.load(Relaxed) {
            return 503;
        }
        if let Ok(request) = ExportTraceServiceRequest::decode(body) {
            let mut ids = received.lock().unwrap();
            let spans = request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans);
            for span in spans {
                if let Ok(id) = span.span_id.as_slice().try_into() {
                    ids.insert(id);
                }
            }
        }
        200
    })
}
