//! Faults on the way: a damaged record quarantined, a flush killed midway, two flushes at
//! once; nothing lost, nothing sent twice but the record in flight.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::process::Stdio;
use std::time::Duration;

use automagik_tracing::engine::spool;
use predicates::prelude::*;

use super::{env_for, pending_spans, three_batches, write_spool};
use crate::engine::received_ids;
use crate::sink::Sink;
use crate::testenv::wait_for;

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
