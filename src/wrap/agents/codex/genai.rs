//! What Codex's spans and logs mean, and the OpenTelemetry GenAI attributes that say it so
//! the semantic layer (`semantic::read`, cost from genai-prices), `traces show` and every
//! backend understand them: the turn is an agent invocation, the Responses API request a
//! `chat` with its model and usage, the tool dispatch an `execute_tool`.
//!
//! Codex 0.171 puts a response's usage on one `handle_responses` span (a sibling of the
//! request span, both under `try_run_sampling_request`) and on the `codex.sse_event` log of
//! kind `response.completed`; a tool call's outcome only on the `codex.tool_result` log; a
//! failed request only on the `codex.websocket_connect` or `codex.api_request` log, whose
//! span is one under the request span.

use super::super::{LogEvent, int_of, set_usage, text_of};
use crate::semantic::Tokens;
use crate::span::{Span, SpanId, SpanKind, Status, StatusCode, Value};

/// The agent's name in `gen_ai.agent.name`.
const AGENT: &str = "codex";

/// What a Codex span is to the translator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `session_task.turn`: one user prompt, kept.
    Turn,
    /// A request to the model (`model_client.stream_responses_api`, or its WebSocket
    /// twin), kept.
    Model,
    /// A tool call's dispatch (named after the tool, with `tool_name` and `call_id`), kept.
    Tool,
    /// `try_run_sampling_request`: one attempt at a model request, the common ancestor of
    /// the request span and the spans that read its response. Dropped.
    Sampling,
    /// A `handle_responses` span carrying a response's usage. Dropped once read.
    Usage,
    /// Anything else (about 500 a prompt: config loading, file reads, tool routing).
    Other,
}

impl Role {
    /// Whether spans of this role stay in the trace.
    pub(super) fn kept(self) -> bool {
        matches!(self, Role::Turn | Role::Model | Role::Tool)
    }
}

/// The role of `span`.
pub(super) fn role(span: &Span) -> Role {
    match span.name.as_str() {
        "session_task.turn" => Role::Turn,
        "model_client.stream_responses_api" | "model_client.stream_responses_websocket" => {
            Role::Model
        }
        "try_run_sampling_request" => Role::Sampling,
        "handle_responses" if span_usage(span).is_some() => Role::Usage,
        name if text(span, "tool_name") == Some(name) && span.attribute("call_id").is_some() => {
            Role::Tool
        }
        _ => Role::Other,
    }
}

/// The usage a `handle_responses` span reports, if it reports one.
pub(super) fn span_usage(span: &Span) -> Option<Tokens> {
    let count = |key: &str| span.attribute(key).and_then(count_of);
    let tokens = Tokens {
        input: count("gen_ai.usage.input_tokens"),
        output: count("gen_ai.usage.output_tokens"),
        cache_read: count("gen_ai.usage.cache_read.input_tokens"),
        cache_write: count("gen_ai.usage.cache_write.input_tokens"),
        reasoning: count("codex.usage.reasoning_output_tokens"),
    };
    tokens.any().then_some(tokens)
}

/// Marks a turn span as the agent's invocation.
pub(super) fn mark_turn(span: &mut Span) {
    span.set("gen_ai.operation.name", "invoke_agent")
        .set("gen_ai.agent.name", AGENT);
    copy_model(span);
}

/// Marks a model request span as a `chat` with its usage, when known.
pub(super) fn mark_model(span: &mut Span, usage: Option<&Tokens>) {
    span.kind = SpanKind::Client;
    span.set("gen_ai.operation.name", "chat");
    copy_model(span);
    let Some(usage) = usage else { return };
    let count = |n: Option<u64>| n.and_then(|n| i64::try_from(n).ok());
    set_usage(
        span,
        count(usage.input).unwrap_or(0),
        count(usage.output).unwrap_or(0),
        count(usage.cache_read).unwrap_or(0),
        count(usage.cache_write).unwrap_or(0),
    );
    if let Some(reasoning) = count(usage.reasoning) {
        span.set("gen_ai.usage.reasoning.output_tokens", reasoning);
    }
}

/// Marks a model request that got no completed response, and failed, as an error.
pub(super) fn mark_failed(span: &mut Span, failure: &Failure) {
    span.set("error.type", failure.kind.clone());
    span.status = Status {
        code: StatusCode::Error,
        message: failure.message.clone(),
    };
}

/// Marks a tool dispatch span as an `execute_tool`, with its outcome when known.
pub(super) fn mark_tool(span: &mut Span, success: Option<bool>) {
    span.set("gen_ai.operation.name", "execute_tool")
        .set("gen_ai.tool.type", "function");
    for (from, to) in [
        ("tool_name", "gen_ai.tool.name"),
        ("call_id", "gen_ai.tool.call.id"),
        ("conversation.id", "gen_ai.conversation.id"),
    ] {
        if let Some(value) = text(span, from).map(str::to_string) {
            span.set(to, value);
        }
    }
    match success {
        Some(true) => span.status.code = StatusCode::Ok,
        Some(false) => {
            span.status = Status {
                code: StatusCode::Error,
                message: "the tool call failed".into(),
            }
        }
        None => {}
    }
}

/// `model` → `gen_ai.request.model`.
fn copy_model(span: &mut Span) {
    if let Some(model) = text(span, "model").map(str::to_string) {
        span.set("gen_ai.request.model", model);
    }
}

/// A response's usage read off a `codex.sse_event` log of kind `response.completed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LogUsage {
    /// When the response completed, in nanoseconds since the Unix epoch.
    pub at_unix_nanos: u64,
    /// Its token counts.
    pub tokens: Tokens,
}

/// A request to the model that failed, from its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// The span the log was written in (one under the request span).
    pub span: SpanId,
    /// `error.type`: the HTTP status, else `request_failed`.
    pub kind: String,
    /// What Codex said (`error.message`), else the HTTP status.
    pub message: String,
}

/// What one logs request from Codex tells the translator.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct LogFacts {
    /// Usage of completed responses.
    pub usages: Vec<LogUsage>,
    /// Tool calls' outcomes: the call id and whether it succeeded.
    pub tool_results: Vec<(String, bool)>,
    /// Requests to the model that failed.
    pub failures: Vec<Failure>,
}

/// Reads the usage, tool outcomes and failures out of Codex's log events (other events
/// are ignored).
pub(super) fn read_logs(events: &[LogEvent]) -> LogFacts {
    let mut facts = LogFacts::default();
    for event in events {
        match event.name() {
            "codex.sse_event" if event.text("event.kind") == Some("response.completed") => {
                let count = |key: &str| event.int(key).and_then(|n| u64::try_from(n).ok());
                let tokens = Tokens {
                    input: count("input_token_count"),
                    output: count("output_token_count"),
                    cache_read: count("cached_token_count"),
                    cache_write: count("cache_write_token_count"),
                    reasoning: count("reasoning_token_count"),
                };
                // Codex leaves the record's time unset; the event's time is then when the
                // SDK saw it.
                let at = event.time_unix_nanos;
                if tokens.any() && at > 0 {
                    facts.usages.push(LogUsage {
                        at_unix_nanos: at,
                        tokens,
                    });
                }
            }
            "codex.websocket_connect" | "codex.api_request" => {
                if let Some(failure) = failure(event) {
                    facts.failures.push(failure);
                }
            }
            "codex.tool_result" => {
                let success = match event.get("success") {
                    Some(Value::Bool(b)) => Some(*b),
                    Some(Value::Str(s)) => s.parse().ok(),
                    _ => None,
                };
                if let (Some(call), Some(success)) = (event.text("call_id"), success) {
                    facts.tool_results.push((call.to_string(), success));
                }
            }
            _ => {}
        }
    }
    facts
}

/// A request to the model that failed, from its connection or request event written in a
/// span under the request span.
fn failure(event: &LogEvent) -> Option<Failure> {
    let status = event.int("http.response.status_code");
    let error = event.text("error.message").filter(|m| !m.is_empty());
    let failed = event.text("success") == Some("false")
        || matches!(event.get("success"), Some(Value::Bool(false)))
        || status.is_some_and(|s| s >= 400)
        || error.is_some();
    let (_, span) = event.span?;
    if !failed {
        return None;
    }
    let kind = status.map_or("request_failed".to_string(), |s| s.to_string());
    Some(Failure {
        span,
        message: error.map_or_else(|| format!("http {kind}"), str::to_string),
        kind,
    })
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    text_of(span.attribute(key))
}

/// A count, whether Codex wrote it as an integer or as text (it does both).
fn count_of(value: &Value) -> Option<u64> {
    int_of(Some(value)).and_then(|n| u64::try_from(n).ok())
}
