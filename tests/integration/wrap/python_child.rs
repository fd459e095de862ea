//! A Python agent as the wrapped child: its OpenTelemetry SDK's spans (plain, or Pydantic
//! AI's) reach the provider in the run's trace, whether it reads TRACEPARENT or not.

use automagik_tracing::span::{Span, Value};

use super::delivered;
use crate::interop::python;
use crate::sink::Sink;
use crate::testenv::TestEnv;

/// Runs an example Python agent (`examples/python/NAME`) wrapped, and returns (stdout,
/// spans at the sink).
fn wrapped_python_agent(name: &str, extra: &[&str]) -> (String, Vec<Span>) {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    (run_python_example(&env, name, extra), delivered(&sink))
}

/// Runs an example Python agent (`examples/python/NAME`) wrapped in `env`, checks that it
/// succeeded, and returns its stdout.
pub fn run_python_example(env: &TestEnv, name: &str, extra: &[&str]) -> String {
    let agent = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(name);
    let out = env
        .cmd()
        .args(["run", "--wrap", "--"])
        .arg(python())
        .arg(agent)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check_one_trace(spans: &[Span]) {
    assert_eq!(
        spans.len(),
        4,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let run = spans
        .iter()
        .find(|s| s.scope.name == "automagik-tracing")
        .expect("run span");
    // Named after the script, not the interpreter.
    assert!(run.name.ends_with(".py"), "{}", run.name);
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let agent = find("invoke_agent weather");
    let chat = find("chat gpt-4o-mini");
    let tool = find("execute_tool get_forecast");
    for s in spans {
        assert_eq!(s.trace_id, run.trace_id, "{} is in the run's trace", s.name);
    }
    assert_eq!(agent.parent_span_id, Some(run.span_id));
    assert_eq!(chat.parent_span_id, Some(agent.span_id));
    assert_eq!(tool.parent_span_id, Some(agent.span_id));
    assert_eq!(
        chat.attribute("gen_ai.usage.input_tokens"),
        Some(&Value::Int(182))
    );
    assert_eq!(
        chat.attribute("gen_ai.request.model"),
        Some(&Value::from("gpt-4o-mini"))
    );
    assert_eq!(
        chat.resource
            .attributes
            .iter()
            .find(|a| a.key == "service.name")
            .unwrap()
            .value,
        Value::from("weather-agent")
    );
}

#[test]
fn python_sdk_child_reading_traceparent_lands_in_the_run_trace() {
    let (stdout, spans) = wrapped_python_agent("agent_otel.py", &[]);
    assert_eq!(stdout, "It will be sunny.\n");
    check_one_trace(&spans);
}

#[test]
fn python_sdk_child_ignoring_traceparent_is_adopted() {
    let (_, spans) = wrapped_python_agent("agent_otel.py", &["--ignore-traceparent"]);
    check_one_trace(&spans);
}

#[test]
fn pydantic_ai_agent_spans_reach_the_provider_with_genai_attributes() {
    let (_, spans) = wrapped_python_agent("pydantic_agent.py", &[]);
    let run = spans
        .iter()
        .find(|s| s.scope.name == "automagik-tracing")
        .expect("run span");
    let agent = spans
        .iter()
        .find(|s| s.name == "invoke_agent weather")
        .expect("agent span");
    let chats: Vec<&Span> = spans
        .iter()
        .filter(|s| s.attribute("gen_ai.operation.name") == Some(&Value::from("chat")))
        .collect();
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool get_forecast")
        .expect("tool span");
    assert!(spans.iter().all(|s| s.trace_id == run.trace_id));
    assert_eq!(agent.parent_span_id, Some(run.span_id));
    assert!(!chats.is_empty());
    for chat in &chats {
        assert_eq!(chat.parent_span_id, Some(agent.span_id));
        assert_eq!(
            chat.attribute("gen_ai.request.model"),
            Some(&Value::from("test"))
        );
        assert!(
            matches!(chat.attribute("gen_ai.usage.input_tokens"), Some(Value::Int(n)) if *n > 0)
        );
    }
    assert_eq!(
        tool.attribute("gen_ai.tool.name"),
        Some(&Value::from("get_forecast"))
    );
    assert_eq!(agent.scope.name, "pydantic-ai");
}
