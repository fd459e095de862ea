//! Engine behaviour with the in-memory exporter double.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::export::memory::MemoryExporter;
use crate::export::{Cause, Outcome};
use crate::span::{Resource, Scope};

mod lanes;
mod threads;

/// Options for tests: a roomy queue, default batches, no data dir, spool, mask or profile.
pub(crate) fn options() -> EngineOptions {
    EngineOptions {
        queue_max_spans: 10_000,
        queue_max_bytes: 50 * 1024 * 1024,
        intake: Intake::new(1.0, 1000, intake::DEFAULT_VALUE_LIMIT),
        batch_max_spans: BATCH_MAX_SPANS,
        batch_max_bytes: BATCH_MAX_BYTES,
        batch_timeout: BATCH_TIMEOUT,
        retry: true,
        data_dir: None,
        spool_dir: None,
        spool_max_bytes: 0,
        mask: crate::mask::MaskPlan::default(),
        destinations: Vec::new(),
        profiles: crate::profile::ProfilePlan::default(),
    }
}

pub(super) fn span(name: &str) -> Span {
    let mut s = Span::start(
        name,
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    s.end();
    s
}

fn engine_with(memory: &Arc<MemoryExporter>, options: EngineOptions) -> Engine {
    let exporter: Arc<dyn Exporter> = memory.clone();
    Engine::start_with(vec![exporter], options).unwrap()
}

/// An engine of these exporters with a spool under `dir`, batches of 10 spans.
fn spooling_engine(exporters: Vec<Arc<MemoryExporter>>, dir: &std::path::Path) -> Engine {
    let exporters: Vec<Arc<dyn Exporter>> = exporters
        .into_iter()
        .map(|e| e as Arc<dyn Exporter>)
        .collect();
    Engine::start_with(
        exporters,
        EngineOptions {
            batch_max_spans: 10,
            spool_dir: Some(dir.to_path_buf()),
            spool_max_bytes: 1 << 30,
            ..options()
        },
    )
    .unwrap()
}

/// The sizes of the batches received, largest first (deliveries run side by side, so
/// they may arrive in any order).
fn batch_sizes(memory: &MemoryExporter) -> Vec<usize> {
    let mut sizes: Vec<usize> = memory
        .received()
        .iter()
        .map(|r| {
            r.resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .map(|ss| ss.spans.len())
                .sum()
        })
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

/// A recorder of a queue of `capacity` spans and `max_bytes` that nobody drains, so its
/// bounds are exact; the receiver keeps the queue open.
fn undrained_recorder(
    capacity: usize,
    max_bytes: u64,
) -> (Recorder, mpsc::Receiver<Queued>, Arc<Metrics>) {
    let (tx, rx) = mpsc::channel(capacity);
    let metrics = Arc::new(Metrics::default());
    let recorder = Recorder {
        tx,
        records_tx: mpsc::channel(1).0,
        queued_bytes: Arc::new(AtomicU64::new(0)),
        max_bytes,
        intake: Arc::new(Intake::new(1.0, 1000, 1024 * 1024)),
        metrics: metrics.clone(),
    };
    (recorder, rx, metrics)
}

#[test]
fn drops_newest_when_full_and_counts_it() {
    let (recorder, _rx, metrics) = undrained_recorder(3, u64::MAX);
    for i in 0..5 {
        recorder.record(span(&format!("s{i}")));
    }
    assert_eq!(metrics.queued.load(Relaxed), 3);
    assert_eq!(metrics.dropped_queue_full.load(Relaxed), 2);
}

#[test]
fn the_byte_bound_drops_too() {
    let (recorder, _rx, metrics) = undrained_recorder(1000, 1000);
    let mut big = span("big");
    big.set("prompt", "x".repeat(600));
    recorder.record(big.clone());
    recorder.record(big);
    assert_eq!(metrics.queued.load(Relaxed), 1);
    assert_eq!(metrics.dropped_queue_full.load(Relaxed), 1);
}

#[test]
fn batches_close_at_the_span_count() {
    let memory = Arc::new(MemoryExporter::new("m"));
    let engine = engine_with(
        &memory,
        EngineOptions {
            batch_max_spans: 3,
            ..options()
        },
    );
    for i in 0..7 {
        engine.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(batch_sizes(&memory), vec![3, 3, 1]);
    assert_eq!(run.exporters[0].exported, 7);
}

#[test]
fn batches_close_at_the_byte_estimate() {
    let memory = Arc::new(MemoryExporter::new("m"));
    let mut one = span("s");
    one.set("v", "x".repeat(1000));
    // Measured on a clone, as recorded: a clone has no spare capacity.
    let size = intake::approx_size(&one.clone());
    let engine = engine_with(
        &memory,
        EngineOptions {
            batch_max_bytes: size * 2,
            ..options()
        },
    );
    for _ in 0..5 {
        engine.record(one.clone());
    }
    engine.shutdown(Duration::from_secs(5));
    assert_eq!(batch_sizes(&memory), vec![2, 2, 1]);
}

#[test]
fn a_batch_leaves_after_the_timeout() {
    let memory = Arc::new(MemoryExporter::new("m"));
    let engine = engine_with(
        &memory,
        EngineOptions {
            batch_timeout: Duration::from_millis(50),
            ..options()
        },
    );
    engine.record(span("alone"));
    let start = Instant::now();
    while memory.received().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the timer never fired"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    engine.shutdown(Duration::from_secs(1));
}

#[test]
fn retryable_then_success_delivers_once() {
    let retryable = Outcome::Retryable {
        cause: Cause::Http(503),
        retry_after: Some(Duration::from_millis(10)),
        message: "busy".into(),
    };
    let memory = Arc::new(MemoryExporter::new("m").answering(vec![retryable]));
    let engine = engine_with(
        &memory,
        EngineOptions {
            batch_timeout: Duration::from_millis(10),
            ..options()
        },
    );
    engine.record(span("s"));
    // Retries happen while running; at shutdown there is one attempt only.
    let start = Instant::now();
    while memory.received().len() < 2 {
        assert!(start.elapsed() < Duration::from_secs(10), "no retry came");
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(memory.received().len(), 2);
    assert_eq!(run.exporters[0].exported, 1);
    assert_eq!(run.exporters[0].retries, 1);
}

#[test]
fn permanent_failures_are_not_retried() {
    let refused = Outcome::Permanent {
        cause: Cause::Http(401),
        message: "no".into(),
    };
    let memory = Arc::new(MemoryExporter::new("m").answering(vec![refused]));
    let engine = engine_with(&memory, options());
    engine.record(span("s"));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(memory.received().len(), 1);
    assert_eq!(run.exporters[0].dropped.get("rejected"), Some(&1));
    assert!(!run.healthy);
}

#[test]
fn sampled_out_spans_are_counted_not_sent() {
    let memory = Arc::new(MemoryExporter::new("m"));
    let engine = engine_with(
        &memory,
        EngineOptions {
            intake: Intake::new(0.0, 1000, 1024),
            ..options()
        },
    );
    engine.record(span("s"));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.sampled_out, 1);
    assert!(memory.received().is_empty());
}

#[test]
fn every_span_ends_delivered_or_counted() {
    let retryable = Outcome::Retryable {
        cause: Cause::Refused,
        retry_after: None,
        message: "refused".into(),
    };
    let memory = Arc::new(MemoryExporter::new("m").answering(vec![retryable; 1000]));
    let engine = engine_with(&memory, options());
    for i in 0..100 {
        engine.record(span(&format!("s{i}")));
    }
    let start = Instant::now();
    let run = engine.shutdown(Duration::from_millis(500));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        start.elapsed()
    );
    let dropped: u64 = run.exporters[0].dropped.values().sum();
    assert_eq!(run.exporters[0].exported + dropped, 100, "{run:?}");
}

#[test]
fn each_exporter_receives_its_own_mask_mode() {
    use crate::mask::{MaskMode, MaskPlan};
    let full = Arc::new(MemoryExporter::new("full"));
    let masked = Arc::new(MemoryExporter::new("masked"));
    let exporters: Vec<Arc<dyn Exporter>> = vec![masked.clone(), full.clone()];
    let plan = MaskPlan {
        default: MaskMode::Content,
        providers: vec![("full".into(), MaskMode::None)],
        keep: Vec::new(),
    };
    let engine = Engine::start_with(
        exporters,
        EngineOptions {
            mask: plan,
            ..options()
        },
    )
    .unwrap();
    let mut s = span("chat");
    s.set("gen_ai.input.messages", "my prompt");
    engine.record(s);
    let run = engine.shutdown(Duration::from_secs(5));
    let prompt = |memory: &MemoryExporter| {
        let received = memory.received();
        crate::span::from_request(&received[0]).0[0]
            .attribute("gen_ai.input.messages")
            .cloned()
    };
    assert_eq!(prompt(&full), Some(crate::span::Value::from("my prompt")));
    assert_eq!(
        prompt(&masked),
        Some(crate::span::Value::from("[MASKED len=9]"))
    );
    assert!(run.exporters.iter().all(|e| e.exported == 1), "{run:?}");
}

#[test]
fn a_span_that_cannot_be_masked_is_not_sent_and_is_counted() {
    use crate::mask::{MAX_DEPTH, MaskMode, MaskPlan};
    use crate::span::Value;
    let memory = Arc::new(MemoryExporter::new("m"));
    let engine = engine_with(
        &memory,
        EngineOptions {
            mask: MaskPlan::all(MaskMode::Patterns),
            ..options()
        },
    );
    let mut deep = Value::from("x");
    for _ in 0..=MAX_DEPTH {
        deep = Value::Array(vec![deep]);
    }
    let mut bad = span("bad");
    bad.set("deep", deep);
    engine.record(bad);
    engine.record(span("good"));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(batch_sizes(&memory), vec![1]);
    assert_eq!(run.exporters[0].exported, 1);
    assert_eq!(run.exporters[0].dropped.get("mask_failed"), Some(&1));
}

#[test]
fn exporters_of_one_mask_mode_get_each_their_own_profile() {
    use crate::presets::Profile;
    use crate::profile::{ProfilePlan, Profiler};
    let phoenix = Arc::new(MemoryExporter::new("phoenix"));
    let mlflow = Arc::new(MemoryExporter::new("mlflow"));
    let plain = Arc::new(MemoryExporter::new("otlp"));
    let profiler = |profile| Profiler {
        profile,
        resource: Vec::new(),
    };
    let options = EngineOptions {
        profiles: ProfilePlan {
            providers: vec![
                ("phoenix".into(), profiler(Profile::OpenInference)),
                ("mlflow".into(), profiler(Profile::MLflow)),
            ],
        },
        ..options()
    };
    let exporters: Vec<Arc<dyn Exporter>> = vec![phoenix.clone(), mlflow.clone(), plain.clone()];
    let engine = Engine::start_with(exporters, options).unwrap();
    let mut chat = span("chat gpt-4o-mini");
    chat.set("gen_ai.operation.name", "chat");
    engine.record(chat);
    engine.shutdown(Duration::from_secs(5));
    let keys = |memory: &MemoryExporter| -> Vec<String> {
        let (spans, _) = crate::span::from_request(&memory.received()[0]);
        spans[0]
            .attributes
            .iter()
            .map(|a| a.key.to_string())
            .collect()
    };
    assert_eq!(
        keys(&phoenix),
        ["gen_ai.operation.name", "openinference.span.kind"]
    );
    assert_eq!(keys(&mlflow), ["gen_ai.operation.name", "mlflow.spanType"]);
    assert_eq!(keys(&plain), ["gen_ai.operation.name"]);
}
