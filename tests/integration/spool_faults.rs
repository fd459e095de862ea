//! The spool keeps what is intact: a damaged segment header, empty segments, a provider
//! asking to wait (`Retry-After`), records of an earlier format, and flushes killed at
//! random moments (the chaos test).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use automagik_tracing::engine::spool;
use automagik_tracing::span::{Span, into_request};
use predicates::prelude::*;
use prost::Message as _;

use crate::engine::{received_ids, spans};
use crate::flush::{env_for, pending_spans, three_batches, write_spool};
use crate::sink::Sink;
use crate::testenv::wait_for;

fn ids(batches: &[Vec<Span>]) -> HashSet<String> {
    batches
        .iter()
        .flatten()
        .map(|s| s.span_id.to_hex())
        .collect()
}

#[test]
fn a_flipped_byte_in_a_segment_header_costs_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sink = Sink::start();
    let (segment, mut bytes, batches) = three_batches(&data_dir, &sink.url());
    bytes[2] ^= 0x20; // inside the magic
    fs::write(&segment, &bytes).unwrap();

    let env = env_for(&data_dir, &sink.url());
    env.cmd()
        .arg("flush")
        .assert()
        .code(1) // something was damaged and quarantined
        .stdout(predicate::str::contains("quarantined 1"))
        .stderr(predicate::str::contains("damaged record at byte 0"));
    assert_eq!(
        received_ids(&sink).into_iter().collect::<HashSet<_>>(),
        ids(&batches),
        "every record behind the damaged header was delivered"
    );
    assert_eq!(
        crate::testenv::files_below(&spool::quarantine_dir(&data_dir, "otlp")).len(),
        1
    );
    env.cmd()
        .arg("flush")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to flush"));
}

#[test]
fn empty_segments_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let spool_dir = spool::provider_dir(&data_dir, "otlp");
    fs::create_dir_all(&spool_dir).unwrap();
    let empty = spool_dir.join("0000000000001-1-0000.seg");
    let header_only = spool_dir.join("0000000000002-1-0001.seg");
    fs::write(&empty, b"").unwrap();
    fs::write(&header_only, b"AMSPOOL\x02").unwrap();
    let sink = Sink::start();
    env_for(&data_dir, &sink.url())
        .cmd()
        .arg("flush")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to flush"));
    assert!(!empty.exists() && !header_only.exists());
    assert!(spool::quarantine_dir(&data_dir, "otlp").read_dir().is_err());
}

#[test]
fn flush_waits_as_retry_after_asks_when_it_fits_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sink = Sink::start();
    let written = write_spool(&data_dir, &sink.url(), 2, 3, u64::MAX);
    sink.script(&[(503, Some("1"))]);
    env_for(&data_dir, &sink.url())
        .cmd()
        .args(["flush", "--timeout", "10"])
        .assert()
        .success();
    let requests = sink.requests();
    assert_eq!(
        requests.len(),
        3,
        "the refused record once more, then the next"
    );
    assert!(
        requests[1].at - requests[0].at >= Duration::from_millis(900),
        "sent again before the second it was asked to wait"
    );
    assert_eq!(
        received_ids(&sink).into_iter().collect::<HashSet<_>>(),
        written
    );
    // A wait that does not fit the timeout is not waited for.
    let written = write_spool(&data_dir, &sink.url(), 1, 1, u64::MAX);
    sink.script(&[(503, Some("30"))]);
    env_for(&data_dir, &sink.url())
        .cmd()
        .args(["flush", "--timeout", "2"])
        .assert()
        .code(1);
    assert_eq!(pending_spans(&data_dir), written.len() as u64);
}

/// A segment as the previous version wrote it (format 1: no destination in the records).
fn write_format_one(data_dir: &Path, batches: &[Vec<Span>]) {
    let mut bytes = b"AMSPOOL\x01".to_vec();
    for batch in batches {
        let payload = into_request(batch.clone()).encode_to_vec();
        let (length, count) = (
            (payload.len() as u32).to_le_bytes(),
            (batch.len() as u32).to_le_bytes(),
        );
        let mut crc = crc32fast::Hasher::new();
        crc.update(&length);
        crc.update(&count);
        crc.update(&payload);
        bytes.extend_from_slice(&[0xA7, b'R', b'E', b'C']);
        bytes.extend_from_slice(&length);
        bytes.extend_from_slice(&crc.finalize().to_le_bytes());
        bytes.extend_from_slice(&count);
        bytes.extend_from_slice(&payload);
    }
    let dir = spool::provider_dir(data_dir, "otlp");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("0000000000001-1-0000.seg"), bytes).unwrap();
}

#[test]
fn records_of_the_previous_format_go_only_where_the_user_says() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let batches: Vec<Vec<Span>> = (0..2).map(|_| spans(4)).collect();
    write_format_one(&data_dir, &batches);
    let sink = Sink::start();
    let env = env_for(&data_dir, &sink.url());
    env.cmd()
        .arg("flush")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unknown destination"))
        .stdout(predicate::str::contains("--to-current"));
    assert!(sink.requests().is_empty(), "not sent without being asked");
    assert_eq!(pending_spans(&data_dir), 8);
    env.cmd().args(["flush", "--to-current"]).assert().success();
    assert_eq!(
        received_ids(&sink).into_iter().collect::<HashSet<_>>(),
        ids(&batches)
    );
    assert_eq!(pending_spans(&data_dir), 0);
}

/// 20 flushes of 20 records killed (SIGKILL) at a random moment, each followed by a clean
/// flush: every span arrives, and no more is sent twice than the one record in flight.
#[test]
fn chaos_kill_nine_during_flush_loses_nothing_and_resends_at_most_the_record_in_flight() {
    const SPANS_PER_RECORD: usize = 3;
    let sink = Sink::start();
    for iteration in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let written = write_spool(&data_dir, &sink.url(), 20, SPANS_PER_RECORD, u64::MAX);
        let before = sink.requests().len();
        let env = env_for(&data_dir, &sink.url());
        sink.delay(Duration::from_millis(10));
        let mut flush = env
            .std_cmd()
            .arg("flush")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A random moment: after 0 to 19 requests reached the sink.
        let kill_after = fastrand::usize(0..20);
        wait_for("the flush to get going", || {
            sink.requests().len() - before >= kill_after || flush.try_wait().unwrap().is_some()
        });
        let _ = flush.kill();
        flush.wait().unwrap();
        sink.delay(Duration::ZERO);
        env.cmd().arg("flush").assert().success();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for request in &sink.requests()[before..] {
            if request.status < 300 {
                for span in automagik_tracing::span::from_request(&request.decode()).0 {
                    *counts.entry(span.span_id.to_hex()).or_default() += 1;
                }
            }
        }
        assert_eq!(
            counts.keys().cloned().collect::<HashSet<_>>(),
            written,
            "iteration {iteration}: every span arrives"
        );
        let twice: usize = counts.values().map(|n| n - 1).sum();
        assert!(
            twice <= SPANS_PER_RECORD,
            "iteration {iteration} (killed after {kill_after}): {twice} spans sent twice, more than the record in flight"
        );
        assert_eq!(pending_spans(&data_dir), 0);
    }
}

/// A provider that comes back during a run gets what was spooled while it was away, in
/// the background, before the run ends: no `flush` needed.
#[test]
fn a_provider_back_during_a_run_gets_what_was_spooled_meanwhile() {
    let sink = Sink::start();
    sink.respond(503, "");
    let (engine, dir) = crate::engine::engine_to(&[sink.url()], |_| {});
    let data_dir = dir.path().join("data");
    let record = |recorded: &mut HashSet<String>, n| {
        for span in spans(n) {
            recorded.insert(span.span_id.to_hex());
            engine.record(span);
        }
    };
    let mut recorded = HashSet::new();
    record(&mut recorded, 200);
    wait_for("the breaker to open and batches to be spooled", || {
        engine.metrics().exporters[0].spooled.load(Relaxed) > 0
    });
    sink.respond(200, "{}");
    // The run goes on recording (its batches are the breaker's probes).
    let delivered = || received_ids(&sink).into_iter().collect::<HashSet<_>>();
    wait_for(
        "every span, the spooled ones too, while the engine runs",
        || {
            record(&mut recorded, 5);
            std::thread::sleep(Duration::from_millis(40));
            delivered().is_superset(&recorded)
        },
    );
    let run = engine.shutdown(Duration::from_secs(5));
    assert!(run.exporters[0].recovered > 0, "{:?}", run.exporters[0]);
    assert_eq!(pending_spans(&data_dir), 0);
}
