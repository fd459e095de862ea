//! Recognising agents, their setup, and the translators on spans and events shaped as
//! Claude Code 2.1.197 and Gemini CLI 0.61.0 send them (Gemini's in `gemini`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::Arc;

use super::*;
use crate::span::{Attribute, Resource, Scope, Status, StatusCode, Value};

fn command(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const RUN: RunIds = RunIds {
    trace_id: TraceId([7; 16]),
    run_span: SpanId([9; 8]),
};

const MS: u64 = 1_000_000;

fn span(scope: &str, service: &str, name: &str, attrs: &[(&str, Value)]) -> Span {
    let mut span = Span::start(
        name,
        None,
        Arc::new(Resource::service(service)),
        Arc::new(Scope {
            name: scope.into(),
            ..Default::default()
        }),
    );
    for (k, v) in attrs {
        span.set(k.to_string(), v.clone());
    }
    span
}

/// A log event outside any span (as most agents' events are).
pub(super) fn event(time: u64, attrs: &[(&str, Value)]) -> LogEvent {
    LogEvent {
        time_unix_nanos: time,
        span: None,
        body: None,
        attributes: attrs
            .iter()
            .map(|(k, v)| Attribute::new(k.to_string(), v.clone()))
            .collect(),
        resource: Arc::new(Resource::service("agent")),
    }
}

fn s(text: &str) -> Value {
    Value::from(text)
}

#[test]
fn agents_are_recognised_by_program_path_or_npm_package() {
    let found = |args: &[&str]| Agent::recognise(&command(args));
    assert_eq!(found(&["claude", "-p", "hi"]), Some((Agent::Claude, 1)));
    assert_eq!(
        found(&["/usr/local/bin/gemini", "-p", "hi"]),
        Some((Agent::Gemini, 1))
    );
    assert_eq!(found(&["node_modules/.bin/codex"]), Some((Agent::Codex, 1)));
    assert_eq!(
        found(&["npx", "-y", "@openai/codex@0.171.0", "exec", "x"]),
        Some((Agent::Codex, 3))
    );
    assert_eq!(
        found(&["npx", "@anthropic-ai/claude-code", "-p", "x"]),
        Some((Agent::Claude, 2))
    );
    assert_eq!(
        found(&["pnpm", "dlx", "@google/gemini-cli", "-p", "x"]),
        Some((Agent::Gemini, 3))
    );
    assert_eq!(
        found(&[
            "node",
            "--no-warnings",
            "node_modules/@google/gemini-cli/bundle/gemini.js"
        ]),
        Some((Agent::Gemini, 3))
    );
    assert_eq!(
        found(&["python", "claude.py"]),
        None,
        "a script is not the agent"
    );
    assert_eq!(found(&["npx", "-y", "prettier"]), None);
    assert_eq!(Agent::named("Gemini-CLI"), Some(Agent::Gemini));
}

#[test]
fn claude_code_is_switched_on_unless_the_user_configured_it() {
    let setup = Agent::Claude.setup(
        "http://127.0.0.1:1",
        &env_of(&[("OTEL_LOGS_EXPORTER", "console")]),
        &[],
    );
    let get = |k: &str| {
        setup
            .env
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("CLAUDE_CODE_ENABLE_TELEMETRY"), Some("1"));
    assert_eq!(get("CLAUDE_CODE_ENHANCED_TELEMETRY_BETA"), Some("1"));
    assert_eq!(get("OTEL_LOGS_EXPORTER"), None, "the user's choice stays");
    assert!(
        setup
            .notes
            .iter()
            .any(|n| n.contains("OTEL_LOGS_EXPORTER=console"))
    );

    let theirs = Agent::Claude.setup(
        "http://127.0.0.1:1",
        &env_of(&[("CLAUDE_CODE_ENABLE_TELEMETRY", "0")]),
        &[],
    );
    assert!(theirs.env.is_empty(), "{theirs:?}");
    assert!(theirs.notes[0].contains("left as configured"));
}

#[test]
fn gemini_cli_is_pointed_at_the_receiver_unless_its_settings_say_otherwise() {
    let setup = Agent::Gemini.setup("http://127.0.0.1:5", &HashMap::new(), &[]);
    assert!(setup.env.contains(&(
        "GEMINI_TELEMETRY_OTLP_ENDPOINT".into(),
        "http://127.0.0.1:5".into()
    )));
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".gemini")).unwrap();
    std::fs::write(
        home.path().join(".gemini/settings.json"),
        r#"{"telemetry": {"enabled": true, "target": "gcp"}}"#,
    )
    .unwrap();
    let env = env_of(&[("HOME", home.path().to_str().unwrap())]);
    let theirs = Agent::Gemini.setup("http://127.0.0.1:5", &env, &[]);
    assert!(theirs.env.is_empty(), "{theirs:?}");
    assert!(theirs.notes[0].contains("settings.json"));
}

fn claude_request(end: u64) -> Span {
    let mut request = span(
        "com.anthropic.claude_code.tracing",
        "claude-code",
        "claude_code.llm_request",
        &[
            ("model", s("claude-sonnet-4-5[1m]")),
            ("input_tokens", Value::Int(100)),
            ("output_tokens", Value::Int(20)),
            ("cache_read_tokens", Value::Int(50)),
            ("cache_creation_tokens", Value::Int(0)),
            ("success", Value::Bool(true)),
        ],
    );
    request.start_unix_nanos = end - 80 * MS;
    request.end_unix_nanos = end;
    request
}

fn api_request(time: u64, cost: f64) -> LogEvent {
    event(
        time,
        &[
            ("event.name", s("api_request")),
            ("model", s("claude-sonnet-4-5")),
            ("input_tokens", Value::Int(100)),
            ("output_tokens", Value::Int(20)),
            ("cost_usd", Value::Double(cost)),
            ("duration_ms", Value::Int(80)),
            ("prompt.id", s("p-1")),
        ],
    )
}

#[test]
fn claude_codes_cost_joins_its_model_span_whichever_arrives_first() {
    let t = 1_800_000_000_000 * MS;
    // The span first: held until its event arrives.
    let mut claude = Agent::Claude.translator(RUN);
    assert!(
        claude.spans(vec![claude_request(t)]).is_empty(),
        "held for its cost"
    );
    let joined = claude.logs(&[api_request(t + MS / 2, 0.25)]);
    assert_eq!(joined.len(), 1);
    let request = &joined[0];
    assert_eq!(
        request.attribute("gen_ai.usage.cost"),
        Some(&Value::Double(0.25))
    );
    assert_eq!(
        request.attribute("gen_ai.request.model"),
        Some(&s("claude-sonnet-4-5"))
    );
    // Input counts the cache reads, as the GenAI conventions do.
    assert_eq!(
        request.attribute("gen_ai.usage.input_tokens"),
        Some(&Value::Int(150))
    );
    // The event first: the span passes at once, with it.
    assert!(claude.logs(&[api_request(t + 5_000 * MS, 0.5)]).is_empty());
    let passed = claude.spans(vec![claude_request(t + 5_000 * MS)]);
    assert_eq!(
        passed[0].attribute("gen_ai.usage.cost"),
        Some(&Value::Double(0.5))
    );
    // A span no event matches is handed back at the end, without a cost.
    assert!(
        claude
            .spans(vec![claude_request(t + 9_000 * MS)])
            .is_empty()
    );
    let rest = claude.finish();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].attribute("gen_ai.usage.cost"), None);
    assert_eq!(claude.tally().joined, 2);
}

#[test]
fn claude_code_tool_spans_get_the_tool_name_and_their_executions_outcome() {
    let tool = span(
        "com.anthropic.claude_code.tracing",
        "claude-code",
        "claude_code.tool",
        &[("tool_name", s("Bash"))],
    );
    let mut execution = span(
        "com.anthropic.claude_code.tracing",
        "claude-code",
        "claude_code.tool.execution",
        &[("success", Value::Bool(false))],
    );
    execution.parent_span_id = Some(tool.span_id);
    let out = Agent::Claude.translator(RUN).spans(vec![tool, execution]);
    assert_eq!(out[0].attribute("gen_ai.tool.name"), Some(&s("Bash")));
    assert_eq!(
        out[0].attribute("gen_ai.operation.name"),
        Some(&s("execute_tool"))
    );
    assert_eq!(out[0].attribute("success"), Some(&Value::Bool(false)));
    assert_eq!(out[0].status.code, StatusCode::Error);
}

#[test]
fn without_spans_claude_codes_events_become_a_prompt_with_its_calls() {
    let t = 1_800_000_000_000 * MS;
    let mut claude = Agent::Claude.translator(RUN);
    let prompt = event(
        t,
        &[("event.name", s("user_prompt")), ("prompt.id", s("p-1"))],
    );
    let tool = event(
        t + 300 * MS,
        &[
            ("event.name", s("tool_result")),
            ("prompt.id", s("p-1")),
            ("tool_name", s("Bash")),
            ("success", s("true")),
            ("duration_ms", s("100")),
        ],
    );
    assert!(
        claude
            .logs(&[prompt, api_request(t + 150 * MS, 0.1), tool])
            .is_empty()
    );
    let spans = claude.finish();
    let find = |name: &str| spans.iter().find(|s| s.name == name).unwrap();
    let interaction = find("claude_code.interaction");
    let request = find("claude_code.llm_request");
    let tool = find("claude_code.tool");
    assert_eq!(interaction.trace_id, RUN.trace_id);
    assert_eq!(interaction.parent_span_id, Some(RUN.run_span));
    assert_eq!(request.parent_span_id, Some(interaction.span_id));
    assert_eq!(tool.parent_span_id, Some(interaction.span_id));
    // start = the event's time − duration_ms.
    assert_eq!(request.start_unix_nanos, t + 70 * MS);
    assert_eq!(tool.start_unix_nanos, t + 200 * MS);
    assert_eq!(
        request.attribute("gen_ai.usage.cost"),
        Some(&Value::Double(0.1))
    );
    assert_eq!(tool.attribute("gen_ai.tool.name"), Some(&s("Bash")));
    assert_eq!(
        (interaction.start_unix_nanos, interaction.end_unix_nanos),
        (t, t + 300 * MS)
    );
    assert_eq!(claude.tally().derived, 3);
}

mod gemini;
