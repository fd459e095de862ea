//! The spool and `flush`: what a dead provider could not take is kept on disk, and `flush`
//! delivers it later, exactly those spans, once each (at least once after a crash), with
//! damaged records quarantined and a refused key kept for the next try.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use automagik_tracing::engine::spool::{self, DestinationKey, SpoolWriter};
use automagik_tracing::span::{Span, into_request};
use predicates::prelude::*;

use crate::engine::{engine_to, received_ids, spans};
use crate::sink::Sink;
use crate::testenv::{TestEnv, free_port, wait_for};

/// A TestEnv whose data dir is `data_dir` and whose otlp provider is `url`.
pub fn env_for(data_dir: &Path, url: &str) -> TestEnv {
    TestEnv::new()
        .var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string())
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", url)
}

/// The destination of the otlp provider at `url` with no headers, as `flush` sees it.
pub fn otlp_at(url: &str) -> DestinationKey {
    DestinationKey::new("otlp", &format!("{url}/v1/traces"), "")
}

/// A writer to the otlp spool under `data_dir`, bound to the otlp provider at `url`.
pub fn otlp_writer(data_dir: &Path, url: &str) -> SpoolWriter {
    SpoolWriter::new(
        spool::provider_dir(data_dir, "otlp"),
        u64::MAX,
        otlp_at(url),
    )
}

/// Writes `records` records of `spans_per_record` spans each to the otlp spool for `url`,
/// a new segment once one holds `segment_target` bytes; returns every span id written.
pub fn write_spool(
    data_dir: &Path,
    url: &str,
    records: usize,
    spans_per_record: usize,
    segment_target: u64,
) -> HashSet<String> {
    let mut ids = HashSet::new();
    {
        let mut writer = otlp_writer(data_dir, url).with_segment_target(segment_target);
        for _ in 0..records {
            let batch: Vec<Span> = spans(spans_per_record);
            ids.extend(batch.iter().map(|s| s.span_id.to_hex()));
            writer.append(&into_request(batch).into()).unwrap();
        }
    }
    ids
}

/// Writes three 5-span batches as three records of one otlp segment for `url`; returns
/// the segment, its bytes (to damage) and the batches.
pub fn three_batches(data_dir: &Path, url: &str) -> (PathBuf, Vec<u8>, Vec<Vec<Span>>) {
    let mut writer = otlp_writer(data_dir, url);
    let batches: Vec<Vec<Span>> = (0..3).map(|_| spans(5)).collect();
    for batch in &batches {
        writer.append(&into_request(batch.clone()).into()).unwrap();
    }
    drop(writer);
    let segment = segment_files(data_dir).remove(0);
    let bytes = fs::read(&segment).unwrap();
    (segment, bytes, batches)
}

/// The names of the spans a sink accepted (2xx), in order.
pub fn accepted_names(sink: &Sink) -> Vec<String> {
    sink.requests()
        .iter()
        .filter(|r| r.status < 300)
        .flat_map(|r| automagik_tracing::span::from_request(&r.decode()).0)
        .map(|s| s.name)
        .collect()
}

pub fn segment_files(data_dir: &Path) -> Vec<PathBuf> {
    spool::segments(&spool::provider_dir(data_dir, "otlp"))
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

pub fn pending_spans(data_dir: &Path) -> u64 {
    spool::pending(&spool::provider_dir(data_dir, "otlp"))
        .unwrap()
        .spans
}

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
fn a_flipped_byte_is_quarantined_and_every_other_record_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // Three records of known size: flip a byte in the middle one's payload.
    let sink = Sink::start();
    let (segment, mut bytes, batches) = three_batches(&data_dir, &sink.url());
    let record = (bytes.len() - 8) / 3;
    bytes[8 + record + record / 2] ^= 0x01;
    fs::write(&segment, &bytes).unwrap();

    let env = env_for(&data_dir, &sink.url());
    let segment_name = segment.file_name().unwrap().to_str().unwrap().to_string();
    env.cmd()
        .arg("flush")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("damaged record"))
        .stderr(predicate::str::contains(segment_name.as_str()));
    let want: HashSet<String> = [&batches[0], &batches[2]]
        .into_iter()
        .flatten()
        .map(|s| s.span_id.to_hex())
        .collect();
    assert_eq!(
        received_ids(&sink).into_iter().collect::<HashSet<_>>(),
        want
    );
    assert!(!segment.exists(), "the segment is gone");
    let quarantined = crate::testenv::files_below(&spool::quarantine_dir(&data_dir, "otlp"));
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    let requests = sink.requests().len();
    env.cmd()
        .arg("flush")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to flush"));
    assert_eq!(
        sink.requests().len(),
        requests,
        "the next flush sends nothing"
    );
}

#[test]
fn a_flush_killed_midway_loses_nothing_and_resends_only_the_record_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // One segment: each delivered record is marked at once, so the next flush sends only
    // what the killed one had not delivered, and the record that was in flight.
    let sink = Sink::start();
    let written = write_spool(&data_dir, &sink.url(), 200, 10, u64::MAX);
    sink.delay(Duration::from_millis(20));
    let env = env_for(&data_dir, &sink.url());
    let mut flush = env
        .std_cmd()
        .arg("flush")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("half the records", || sink.requests().len() >= 50);
    flush.kill().unwrap(); // SIGKILL
    flush.wait().unwrap();
    assert!(sink.requests().len() < 200, "the flush was stopped midway");
    sink.delay(Duration::ZERO);
    env.cmd().arg("flush").assert().success();
    let received = received_ids(&sink);
    let delivered: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(delivered, written, "every span delivered at least once");
    assert!(
        received.len() - delivered.len() <= 10,
        "{} spans sent twice: more than the one record in flight",
        received.len() - delivered.len()
    );
    assert_eq!(pending_spans(&data_dir), 0);
}

#[test]
fn two_flushes_at_once_deliver_each_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // One record a segment: the two flushes take turns claiming them.
    let sink = Sink::start();
    let written = write_spool(&data_dir, &sink.url(), 200, 4, 1);
    sink.delay(Duration::from_millis(5));
    let env = env_for(&data_dir, &sink.url());
    let start = || {
        env.std_cmd()
            .args(["flush", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for out in &outputs {
        // Nothing is left, whoever delivered it.
        let report = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{report}");
    }
    let mut counts: HashMap<String, u32> = HashMap::new();
    for id in received_ids(&sink) {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(
        counts.keys().cloned().collect::<HashSet<_>>(),
        written,
        "every record delivered"
    );
    assert!(counts.values().all(|&n| n == 1), "no record sent twice");
    // Whatever one skipped because the other held it, the two together delivered all.
    let delivered: u64 = outputs
        .iter()
        .map(|o| {
            let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            report["providers"][0]["delivered_records"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(delivered, 200);
    assert_eq!(pending_spans(&data_dir), 0);
}

#[test]
fn unauthorized_at_flush_keeps_the_records_and_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sink = Sink::start();
    write_spool(&data_dir, &sink.url(), 3, 2, u64::MAX);
    sink.respond(401, "");
    let env = env_for(&data_dir, &sink.url());
    env.cmd()
        .arg("flush")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("failed 1, skipped 2"))
        .stdout(predicate::str::contains("hint:"))
        .stdout(predicate::str::contains("OTEL_EXPORTER_OTLP_HEADERS"));
    assert_eq!(sink.requests().len(), 1, "stops at the first failure");
    assert_eq!(pending_spans(&data_dir), 6, "every record kept");
    let out = env.cmd().args(["flush", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["providers"][0]["status"], 401);
    assert_eq!(report["providers"][0]["left"]["records"], 3);
}

#[test]
fn a_spool_for_a_provider_no_longer_configured_is_kept_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    write_spool(&data_dir, "http://127.0.0.1:9", 2, 1, u64::MAX);
    TestEnv::new()
        .var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string())
        .cmd()
        .arg("flush")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not flushed"))
        .stdout(predicate::str::contains("configure --provider otlp"));
    assert_eq!(pending_spans(&data_dir), 2);
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
fn an_unwritable_data_dir_is_a_clear_warning_and_the_childs_code_stands() {
    let env = TestEnv::new();
    // A data dir below a regular file cannot be created, not even by root.
    let blocker = env.home.join("not-a-dir");
    fs::write(&blocker, "").unwrap();
    let down = format!("http://127.0.0.1:{}", free_port());
    env_for(&blocker.join("data"), &down)
        .cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 5"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "the spool for otlp could not be written",
        ))
        .stderr(predicate::str::contains("not-a-dir"));
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

#[test]
fn a_timeout_that_is_not_a_duration_is_a_usage_error() {
    for bad in ["inf", "-1", "0", "1e20", "soon"] {
        TestEnv::new()
            .cmd()
            .arg("flush")
            .arg(format!("--timeout={bad}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("seconds"));
    }
}
