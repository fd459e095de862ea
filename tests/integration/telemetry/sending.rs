//! The detached sender: a command's events reach the endpoint under a stable anonymous ID,
//! a sender starts at most once a minute, and a blackholed endpoint slows no command.

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use automagik_tracing::span::{Value, from_request};

use super::{attr, data_dir, events, sender_due, wait_for_senders, with_telemetry};
use crate::sink::Sink;
use crate::testenv::{TestEnv, wait_for};

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
