//! What cannot be delivered, and is kept and explained: a refused key, a provider no
//! longer configured, an unwritable data dir, a timeout that is no duration.

use std::fs;

use predicates::prelude::*;

use super::{env_for, pending_spans, write_spool};
use crate::sink::Sink;
use crate::testenv::{TestEnv, free_port};

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
