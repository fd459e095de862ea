//! Log records and metrics through the engine, with the in-memory exporter double: only
//! to exporters that take their signal, counted everywhere, spooled with their signal.

use std::sync::Arc;
use std::time::Duration;

use super::tests::span;
use super::*;
use crate::export::memory::MemoryExporter;
use crate::export::records::fixtures::{logs, metrics};
use crate::export::{Cause, Outcome, Records};

/// The engine tests' options, without retries (a refusal spools at once).
fn options() -> EngineOptions {
    EngineOptions {
        retry: false,
        spool_max_bytes: 1 << 30,
        ..super::tests::options()
    }
}

fn start(exporters: &[&Arc<MemoryExporter>], options: EngineOptions) -> Engine {
    let exporters = exporters
        .iter()
        .map(|e| Arc::clone(*e) as Arc<dyn Exporter>)
        .collect();
    Engine::start_with(exporters, options).unwrap()
}

fn received_count(memory: &MemoryExporter) -> usize {
    memory.records().iter().map(Records::count).sum()
}

#[test]
fn logs_go_only_to_exporters_that_take_them_and_the_others_count_them() {
    let otlp = Arc::new(MemoryExporter::new("otlp"));
    let langfuse = Arc::new(MemoryExporter::new("langfuse"));
    let engine = start(&[&otlp, &langfuse], options());
    let recorder = engine.recorder();
    for _ in 0..3 {
        recorder.record_records(logs(&["a", "b"], [1; 16], [2; 8]));
    }
    recorder.record_records(metrics(4, "x"));
    recorder.record(span("chat"));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(received_count(&otlp), 10, "6 log records and 4 data points");
    assert!(langfuse.records().is_empty(), "langfuse takes traces only");
    assert_eq!(langfuse.received().len(), 1, "but the span, yes");
    assert_eq!(run.records_queued["logs"], 6);
    assert_eq!(run.exporters[0].signals["logs"].exported, 6);
    assert_eq!(run.exporters[0].signals["metrics"].exported, 4);
    assert_eq!(run.exporters[1].signals["logs"].not_accepted, 6);
    assert_eq!(run.exporters[1].signals["logs"].dropped, 0);
    assert_eq!(run.exporters[0].exported, 1, "spans counted apart");
    assert!(run.healthy, "{run:?}");
}

#[test]
fn logs_a_provider_refuses_are_spooled_as_logs() {
    let dir = tempfile::tempdir().unwrap();
    let refused = Outcome::Retryable {
        cause: Cause::Http(503),
        retry_after: None,
        message: "HTTP 503".into(),
    };
    let otlp = Arc::new(MemoryExporter::new("otlp").answering(vec![refused]));
    let options = EngineOptions {
        spool_dir: Some(dir.path().to_path_buf()),
        ..options()
    };
    let engine = start(&[&otlp], options);
    engine
        .recorder()
        .record_records(logs(&["a", "b"], [1; 16], [2; 8]));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.exporters[0].signals["logs"].spooled, 2, "{run:?}");
    let pending = spool::pending(&dir.path().join("otlp")).unwrap();
    assert_eq!(
        (pending.records, pending.spans),
        (1, 0),
        "a record, no span"
    );
    let segment = &spool::segments(&dir.path().join("otlp")).unwrap()[0];
    let bytes = std::fs::read(&segment.path).unwrap();
    let entries = spool::format::read_segment(&bytes, &segment.path).unwrap();
    let spool::Entry::Record { records, .. } = &entries[0] else {
        panic!("{entries:?}");
    };
    assert_eq!(records.as_ref().map(Records::signal), Some(Signal::Logs));
}

#[test]
fn records_beyond_the_byte_cap_are_dropped_and_counted() {
    let otlp = Arc::new(MemoryExporter::new("otlp"));
    let options = EngineOptions {
        queue_max_bytes: 10,
        ..options()
    };
    let engine = start(&[&otlp], options);
    engine
        .recorder()
        .record_records(logs(&["a", "b"], [1; 16], [2; 8]));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.records_dropped_queue_full["logs"], 2);
    assert!(otlp.records().is_empty());
}

#[test]
fn long_log_values_are_cut_on_the_way_in_as_a_spans_are() {
    let otlp = Arc::new(MemoryExporter::new("otlp"));
    let options = EngineOptions {
        intake: Intake::new(1.0, 1000, 1024),
        ..options()
    };
    let engine = start(&[&otlp], options);
    let long = "x".repeat(4096);
    engine
        .recorder()
        .record_records(logs(&[long.as_str()], [1; 16], [2; 8]));
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.truncated_values, 2, "the body and the prompt attribute");
    let received = otlp.records();
    let Records::Logs(request) = &received[0] else {
        panic!("{received:?}");
    };
    let record = &request.resource_logs[0].scope_logs[0].log_records[0];
    let body = format!("{:?}", record.body);
    assert!(body.contains("…[truncated 3072 bytes]"), "{body}");
}

#[test]
fn records_whose_room_was_taken_ahead_are_queued_in_it_when_the_budget_is_full() {
    let otlp = Arc::new(MemoryExporter::new("otlp"));
    let size = logs(&["a", "b"], [1; 16], [2; 8]).encoded_len() as u64;
    let engine = start(
        &[&otlp],
        EngineOptions {
            queue_max_bytes: size,
            ..options()
        },
    );
    let recorder = engine.recorder();
    // The receiver takes the room for a request before decoding it...
    assert!(recorder.reserve(size));
    // ...so another producer finds no room meanwhile...
    recorder.record_records(logs(&["c", "d"], [1; 16], [2; 8]));
    // ...and the request decoded is queued in the room taken for it.
    recorder.record_records_held(logs(&["a", "b"], [1; 16], [2; 8]), size);
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.records_queued["logs"], 2);
    assert_eq!(run.records_dropped_queue_full["logs"], 2);
    assert_eq!(received_count(&otlp), 2);
}

#[test]
fn what_is_left_of_the_room_taken_for_records_is_given_back() {
    let otlp = Arc::new(MemoryExporter::new("otlp"));
    let engine = start(&[&otlp], options());
    let recorder = engine.recorder();
    let taken = 100_000;
    assert!(recorder.reserve(taken));
    recorder.record_records_held(logs(&["a"], [1; 16], [2; 8]), taken);
    assert!(recorder.reserve(taken));
    recorder.record_records_held(logs(&[], [1; 16], [2; 8]), taken);
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.records_queued["logs"], 1);
    assert_eq!(received_count(&otlp), 1);
    let room = recorder.room();
    assert_eq!(
        room.bytes, room.max_bytes,
        "nothing is held once all is sent"
    );
}
