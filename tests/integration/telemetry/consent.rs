//! The user's say: every opt-out alone keeps the endpoint silent, read-only commands record
//! nothing, the notice shows once (never in CI), and debug prints instead of sending.

use predicates::prelude::*;

use super::with_telemetry;
use crate::sink::Sink;
use crate::testenv::{files_below, wait_for};

#[test]
fn every_opt_out_alone_keeps_the_endpoint_silent() {
    let sink = Sink::start();
    // Each switch alone; `None` is `configure --no-telemetry`, which records nothing either.
    let cases = [
        ("DO_NOT_TRACK", Some(("DO_NOT_TRACK", "1"))),
        (
            "AUTOMAGIK_TELEMETRY_ENABLED",
            Some(("AUTOMAGIK_TELEMETRY_ENABLED", "false")),
        ),
        (
            "AUTOMAGIK_DISABLE_ALL_TRACING",
            Some(("AUTOMAGIK_DISABLE_ALL_TRACING", "true")),
        ),
        ("CI", Some(("CI", "true"))),
        ("configure --no-telemetry", None),
    ];
    for (switch, var) in cases {
        let env = match var {
            Some((key, value)) => with_telemetry(&sink).var(key, value),
            None => with_telemetry(&sink),
        };
        let data_dir = env.home.join("data");
        if var.is_none() {
            env.cmd()
                .env("AUTOMAGIK_DATA_DIR", &data_dir)
                .args(["configure", "--no-telemetry"])
                .assert()
                .success();
        }
        for args in [
            &["test-export", "--provider", "local"][..],
            &["run", "--wrap", "--", "true"][..],
        ] {
            let out = env
                .std_cmd()
                .env("AUTOMAGIK_DATA_DIR", &data_dir)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{switch}: {args:?}");
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains("usage telemetry"),
                "{switch}: no notice when off"
            );
        }
        if switch == "DO_NOT_TRACK" {
            // Observability is not telemetry: the local store still got the runs.
            assert!(!files_below(&data_dir.join("traces")).is_empty());
        }
        assert!(
            !data_dir.join("telemetry").exists(),
            "{switch}: nothing recorded"
        );
    }
    // Every command has exited and none left an outbox: a sender (the only thing that
    // posts) sends only what an outbox holds, so nothing can still be on its way.
    assert!(sink.requests().is_empty(), "the endpoint received nothing");
}

#[test]
fn read_only_commands_record_nothing_and_create_no_file() {
    let sink = Sink::start();
    let env = with_telemetry(&sink);
    for args in [
        &["status"][..],
        &["status", "--json"][..],
        &["completions", "bash"][..],
        &["traces", "list"][..],
        &["man"][..],
        &["--help"][..],
        &["--version"][..],
    ] {
        env.cmd().args(args).assert().success();
    }
    assert_eq!(files_below(&env.home), Vec::<std::path::PathBuf>::new());
    env.cmd().arg("id").assert().success();
    let created = files_below(&env.home);
    assert_eq!(created.len(), 1, "only the ID: {created:?}");
    // No outbox, so no sender has anything to post (see above).
    assert!(sink.requests().is_empty());
}

#[test]
fn the_notice_shows_once_on_stderr_and_never_in_ci() {
    let sink = Sink::start();
    let env = with_telemetry(&sink);
    let first = env
        .cmd()
        .args(["test-export", "--provider", "local"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("anonymous usage telemetry"), "{stderr}");
    assert!(stderr.contains("configure --no-telemetry"), "{stderr}");
    assert!(!String::from_utf8_lossy(&first.stdout).contains("telemetry"));
    env.cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .stderr(predicate::str::contains("anonymous usage telemetry").not());

    let ci = with_telemetry(&sink)
        .var("CI", "true")
        .var("AUTOMAGIK_ENABLE_TRACING_IN_CI", "true");
    let count = sink.requests().len();
    ci.cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .success()
        .stderr(predicate::str::contains("anonymous usage telemetry").not());
    wait_for("CI events (telemetry kept on in CI)", || {
        sink.requests().len() > count
    });
}

#[test]
fn debug_prints_each_event_as_json_and_sends_nothing() {
    let sink = Sink::start();
    let env = with_telemetry(&sink).var("AUTOMAGIK_TELEMETRY_DEBUG", "1");
    let out = env
        .cmd()
        .args(["test-export", "--provider", "local"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines.iter().any(|e| e["event.type"] == "system.startup"),
        "{lines:?}"
    );
    assert!(lines.iter().all(|e| e["user.anonymous_id"].is_string()));
    // No outbox was written, so no sender has anything to post.
    assert!(!env.home.join(".local/share/automagik/telemetry").exists());
    assert!(sink.requests().is_empty());
}
