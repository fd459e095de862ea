//! Claude Code: its telemetry switched on toward the receiver, and its spans and events
//! made GenAI spans.
//!
//! With `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1` (set here unless the user chose) it emits
//! spans that honour `TRACEPARENT`: `claude_code.interaction` (a prompt) →
//! `claude_code.llm_request` (tokens, no cost) and `claude_code.tool` (→
//! `claude_code.tool.execution`, with `success`). The cost is only on the
//! `claude_code.api_request` log event, whose time is the request's end: each model span
//! is held until the event with its model, tokens and end arrives, then gets the event's
//! `cost_usd`. Without spans (the user turned the beta off), the spans are built from the
//! events at the end: a prompt span per `prompt.id`, a model span per `api_request` and a
//! tool span per `tool_result` (start = time − `duration_ms`).

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    LogEvent, RunIds, Setup, Translated, Translator, derived_span_id, int_of, set_usage, text_of,
};
use crate::span::{Resource, Scope, Span, SpanId, Status, StatusCode, Value};

/// The scope of the spans Claude Code sends.
const SCOPE: &str = "com.anthropic.claude_code.tracing";
/// How far apart an `api_request` event's time and its span's end may be.
const JOIN_WINDOW_NANOS: u64 = 1_000_000_000;
/// Model spans held for their cost, and events kept, at most: beyond, the oldest go.
const HELD_MAX: usize = 4096;

/// The environment that switches Claude Code's telemetry on toward `receiver`; nothing
/// when the user configured it (in the environment or in `~/.claude/settings.json`).
pub fn setup(_receiver: &str, env: &HashMap<String, String>) -> Setup {
    let mut setup = Setup::default();
    if let Some(theirs) = env.get("CLAUDE_CODE_ENABLE_TELEMETRY") {
        setup.notes.push(format!(
            "CLAUDE_CODE_ENABLE_TELEMETRY={theirs} is set: Claude Code's telemetry is left as configured"
        ));
        return setup;
    }
    if let Some(file) = configured_in_settings(env) {
        setup.notes.push(format!(
            "{file} configures telemetry: Claude Code's telemetry is left as configured"
        ));
        return setup;
    }
    setup
        .env
        .push(("CLAUDE_CODE_ENABLE_TELEMETRY".into(), "1".into()));
    for (key, value) in [
        ("CLAUDE_CODE_ENHANCED_TELEMETRY_BETA", "1"),
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        // Short intervals: what is pending when the agent exits is exported at once.
        ("OTEL_TRACES_EXPORT_INTERVAL", "1000"),
        ("OTEL_LOGS_EXPORT_INTERVAL", "1000"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ] {
        setup.default_var(env, key, value);
    }
    setup
}

/// `~/.claude/settings.json` when it sets Claude Code's telemetry (its `env` block wins
/// over the environment).
fn configured_in_settings(env: &HashMap<String, String>) -> Option<String> {
    let file = std::path::Path::new(env.get("HOME")?).join(".claude/settings.json");
    let text = std::fs::read_to_string(&file).ok()?;
    text.contains("CLAUDE_CODE_ENABLE_TELEMETRY")
        .then(|| file.display().to_string())
}

/// The translator of one Claude Code run.
pub struct Claude {
    run: RunIds,
    /// Whether Claude Code sent spans (else they are built from its events).
    spans_seen: bool,
    /// Model spans waiting for their `api_request` event.
    held: Vec<Span>,
    /// `api_request` events no span matched yet.
    costs: Vec<LogEvent>,
    /// The events spans are built from when Claude Code sends none.
    events: Vec<LogEvent>,
    tally: Translated,
}

impl Claude {
    /// A translator for a run under `run`.
    pub fn new(run: RunIds) -> Claude {
        Claude {
            run,
            spans_seen: false,
            held: Vec::new(),
            costs: Vec::new(),
            events: Vec::new(),
            tally: Translated::default(),
        }
    }

    /// Holds a model span no event matched yet; when full, hands back the oldest (without
    /// its cost).
    fn hold(&mut self, span: Span) -> Option<Span> {
        self.held.push(span);
        (self.held.len() > HELD_MAX).then(|| self.held.remove(0))
    }

    /// Keeps an event spans may be built from, while Claude Code sent none.
    fn keep(&mut self, event: &LogEvent) {
        if !self.spans_seen {
            push_capped(&mut self.events, event.clone());
        }
    }
}

impl Translator for Claude {
    fn spans(&mut self, spans: Vec<Span>) -> Vec<Span> {
        let succeeded = tool_outcomes(&spans);
        let mut out = Vec::with_capacity(spans.len());
        for mut span in spans {
            if span.scope.name != SCOPE {
                out.push(span);
                continue;
            }
            self.spans_seen = true;
            describe(&mut span, &succeeded);
            if span.name != "claude_code.llm_request" {
                out.push(span);
                continue;
            }
            let found = closest(&self.costs, |event| {
                matches(&span, event).then(|| span.end_unix_nanos.abs_diff(event.time_unix_nanos))
            });
            match found {
                Some(i) => {
                    let event = self.costs.remove(i);
                    apply_cost(&mut span, &event);
                    self.tally.joined += 1;
                    out.push(span);
                }
                None => out.extend(self.hold(span)),
            }
        }
        out
    }

    fn logs(&mut self, events: &[LogEvent]) -> Vec<Span> {
        let mut out = Vec::new();
        for event in events {
            match event.name() {
                "api_request" | "claude_code.api_request" => {
                    let found = closest(&self.held, |span| {
                        matches(span, event)
                            .then(|| span.end_unix_nanos.abs_diff(event.time_unix_nanos))
                    });
                    match found {
                        Some(i) => {
                            let mut span = self.held.remove(i);
                            apply_cost(&mut span, event);
                            self.tally.joined += 1;
                            out.push(span);
                        }
                        None => push_capped(&mut self.costs, event.clone()),
                    }
                    self.keep(event);
                }
                "user_prompt"
                | "tool_result"
                | "claude_code.user_prompt"
                | "claude_code.tool_result" => self.keep(event),
                _ => {}
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<Span> {
        if self.spans_seen {
            return std::mem::take(&mut self.held);
        }
        let events = std::mem::take(&mut self.events);
        let spans = spans_from_events(&events, self.run);
        self.tally.derived += spans.len() as u64;
        spans
    }

    fn tally(&self) -> Translated {
        self.tally
    }
}

/// The GenAI attributes of one of Claude Code's spans; `succeeded` maps a tool span to its
/// execution's outcome.
fn describe(span: &mut Span, succeeded: &HashMap<SpanId, bool>) {
    match span.name.as_str() {
        "claude_code.interaction" => {
            span.set("gen_ai.operation.name", "invoke_agent")
                .set("gen_ai.agent.name", "claude-code");
        }
        "claude_code.llm_request" => {
            let model = text_of(span.attribute("model"))
                .or(text_of(span.attribute("gen_ai.request.model")))
                .map(|m| plain_model(m).to_string());
            if let Some(model) = model {
                span.set("gen_ai.request.model", model);
            }
            span.set("gen_ai.operation.name", "chat")
                .set("gen_ai.provider.name", "anthropic");
            // A failed request has no usage: no tokens rather than zeroes.
            if span.attribute("input_tokens").is_some() {
                let count = |key: &str| int_of(span.attribute(key)).unwrap_or(0);
                let (input, output) = (count("input_tokens"), count("output_tokens"));
                let (read, write) = (count("cache_read_tokens"), count("cache_creation_tokens"));
                set_usage(span, input + read + write, output, read, write);
            }
            if bool_of(span.attribute("success")) == Some(false) {
                let why = text_of(span.attribute("error")).unwrap_or("the model request failed");
                let why = why.to_string();
                fail(span, &why);
            }
        }
        "claude_code.tool" => {
            if let Some(tool) = text_of(span.attribute("tool_name")).map(str::to_string) {
                span.set("gen_ai.tool.name", tool);
            }
            span.set("gen_ai.operation.name", "execute_tool");
            if let Some(ok) = succeeded.get(&span.span_id) {
                span.set("success", *ok);
                if !ok {
                    fail(span, "the tool failed");
                }
            }
        }
        "claude_code.tool.execution" if bool_of(span.attribute("success")) == Some(false) => {
            fail(span, "the tool failed");
        }
        _ => {}
    }
}

/// Each tool span's outcome, from its `claude_code.tool.execution` child in the batch.
fn tool_outcomes(spans: &[Span]) -> HashMap<SpanId, bool> {
    spans
        .iter()
        .filter(|s| s.name == "claude_code.tool.execution")
        .filter_map(|s| Some((s.parent_span_id?, bool_of(s.attribute("success"))?)))
        .collect()
}

/// `claude-opus-4-8[1m]` (the context window in brackets) → `claude-opus-4-8`.
fn plain_model(model: &str) -> &str {
    model.split('[').next().unwrap_or(model).trim()
}

fn bool_of(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn fail(span: &mut Span, message: &str) {
    span.status = Status {
        code: StatusCode::Error,
        message: message.to_string(),
    };
}

/// Whether an `api_request` event is the one of a model span: the same model and tokens,
/// and its time (the request's end) near the span's end.
fn matches(span: &Span, event: &LogEvent) -> bool {
    let same =
        |span_key: &str, event_key: &str| int_of(span.attribute(span_key)) == event.int(event_key);
    let model = text_of(span.attribute("model")).map(plain_model);
    model.is_some()
        && model == event.text("model").map(plain_model)
        && same("input_tokens", "input_tokens")
        && same("output_tokens", "output_tokens")
        && span.end_unix_nanos.abs_diff(event.time_unix_nanos) <= JOIN_WINDOW_NANOS
}

/// The index of the item at the least distance, among those `distance` measures (the
/// ones that match).
fn closest<T>(items: &[T], distance: impl Fn(&T) -> Option<u64>) -> Option<usize> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((distance(item)?, i)))
        .min()
        .map(|(_, i)| i)
}

fn apply_cost(span: &mut Span, event: &LogEvent) {
    if let Some(Value::Double(cost)) = event.get("cost_usd") {
        span.set("gen_ai.usage.cost", *cost);
    }
}

fn push_capped(items: &mut Vec<LogEvent>, event: LogEvent) {
    if items.len() >= HELD_MAX {
        items.remove(0);
    }
    items.push(event);
}

/// The spans of a run that sent only events: per `prompt.id` a prompt span, under it a
/// model span per `api_request` and a tool span per `tool_result`.
fn spans_from_events(events: &[LogEvent], run: RunIds) -> Vec<Span> {
    let scope = Arc::new(Scope {
        name: SCOPE.into(),
        ..Default::default()
    });
    let mut prompts: HashMap<String, Span> = HashMap::new();
    let mut spans = Vec::new();
    for event in events {
        let prompt = event.text("prompt.id").map(str::to_string);
        let end = event.time_unix_nanos;
        let start =
            end.saturating_sub(event.int("duration_ms").unwrap_or(0).max(0) as u64 * 1_000_000);
        let parent = prompt
            .as_ref()
            .map(|p| prompt_span(&mut prompts, p, event, run, &scope));
        if let Some(prompt_span) = parent {
            prompt_span.start_unix_nanos = prompt_span.start_unix_nanos.min(start);
            prompt_span.end_unix_nanos = prompt_span.end_unix_nanos.max(end);
        }
        let name = match event.name().trim_start_matches("claude_code.") {
            "api_request" => "claude_code.llm_request",
            "tool_result" => "claude_code.tool",
            _ => continue,
        };
        let mut span = Span::start(
            name,
            Some((run.trace_id, run.run_span)),
            event.resource.clone(),
            scope.clone(),
        );
        span.parent_span_id = prompt
            .as_deref()
            .map(derived_span_id)
            .or(Some(run.run_span));
        span.start_unix_nanos = start;
        span.end_unix_nanos = end;
        for attribute in &event.attributes {
            span.set(attribute.key.clone(), attribute.value.clone());
        }
        describe(&mut span, &HashMap::new());
        if name == "claude_code.llm_request" {
            apply_cost(&mut span, event);
        } else if bool_of(event.get("success")) == Some(false) {
            fail(&mut span, "the tool failed");
        }
        spans.push(span);
    }
    spans.extend(prompts.into_values());
    spans
}

/// The prompt span of `prompt`, made on its first event.
fn prompt_span<'a>(
    prompts: &'a mut HashMap<String, Span>,
    prompt: &str,
    event: &LogEvent,
    run: RunIds,
    scope: &Arc<Scope>,
) -> &'a mut Span {
    prompts.entry(prompt.to_string()).or_insert_with(|| {
        let resource: Arc<Resource> = event.resource.clone();
        let mut span = Span::start(
            "claude_code.interaction",
            Some((run.trace_id, run.run_span)),
            resource,
            scope.clone(),
        );
        span.span_id = derived_span_id(prompt);
        span.start_unix_nanos = event.time_unix_nanos;
        span.end_unix_nanos = event.time_unix_nanos;
        if let Some(session) = event.text("session.id") {
            span.set("session.id", session.to_string());
        }
        span.set("prompt.id", prompt.to_string());
        describe(&mut span, &HashMap::new());
        span
    })
}
