//! Usage telemetry end to end: events reach a test endpoint from the detached sender, every
//! opt-out keeps it silent, read-only commands record nothing, the notice shows once, debug
//! prints instead of sending, a blackholed endpoint slows nothing, and a wrapped PydanticAI
//! run becomes framework, agent and tool events with none of the run's content.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use automagik_tracing::span::{Value, from_request};
use predicates::prelude::*;

use crate::sink::Sink;
use crate::testenv::{TestEnv, files_below, wait_for};

/// Events the sink received, as (event type, attributes) with string-rendered values.
fn events(sink: &Sink) -> Vec<(String, Vec<(String, Value)>)> {
    sink.requests()
        .iter()
        .flat_map(|r| from_request(&r.decode()).0)
        .map(|s| {
            let attrs = s
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect();
            (s.name, attrs)
        })
        .collect()
}

fn attr<'a>(event: &'a (String, Vec<(String, Value)>), key: &str) -> Option<&'a Value> {
    event.1.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A TestEnv whose telemetry goes to `sink` (the default TestEnv sends it nowhere).
fn with_telemetry(sink: &Sink) -> TestEnv {
    TestEnv::new().telemetry_to(&format!("{}/v1/traces", sink.url()))
}

/// The default data dir of `env`.
fn data_dir(env: &TestEnv) -> std::path::PathBuf {
    env.home.join(".local/share/automagik")
}

/// As if a minute had passed since the last sender started: the next command starts one.
fn sender_due(env: &TestEnv) {
    let marker = data_dir(env).join("telemetry/sender.started");
    // `id --reset` may have taken it already.
    let _ = std::fs::remove_file(&marker);
}

/// No sender process for this data dir is left (they end within their 2 s deadline).
fn wait_for_senders(data_dir: &Path) -> Duration {
    let start = Instant::now();
    let needle = data_dir.display().to_string();
    wait_for("the telemetry sender to exit", || {
        !std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            std::fs::read(p.path().join("cmdline")).is_ok_and(|c| {
                let text = String::from_utf8_lossy(&c);
                text.contains("telemetry-send") && text.contains(&needle)
            })
        })
    });
    start.elapsed()
}

#[test]
fn a_command_sends_its_events_with_a_stable_anonymous_id() {
    let sink = Sink::start();
    let env = with_telemetry(&sink);
    env.cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .success();
    wait_for("the first events", || !events(&sink).is_empty());
    let first = events(&sink);
    let names: HashSet<&str> = first.iter().map(|e| e.0.as_str()).collect();
    assert!(names.contains("system.startup"), "{names:?}");
    assert!(names.contains("feature.used"), "{names:?}");
    let used = first
        .iter()
        .find(|e| e.0 == "feature.used" && attr(e, "command") == Some(&Value::from("test-export")))
        .expect("the command's feature.used");
    assert_eq!(attr(used, "success"), Some(&Value::Bool(true)));
    let id = attr(&first[0], "user.anonymous_id").cloned().unwrap();

    let count = sink.requests().len();
    sender_due(&env);
    env.cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .success();
    wait_for("the second events", || sink.requests().len() > count);
    let second = events(&sink);
    assert!(
        second
            .iter()
            .all(|e| attr(e, "user.anonymous_id") == Some(&id))
    );

    // A pending event under the old ID is dropped by the reset, not sent with the new one.
    let outbox = env
        .home
        .join(".local/share/automagik/telemetry/events.jsonl");
    std::fs::create_dir_all(outbox.parent().unwrap()).unwrap();
    std::fs::write(&outbox, "{}\n").unwrap();
    env.cmd().args(["id", "--reset"]).assert().success();
    assert!(!outbox.exists());
    let count = sink.requests().len();
    sender_due(&env);
    env.cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .success();
    wait_for("events after the reset", || sink.requests().len() > count);
    let last = events(&sink).pop().unwrap();
    assert_ne!(
        attr(&last, "user.anonymous_id"),
        Some(&id),
        "a new ID after --reset"
    );

    let other = with_telemetry(&sink);
    let count = sink.requests().len();
    other
        .cmd()
        .args(["test-export", "--provider", "local"])
        .assert()
        .success();
    wait_for("another config dir's events", || {
        sink.requests().len() > count
    });
    let theirs = events(&sink).pop().unwrap();
    assert_ne!(
        attr(&theirs, "user.anonymous_id"),
        attr(&last, "user.anonymous_id")
    );
}

#[test]
fn a_sender_starts_at_most_once_a_minute_and_the_next_sends_what_waited() {
    let sink = Sink::start();
    let env = with_telemetry(&sink);
    let export = ["test-export", "--provider", "local"];
    env.cmd().args(export).assert().success();
    wait_for("the first events", || !events(&sink).is_empty());
    wait_for_senders(&data_dir(&env));
    // Within the minute: no sender (so no process spawn for the command); the events wait.
    env.cmd().args(export).assert().success();
    wait_for_senders(&data_dir(&env));
    assert_eq!(
        sink.requests().len(),
        1,
        "no second sender within the minute"
    );
    let outbox = data_dir(&env).join("telemetry/events.jsonl");
    assert!(std::fs::read_to_string(&outbox).unwrap().lines().count() >= 2);
    // The next sender, once due, sends what waited with its own command's events.
    sender_due(&env);
    env.cmd().args(export).assert().success();
    wait_for("the waiting events", || sink.requests().len() > 1);
    let second: Vec<_> = from_request(&sink.requests()[1].decode()).0;
    let startups = second.iter().filter(|s| s.name == "system.startup").count();
    assert_eq!(
        startups, 2,
        "the waiting command's events and the last one's"
    );
}

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

#[test]
fn a_blackholed_endpoint_slows_no_command_and_the_sender_ends_by_itself() {
    // Accepts connections (the kernel's backlog) and never answers.
    let blackhole = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", blackhole.local_addr().unwrap());
    let env = TestEnv::new().telemetry_to(&url);
    let data_dir = env.home.join("data");
    for args in [
        &["configure", "--set", "observability.sample_rate=0.5"][..],
        &["test-export", "--provider", "local"][..],
        &["run", "--wrap", "--", "true"][..],
    ] {
        let start = Instant::now();
        env.cmd()
            .env("AUTOMAGIK_DATA_DIR", &data_dir)
            .args(args)
            .assert()
            .success();
        // Generous: the sender's 2 s deadline would show here if a command waited on it.
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{args:?} took {:?}",
            start.elapsed()
        );
    }
    let waited = wait_for_senders(&data_dir);
    assert!(
        waited < Duration::from_secs(10),
        "senders lingered {waited:?}"
    );
    // What could not be sent waits for the next sender.
    let pending = std::fs::read_to_string(data_dir.join("telemetry/events.jsonl")).unwrap();
    assert!(pending.lines().count() >= 3);
}

#[test]
fn a_wrapped_pydantic_ai_run_becomes_framework_agent_and_tool_events_without_content() {
    let sink = Sink::start();
    let env = with_telemetry(&sink);
    let python = crate::interop::python();
    let agent = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/pydantic_agent.py");
    env.cmd()
        .args(["run", "--wrap", "--"])
        .arg(python)
        .arg(&agent)
        .assert()
        .success();
    wait_for("the run's events", || {
        events(&sink).iter().any(|e| e.0 == "agent.run")
    });
    let all = events(&sink);
    let run = all.iter().find(|e| e.0 == "agent.run").unwrap();
    assert_eq!(
        attr(run, "agent.framework"),
        Some(&Value::from("pydantic-ai"))
    );
    assert_eq!(attr(run, "agent.type"), Some(&Value::from("agent")));
    assert!(matches!(attr(run, "llm.count"), Some(Value::Int(n)) if *n >= 1));
    assert!(matches!(attr(run, "agent.hash"), Some(Value::Str(h)) if h.starts_with("h:")));
    assert!(all.iter().any(|e| e.0 == "framework.selected"
        && attr(e, "framework.name") == Some(&Value::from("pydantic-ai"))));
    assert!(all.iter().any(|e| e.0 == "tool.executed"));
    // Nothing the agent said, was asked, or was called with.
    let body = sink.bodies();
    let text = String::from_utf8_lossy(&body);
    for secret in [
        "weather",
        "Lisbon",
        "SECRET-PROMPT-TEXT",
        "get_forecast",
        "Sunny",
        "pydantic_agent.py",
        &python.display().to_string(),
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked into telemetry");
    }
}

#[test]
fn configure_features_come_from_its_flags() {
    let env = TestEnv::new().var("AUTOMAGIK_TELEMETRY_DEBUG", "1");
    let out = env
        .cmd()
        .args(["configure", "--mask", "content"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let features: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["feature.name"].as_str().map(str::to_string))
        .collect();
    assert!(
        features.contains(&"configure.mask".to_string()),
        "{features:?}"
    );
    assert!(
        !features.contains(&"configure.wizard".to_string()),
        "{features:?}"
    );
}
