//! What the events say: a wrapped PydanticAI run's framework, agent and tool events without
//! its content, a wrapped run's events recorded once, and `configure`'s features from its
//! flags.

use std::path::Path;

use automagik_tracing::span::Value;

use super::{attr, events, with_telemetry};
use crate::sink::Sink;
use crate::testenv::{TestEnv, wait_for};

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
    let features: Vec<String> = debug_events(&["configure", "--mask", "content"])
        .iter()
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

#[test]
fn a_wrapped_run_records_its_events_once() {
    // One startup event and one event per feature, whatever the run's engine and
    // receiver did.
    let events = debug_events(&["run", "--", "true"]);
    let count = |key: &str, value: &str| events.iter().filter(|e| e[key] == value).count();
    assert_eq!(count("event.type", "system.startup"), 1, "{events:?}");
    assert_eq!(count("feature.name", "run"), 1, "{events:?}");
    assert_eq!(count("feature.name", "run.receiver"), 1, "{events:?}");
    let run = events.iter().find(|e| e["feature.name"] == "run").unwrap();
    assert_eq!(run["success"], true, "{run}");
}

/// Runs the binary with these arguments and `AUTOMAGIK_TELEMETRY_DEBUG=1`, which must
/// succeed; the events it printed on stderr instead of queueing them.
fn debug_events(args: &[&str]) -> Vec<serde_json::Value> {
    let env = TestEnv::new().var("AUTOMAGIK_TELEMETRY_DEBUG", "1");
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect()
}
