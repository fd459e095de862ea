//! Engine behaviour with the in-memory exporter double.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::export::memory::MemoryExporter;
use crate::export::{Cause, Outcome};
use crate::span::{Resource, Scope};

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

#[test]
fn drops_newest_when_full_and_counts_it() {
    // A recorder whose queue nobody drains: the bound is exact.
    let (tx, _rx) = mpsc::channel(3);
    let metrics = Arc::new(Metrics::default());
    let recorder = Recorder {
        tx,
        records_tx: mpsc::channel(1).0,
        queued_bytes: Arc::new(AtomicU64::new(0)),
        max_bytes: u64::MAX,
        intake: Arc::new(Intake::new(1.0, 1000, 1024)),
        metrics: metrics.clone(),
    };
    for i in 0..5 {
        recorder.record(span(&format!("s{i}")));
    }
    assert_eq!(metrics.queued.load(Relaxed), 3);
    assert_eq!(metrics.dropped_queue_full.load(Relaxed), 2);
}

#[test]
fn the_byte_bound_drops_too() {
    let (tx, _rx) = mpsc::channel(1000);
    let metrics = Arc::new(Metrics::default());
    let recorder = Recorder {
        tx,
        records_tx: mpsc::channel(1).0,
        queued_bytes: Arc::new(AtomicU64::new(0)),
        max_bytes: 1000,
        intake: Arc::new(Intake::new(1.0, 1000, 1024 * 1024)),
        metrics: metrics.clone(),
    };
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
fn a_burst_waits_for_a_slow_exporter_instead_of_spilling_to_the_spool() {
    // 40 batches at once for an exporter that takes 20 ms each: far more than its lane
    // holds, yet each is only briefly behind, so all are sent and none spooled.
    let spool = tempfile::tempdir().unwrap();
    let memory = Arc::new(MemoryExporter::new("m").delaying(Duration::from_millis(20)));
    let engine = spooling_engine(vec![memory], spool.path());
    for i in 0..400 {
        engine.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(30));
    assert_eq!(run.exporters[0].exported, 400, "{run:?}");
    assert_eq!(run.exporters[0].spooled, 0, "{run:?}");
}

#[test]
fn a_slower_exporter_beside_a_fast_one_paces_the_burst_instead_of_spilling() {
    // The same burst for a fast exporter and one that takes 20 ms a batch: the fast
    // one's free lane must not make the batcher spool the slower one's batches while
    // the engine has memory to spare.
    let spool = tempfile::tempdir().unwrap();
    let slow = Arc::new(MemoryExporter::new("slow").delaying(Duration::from_millis(20)));
    let fast = Arc::new(MemoryExporter::new("fast"));
    let engine = spooling_engine(vec![slow, fast], spool.path());
    for i in 0..400 {
        engine.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(30));
    for exporter in &run.exporters {
        assert_eq!(exporter.exported, 400, "{run:?}");
        assert_eq!(exporter.spooled, 0, "{run:?}");
    }
}

#[test]
fn an_exporter_sends_several_batches_at_once() {
    let memory = Arc::new(MemoryExporter::new("m").delaying(Duration::from_millis(100)));
    let engine = engine_with(
        &memory,
        EngineOptions {
            batch_max_spans: 1,
            ..options()
        },
    );
    for i in 0..10 {
        engine.record(span(&format!("s{i}")));
    }
    let run = engine.shutdown(Duration::from_secs(30));
    assert_eq!(run.exporters[0].exported, 10, "{run:?}");
    assert_eq!(memory.most_in_flight(), worker::IN_FLIGHT);
}

#[test]
fn a_stuck_exporter_is_spooled_for_while_the_other_gets_everything() {
    // The stuck one never answers within the test; after the brief wait for room its
    // batches go to its spool, and the live one is not held up.
    let spool = tempfile::tempdir().unwrap();
    let stuck = Arc::new(MemoryExporter::new("stuck").delaying(Duration::from_secs(600)));
    let live = Arc::new(MemoryExporter::new("live"));
    let engine = spooling_engine(vec![stuck, live.clone()], spool.path());
    for i in 0..1000 {
        engine.record(span(&format!("s{i}")));
    }
    let start = Instant::now();
    while live
        .received()
        .iter()
        .map(crate::span::span_count)
        .sum::<usize>()
        < 1000
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the live exporter was held up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = engine.shutdown(Duration::from_millis(200));
    assert_eq!(run.exporters[1].exported, 1000, "{run:?}");
    let stuck_run = &run.exporters[0];
    assert_eq!(stuck_run.exported, 0);
    assert_eq!(stuck_run.spooled, 1000, "{stuck_run:?}");
}

#[test]
fn the_byte_cap_counts_what_the_exporters_hold() {
    // Ten spans' worth of bytes, an exporter that never answers: the spans in its hands
    // and in its lane stay counted, so the engine takes ten and drops the rest, however
    // fast the batcher hands them on.
    let stuck = Arc::new(MemoryExporter::new("stuck").delaying(Duration::from_secs(600)));
    let size = intake::approx_size(&span("s00")) as u64;
    let engine = engine_with(
        &stuck,
        EngineOptions {
            batch_max_spans: 1,
            queue_max_bytes: size * 10,
            ..options()
        },
    );
    for i in 0..30 {
        engine.record(span(&format!("s{i:02}")));
        std::thread::sleep(Duration::from_millis(2));
    }
    let metrics = engine.metrics();
    assert_eq!(metrics.queued.load(Relaxed), 10);
    assert_eq!(metrics.dropped_queue_full.load(Relaxed), 20);
    engine.shutdown(Duration::from_millis(100));
}

#[test]
fn with_no_exporter_batches_give_their_bytes_back() {
    let size = intake::approx_size(&span("s00")) as u64;
    let engine = Engine::start_with(
        Vec::new(),
        EngineOptions {
            batch_max_spans: 1,
            queue_max_bytes: size * 20,
            ..options()
        },
    )
    .unwrap();
    for i in 0..100 {
        engine.record(span(&format!("s{i:02}")));
        std::thread::sleep(Duration::from_millis(2));
    }
    // Had the batches kept their bytes, every span after the 20th would be dropped.
    let dropped = engine.metrics().dropped_queue_full.load(Relaxed);
    assert!(dropped < 50, "{dropped} dropped");
    engine.shutdown(Duration::from_millis(100));
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
        spans[0].attributes.iter().map(|a| a.key.clone()).collect()
    };
    assert_eq!(
        keys(&phoenix),
        ["gen_ai.operation.name", "openinference.span.kind"]
    );
    assert_eq!(keys(&mlflow), ["gen_ai.operation.name", "mlflow.spanType"]);
    assert_eq!(keys(&plain), ["gen_ai.operation.name"]);
}
