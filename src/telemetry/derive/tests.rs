//! A run's spans as telemetry sees them: frameworks named from their scope, spans counted
//! by kind, workflows, error and tool types as kinds, an agent's name only hashed.

use super::*;
use crate::span::{Resource, Scope};
use std::sync::Arc;

#[test]
fn tracing_sdks_are_named_before_the_client_libraries_they_wrap() {
    let chat = [("gen_ai.operation.name", "chat")];
    assert_eq!(
        framework_of(&span("logfire.openai", &chat)),
        Some("logfire")
    );
    assert_eq!(framework_of(&span("langfuse-sdk", &chat)), Some("langfuse"));
    assert_eq!(
        framework_of(&span("traceloop.tracer", &[])),
        Some("openllmetry")
    );
    assert_eq!(
        framework_of(&span("opentelemetry.instrumentation.openai.v1", &chat)),
        Some("openai")
    );
}

fn span(scope: &str, attrs: &[(&str, &str)]) -> Span {
    let scope = Arc::new(Scope {
        name: scope.into(),
        ..Default::default()
    });
    let mut s = Span::start("x", None, Arc::new(Resource::service("t")), scope);
    for (k, v) in attrs {
        s.set(k.to_string(), *v);
    }
    s.end();
    s
}

#[test]
fn a_pydantic_ai_run_names_its_framework_counts_and_hashes_the_agent() {
    let mut observer = RunObserver::default();
    let mut failed_tool = span("pydantic-ai", &[("gen_ai.operation.name", "execute_tool")]);
    failed_tool.status.code = StatusCode::Error;
    failed_tool.set("error.type", "ValueError");
    observer.observe(&[
        span(
            "pydantic-ai",
            &[
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.agent.name", "secret-agent"),
            ],
        ),
        span("pydantic-ai", &[("gen_ai.operation.name", "chat")]),
        span("openai", &[("gen_ai.operation.name", "chat")]),
        failed_tool,
    ]);
    let events = observer.events(42, true);
    let run = events
        .iter()
        .find(|(t, _)| *t == EventType::AgentRun)
        .unwrap();
    let get = |key: &str| run.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(get("agent.framework"), Some("pydantic-ai".into()));
    assert_eq!(get("agent.type"), Some("agent".into()));
    assert_eq!(get("llm.count"), Some(2u64.into()));
    assert_eq!(get("tool.count"), Some(1u64.into()));
    assert_eq!(
        get("agent.hash"),
        Some("secret-agent".into()),
        "for the collector to hash"
    );
    assert!(events.iter().any(|(t, a)| *t == EventType::AgentError
        && a.contains(&("error.type".into(), "ValueError".into()))));
    assert_eq!(
        events
            .iter()
            .filter(|(t, _)| *t == EventType::FrameworkSelected)
            .count(),
        2
    );
}

#[test]
fn a_plain_command_is_a_command_run_with_no_framework() {
    let mut observer = RunObserver::default();
    observer.observe(&[span("my-script", &[])]);
    let events = observer.events(5, false);
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .1
            .contains(&("agent.framework".into(), "none".into()))
    );
    assert!(
        events[0]
            .1
            .contains(&("agent.type".into(), "command".into()))
    );
}

#[test]
fn error_and_tool_types_are_kinds_not_free_text() {
    let mut observer = RunObserver::default();
    let mut spans = Vec::new();
    for i in 0..30 {
        let mut s = span(
            "x",
            &[
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.type", "my tool"),
            ],
        );
        s.status.code = StatusCode::Error;
        s.set("error.type", format!("timeout for customer {i}"));
        spans.push(s);
    }
    let mut typed = span("x", &[("gen_ai.operation.name", "chat")]);
    typed.status.code = StatusCode::Error;
    typed.set("error.type", "openai.RateLimitError");
    spans.push(typed);
    observer.observe(&spans);
    let events = observer.events(5, false);
    let errors: Vec<_> = events
        .iter()
        .filter(|(t, _)| *t == EventType::AgentError)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let text = format!("{events:?}");
    assert!(!text.contains("customer"), "{text}");
    assert!(text.contains("\"RateLimitError\""), "{text}");
    assert!(text.contains("\"other\""));
    assert!(!text.contains("my tool"));
}

#[test]
fn openinference_and_openllmetry_spans_count_as_their_kinds() {
    let mut observer = RunObserver::default();
    observer.observe(&[
        span("agno", &[("openinference.span.kind", "AGENT")]),
        span(
            "agno",
            &[
                ("openinference.span.kind", "LLM"),
                ("llm.model_name", "gpt-4o"),
            ],
        ),
        span("traceloop", &[("traceloop.span.kind", "tool")]),
    ]);
    assert_eq!(
        (
            observer.agent_spans,
            observer.llm_calls,
            observer.tools.len()
        ),
        (1, 1, 1)
    );
}

#[test]
fn workflows_come_from_invoke_workflow_spans() {
    let mut observer = RunObserver::default();
    observer.observe(&[span(
        "agno",
        &[("gen_ai.operation.name", "invoke_workflow")],
    )]);
    let events = observer.events(5, true);
    assert!(events.iter().any(|(t, _)| *t == EventType::WorkflowStarted));
    assert!(
        events
            .iter()
            .any(|(t, _)| *t == EventType::WorkflowCompleted)
    );
}
