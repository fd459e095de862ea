//! `run --wrap` with the SDKs children really run, each a real package from PyPI: the
//! OpenTelemetry gRPC exporter, Arize Phoenix's `register()`, raw gRPC calls (grpcio) to
//! the receiver's refusals, and OpenLLMetry's `Traceloop.init()`. Each child gets only the
//! environment the wrapper gives it.

use std::path::Path;
use std::process::Output;

use automagik_tracing::span::Span;
use serde_json::Value as Json;

use crate::interop::{python, traceloop_python};
use crate::sink::Sink;
use crate::testenv::TestEnv;
use crate::wrap::delivered;

/// Runs `tests/python/NAME` with `python` under the wrapper in `env`.
fn wrapped_with(env: &TestEnv, python: &Path, name: &str, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name);
    env.cmd()
        .args(["run", "--wrap", "--"])
        .arg(python)
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `traces show last`, checked to draw the run span with `tree` under it, line by line.
fn assert_shown_under_the_run(env: &TestEnv, tree: &[&str]) {
    let out = env.cmd().args(["traces", "show", "last"]).output().unwrap();
    let text = succeeded(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > tree.len() + 1, "{text}");
    // The run span, named after the script the interpreter ran.
    assert!(
        lines[1]
            .split_whitespace()
            .next()
            .is_some_and(|n| n.ends_with(".py")),
        "no run span:\n{text}"
    );
    for (line, name) in lines[2..].iter().zip(tree) {
        assert!(line.starts_with(name), "`{name}` expected:\n{text}");
    }
}

/// The run span, and the child's agent and chat spans nested under it.
fn assert_nested_under_the_run(spans: &[Span], agent_name: &str) {
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", names(spans)))
    };
    let run = spans
        .iter()
        .find(|s| s.scope.name == "automagik-tracing")
        .expect("run span");
    let agent = find(agent_name);
    let chat = find("chat gpt-4o-mini");
    assert_eq!(agent.trace_id, run.trace_id);
    assert_eq!(agent.parent_span_id, Some(run.span_id));
    assert_eq!(chat.parent_span_id, Some(agent.span_id));
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn a_grpc_exporter_child_lands_under_the_run_span() {
    let env = TestEnv::new()
        .var("COLUMNS", "100")
        .var("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    let stdout = succeeded(&wrapped_with(&env, python(), "grpc_child.py", &[]));
    // The user's choice of gRPC is kept, and the endpoint given answers it.
    assert!(stdout.contains("proto.grpc"), "{stdout}");
    assert_shown_under_the_run(&env, &["└─ invoke_agent grpc ", "   └─ chat gpt-4o-mini "]);
}

#[test]
fn a_child_hard_wired_to_grpc_reaches_the_receiver_at_the_endpoint_it_was_given() {
    // The wrapper says http/protobuf (the default) and gives `.../v1/traces`; an exporter
    // that only speaks gRPC takes the host and port from it and is served all the same.
    let env = TestEnv::new().var("COLUMNS", "100");
    let stdout = succeeded(&wrapped_with(&env, python(), "grpc_child.py", &["grpc"]));
    assert!(stdout.contains("proto.grpc"), "{stdout}");
    assert_shown_under_the_run(&env, &["└─ invoke_agent grpc ", "   └─ chat gpt-4o-mini "]);
}

#[test]
fn phoenix_register_sends_through_the_receiver_to_the_users_phoenix() {
    // The user's own Phoenix: this tool's `phoenix` provider sends there, while the
    // child's `register()` (gRPC on PHOENIX_GRPC_PORT by default) sends to the receiver.
    let sink = Sink::start();
    let env = TestEnv::new().var("PHOENIX_COLLECTOR_ENDPOINT", &sink.url());
    let stdout = succeeded(&wrapped_with(&env, python(), "phoenix_child.py", &[]));
    assert_eq!(stdout, "phoenix child done\n");
    assert_nested_under_the_run(&delivered(&sink), "invoke_agent phoenix");
}

#[test]
fn phoenix_register_over_http_lands_in_the_local_store() {
    // The user's Phoenix is configured but not chosen: the child still sends to the
    // receiver, never straight to it.
    let env = TestEnv::new()
        .var("COLUMNS", "100")
        .var("PHOENIX_COLLECTOR_ENDPOINT", "http://127.0.0.1:9")
        .var("AUTOMAGIK_OBSERVABILITY_PROVIDERS", "local");
    succeeded(&wrapped_with(&env, python(), "phoenix_child.py", &["http"]));
    assert_shown_under_the_run(
        &env,
        &["└─ invoke_agent phoenix ", "   └─ chat gpt-4o-mini "],
    );
}

#[test]
fn a_discarding_run_points_phoenix_at_its_receiver_too() {
    // A setting that cannot be read: nothing may leave, not even to the user's Phoenix.
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("PHOENIX_COLLECTOR_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_SAMPLE_RATE", "lots");
    let out = wrapped_with(&env, python(), "phoenix_child.py", &[]);
    assert_eq!(succeeded(&out), "phoenix child done\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 spans the command sent were discarded"),
        "{stderr}"
    );
    assert!(sink.requests().is_empty());
}

#[test]
fn the_grpc_receiver_refuses_as_the_http_one_and_keeps_serving() {
    let env = TestEnv::new();
    let out = wrapped_with(&env, python(), "grpc_probe.py", &[]);
    let codes: Json = serde_json::from_str(&succeeded(&out)).unwrap();
    assert_eq!(
        codes,
        serde_json::json!({
            "good": "OK",
            "gzip": "OK",
            "too_many_spans": "INVALID_ARGUMENT",
            "too_large": "INVALID_ARGUMENT",
            "garbage": "INVALID_ARGUMENT",
            "logs": "OK",
            "unknown": "UNIMPLEMENTED",
            "after": "OK",
        })
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the command sent 4 requests the receiver refused: 1 not OTLP, 2 too large, 1 to an unknown path"
        ),
        "{stderr}"
    );
}

#[test]
fn a_grpc_exporters_request_over_the_caps_is_refused_once_not_retried() {
    // The Python exporter retries RESOURCE_EXHAUSTED (RetryInfo or not) until its timeout:
    // a request that can never fit is answered INVALID_ARGUMENT, which no exporter retries.
    let env = TestEnv::new();
    let out = wrapped_with(&env, python(), "grpc_over_caps.py", &[]);
    assert_eq!(succeeded(&out).trim(), "FAILURE");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the command sent 1 request the receiver refused: 1 too large"),
        "{stderr}"
    );
}

#[test]
fn openllmetry_traceloop_init_sends_to_the_receiver() {
    // With only the OTEL_* variables, OpenLLMetry says "Missing Traceloop API key" and
    // traces nothing; TRACELOOP_BASE_URL is what it reads.
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("TRACELOOP_BASE_URL", "http://127.0.0.1:9")
        .var("TRACELOOP_TELEMETRY", "false");
    let stdout = succeeded(&wrapped_with(
        &env,
        traceloop_python(),
        "traceloop_child.py",
        &[],
    ));
    assert!(!stdout.contains("Missing Traceloop API key"), "{stdout}");
    let spans = delivered(&sink);
    assert_nested_under_the_run(&spans, "invoke_agent traceloop.workflow");
}
