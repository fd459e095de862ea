//! The run span: the process it records (secrets redacted), the trace context it inherits,
//! and the session and user it carries to its spans and the command.

use automagik_tracing::span::Value;
use predicates::prelude::*;

use super::delivered;
use crate::sink::Sink;
use crate::testenv::TestEnv;

#[test]
fn the_run_span_records_the_process_with_secrets_redacted() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--attr",
            "team=search",
            "--service-name",
            "svc",
            "--",
        ])
        .args([
            "sh",
            "-c",
            "exit 3",
            "--api-key",
            "sk-live-0123456789abcdef",
        ])
        .assert()
        .code(3);
    let spans = delivered(&sink);
    assert_eq!(spans.len(), 1);
    let run = &spans[0];
    assert_eq!(run.name, "sh");
    assert_eq!(
        run.attribute("process.executable.name"),
        Some(&Value::from("sh"))
    );
    assert_eq!(run.attribute("process.exit.code"), Some(&Value::Int(3)));
    assert_eq!(run.attribute("team"), Some(&Value::from("search")));
    assert!(matches!(run.attribute("process.pid"), Some(Value::Int(pid)) if *pid > 0));
    let args = format!("{:?}", run.attribute("process.command_args").unwrap());
    assert!(
        args.contains("[REDACTED]") && !args.contains("sk-live"),
        "{args}"
    );
    assert_eq!(run.status.code, automagik_tracing::span::StatusCode::Error);
    assert_eq!(run.resource.attributes[0].value, Value::from("svc"));
}

#[test]
fn an_inherited_traceparent_makes_the_run_its_child() {
    let sink = Sink::start();
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("TRACEPARENT", parent)
        .var("TRACESTATE", "vendor=1");
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--",
            "sh",
            "-c",
            "echo \"$TRACEPARENT $TRACESTATE\"",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-",
        ))
        .stdout(predicate::str::ends_with("-01 vendor=1\n"));
    let run = &delivered(&sink)[0];
    assert_eq!(run.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(run.parent_span_id.unwrap().to_hex(), "00f067aa0ba902b7");
}

#[test]
fn a_runs_session_and_user_reach_its_spans_and_the_command() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let out = env
        .cmd()
        .args([
            "run",
            "--session",
            "chat-42",
            "--",
            "sh",
            "-c",
            "echo \"$BAGGAGE\"",
        ])
        .env("AUTOMAGIK_USER_ID", "u-7")
        .env("BAGGAGE", "team=search")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "team=search,session.id=chat-42,user.id=u-7"
    );
    let shown = env
        .cmd()
        .args(["traces", "show", "last", "--json"])
        .output()
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let run = &trace["spans"][0];
    assert_eq!(run["gen_ai"]["session"], "chat-42", "{run}");
    assert_eq!(run["gen_ai"]["user"], "u-7", "{run}");
}
