//! What `flush` delivers: the spans recorded while the provider was down (a wrapped run's
//! too), a record too large split, each masked as the provider's mode says now.

use std::collections::HashSet;
use std::time::Duration;

use automagik_tracing::span::into_request;
use predicates::prelude::*;

use super::{accepted_names, env_for, otlp_writer, pending_spans, segment_files};
use crate::engine::{engine_to, received_ids, spans};
use crate::sink::Sink;
use crate::testenv::{TestEnv, free_port};

#[test]
fn spans_recorded_while_the_provider_is_down_are_delivered_by_flush() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let (engine, dir) = engine_to(&[down], |_| {});
    let recorded: HashSet<String> = {
        let batch = spans(10_000);
        let ids = batch.iter().map(|s| s.span_id.to_hex()).collect();
        for s in batch {
            engine.record(s);
        }
        ids
    };
    let run = engine.shutdown(Duration::from_secs(5));
    assert_eq!(run.exporters[0].spooled, 10_000, "{:?}", run.exporters[0]);
    let data_dir = dir.path().join("data");
    assert_eq!(pending_spans(&data_dir), 10_000);

    let sink = Sink::start();
    let env = env_for(&data_dir, &sink.url());
    let status = env.status_json(&[]);
    assert_eq!(status["spool"][0]["provider"], "otlp");
    assert_eq!(status["spool"][0]["spans"], 10_000);
    // Spooled for the dead endpoint: not sent elsewhere unless asked.
    assert_eq!(status["spool"][0]["destinations"][0]["current"], false);
    env.cmd()
        .arg("flush")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("another destination"))
        .stdout(predicate::str::contains("--to-current"));
    assert!(
        sink.requests().is_empty(),
        "nothing sent to another destination"
    );
    env.cmd()
        .args(["flush", "--to-current"])
        .assert()
        .success()
        .stdout(predicate::str::contains("delivered"))
        .stdout(predicate::str::contains("everything pending was delivered"));
    let delivered = received_ids(&sink);
    assert_eq!(delivered.len(), 10_000, "each span exactly once");
    assert_eq!(
        delivered.into_iter().collect::<HashSet<_>>(),
        recorded,
        "exactly the recorded spans"
    );
    assert!(segment_files(&data_dir).is_empty(), "the spool is empty");
    env.cmd()
        .arg("flush")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to flush"));
}

#[test]
fn a_wrapped_run_with_the_provider_down_spools_and_flush_delivers_the_run() {
    let env = TestEnv::new();
    let data_dir = env.home.join("data");
    // The provider refuses during the run and takes it at flush: the same destination.
    let sink = Sink::start();
    sink.respond(503, "");
    env_for(&data_dir, &sink.url())
        .var("AUTOMAGIK_FLUSH_TIMEOUT", "1")
        .cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 3"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("kept in the spool"));
    assert_eq!(pending_spans(&data_dir), 1);
    sink.respond(200, "{}");
    env_for(&data_dir, &sink.url())
        .cmd()
        .arg("flush")
        .assert()
        .success();
    assert_eq!(accepted_names(&sink), ["sh"]);
}

#[test]
fn a_record_too_large_for_the_provider_is_split_at_flush() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut batch = spans(64);
    batch[10].set("prompt", "x".repeat(200 * 1024));
    let want: HashSet<String> = batch.iter().map(|s| s.span_id.to_hex()).collect();
    let sink = Sink::start();
    otlp_writer(&data_dir, &sink.url())
        .append(&into_request(batch).into())
        .unwrap();
    sink.reject_over(16 * 1024);
    env_for(&data_dir, &sink.url())
        .cmd()
        .arg("flush")
        .assert()
        .success();
    let got: HashSet<String> = received_ids(&sink).into_iter().collect();
    assert_eq!(got, want, "every span, the huge one cut down");
    assert_eq!(pending_spans(&data_dir), 0);
}

#[test]
fn flush_masks_as_the_providers_mode_says_now() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut batch = spans(2);
    batch[0].set("prompt", "the launch code is SWORDFISH-42");
    let sink = Sink::start();
    otlp_writer(&data_dir, &sink.url())
        .append(&into_request(batch).into())
        .unwrap();
    env_for(&data_dir, &sink.url())
        .var("AUTOMAGIK_MASK_OTLP", "content")
        .cmd()
        .arg("flush")
        .assert()
        .success();
    let body = sink.bodies();
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("SWORDFISH"),
        "spooled content went out unmasked"
    );
    assert!(
        text.contains("[MASKED len="),
        "the value was masked, not lost"
    );
}
