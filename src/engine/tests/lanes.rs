//! Engine behaviour under load: the exporters' lanes (a burst waits for room, a stuck
//! exporter is spooled for alone, several batches in flight) and the one byte budget over
//! everything held.

use super::*;

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
