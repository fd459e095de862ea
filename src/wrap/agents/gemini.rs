//! Gemini CLI: its telemetry switched on toward the receiver (OTLP/HTTP, which it sends as
//! JSON), and its spans put under the run.
//!
//! It ignores `TRACEPARENT`: every `llm_call` (and each `schedule_tool_calls` →
//! `tool_call`) is a trace of its own, and its spans name no prompt. So its spans are held
//! until the end, then each of its traces goes under a synthesised prompt span (one per
//! `prompt_id` of its `gemini_cli.user_prompt` events: the last prompt before the trace
//! began, else the session), in the run's trace. A model span gets the cache and reasoning
//! tokens and the answering model of its `gemini_cli.api_response` event.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{LogEvent, RunIds, Setup, Translated, Translator, derived_span_id, int_of, text_of};
use crate::span::{Scope, Span, StatusCode, TraceId};

/// The `service.name` (and scope) of what Gemini CLI sends.
const SERVICE: &str = "gemini-cli";
/// How far apart an `api_response` event's time and its span's end may be.
const JOIN_WINDOW_NANOS: u64 = 1_000_000_000;
/// Spans held, and events kept, at most: beyond, the oldest spans are put under the run
/// with what is known, the oldest events forgotten.
const HELD_MAX: usize = 4096;

/// The environment that switches Gemini CLI's telemetry on toward `receiver`; nothing when
/// the user configured it (a `GEMINI_TELEMETRY_*` variable, or `telemetry` in
/// `~/.gemini/settings.json`).
pub fn setup(receiver: &str, env: &HashMap<String, String>) -> Setup {
    let mut setup = Setup::default();
    let mut theirs: Vec<&String> = env
        .keys()
        .filter(|k| k.starts_with("GEMINI_TELEMETRY_"))
        .collect();
    theirs.sort();
    if let Some(first) = theirs.first() {
        setup.notes.push(format!(
            "{first} is set: Gemini CLI's telemetry is left as configured"
        ));
        return setup;
    }
    if let Some(file) = configured_in_settings(env) {
        setup.notes.push(format!(
            "{file} configures telemetry: Gemini CLI's telemetry is left as configured"
        ));
        return setup;
    }
    for (key, value) in [
        ("GEMINI_TELEMETRY_ENABLED", "true"),
        ("GEMINI_TELEMETRY_TARGET", "local"),
        ("GEMINI_TELEMETRY_OTLP_ENDPOINT", receiver),
        ("GEMINI_TELEMETRY_OTLP_PROTOCOL", "http"),
        ("GEMINI_TELEMETRY_TRACES_ENABLED", "true"),
    ] {
        setup.env.push((key.to_string(), value.to_string()));
    }
    setup
}

/// `~/.gemini/settings.json` when it has a `telemetry` section.
fn configured_in_settings(env: &HashMap<String, String>) -> Option<String> {
    let file = std::path::Path::new(env.get("HOME")?).join(".gemini/settings.json");
    let text = std::fs::read_to_string(&file).ok()?;
    text.contains("\"telemetry\"")
        .then(|| file.display().to_string())
}

/// The translator of one Gemini CLI run.
pub struct Gemini {
    run: RunIds,
    held: Vec<Span>,
    /// `(time, session, prompt_id)` of each user prompt.
    prompts: Vec<(u64, String, String)>,
    /// `api_response` events not yet joined.
    responses: Vec<LogEvent>,
    tally: Translated,
}

impl Gemini {
    /// A translator for a run under `run`.
    pub fn new(run: RunIds) -> Gemini {
        Gemini {
            run,
            held: Vec::new(),
            prompts: Vec::new(),
            responses: Vec::new(),
            tally: Translated::default(),
        }
    }

    /// Puts `spans` under their prompt spans in the run's trace; returns them.
    fn place(&mut self, mut spans: Vec<Span>) -> Vec<Span> {
        // Each of Gemini's traces starts with its root: the prompt it belongs to is the
        // last one before that.
        let mut roots: HashMap<TraceId, u64> = HashMap::new();
        for span in &spans {
            let start = roots.entry(span.trace_id).or_insert(span.start_unix_nanos);
            *start = (*start).min(span.start_unix_nanos);
        }
        let mut groups: BTreeMap<String, Span> = BTreeMap::new();
        for span in &mut spans {
            let key = self.prompt_of(span, roots[&span.trace_id]);
            let prompt = groups
                .entry(key.clone())
                .or_insert_with(|| prompt_span(&key, span, self.run));
            prompt.start_unix_nanos = prompt.start_unix_nanos.min(span.start_unix_nanos);
            prompt.end_unix_nanos = prompt.end_unix_nanos.max(span.end_unix_nanos);
            span.trace_id = self.run.trace_id;
            if span.parent_span_id.is_none() {
                span.parent_span_id = Some(prompt.span_id);
                self.tally.reparented += 1;
            }
            describe(span);
            if let Some(i) = self.responses.iter().position(|e| answers(span, e)) {
                let event = self.responses.remove(i);
                join(span, &event);
                self.tally.joined += 1;
            }
        }
        self.tally.derived += groups.len() as u64;
        spans.extend(groups.into_values());
        spans
    }

    /// `session/prompt_id` of the prompt a span (of a trace that began at `began`) is of.
    fn prompt_of(&self, span: &Span, began: u64) -> String {
        let session = session_of(span);
        let prompt = self
            .prompts
            .iter()
            .filter(|(time, s, _)| *time <= began && *s == session)
            .max_by_key(|(time, _, _)| *time)
            .map_or(session.as_str(), |(_, _, prompt)| prompt.as_str());
        format!("{session}/{prompt}")
    }
}

impl Translator for Gemini {
    fn spans(&mut self, spans: Vec<Span>) -> Vec<Span> {
        let (ours, others): (Vec<Span>, Vec<Span>) = spans.into_iter().partition(is_gemini);
        self.held.extend(ours);
        let mut out = others;
        if self.held.len() > HELD_MAX {
            let over = self.held.len() - HELD_MAX;
            let oldest: Vec<Span> = self.held.drain(..over).collect();
            out.extend(self.place(oldest));
        }
        out
    }

    fn logs(&mut self, events: &[LogEvent]) -> Vec<Span> {
        for event in events {
            match event.name() {
                "gemini_cli.user_prompt" => {
                    let session = event.text("session.id").unwrap_or_default().to_string();
                    let prompt = event.text("prompt_id").unwrap_or(&session).to_string();
                    if self.prompts.len() >= HELD_MAX {
                        self.prompts.remove(0);
                    }
                    self.prompts.push((event.time_unix_nanos, session, prompt));
                }
                "gemini_cli.api_response" => {
                    if self.responses.len() >= HELD_MAX {
                        self.responses.remove(0);
                    }
                    self.responses.push(event.clone());
                }
                _ => {}
            }
        }
        Vec::new()
    }

    fn finish(&mut self) -> Vec<Span> {
        let held = std::mem::take(&mut self.held);
        self.place(held)
    }

    fn tally(&self) -> Translated {
        self.tally
    }
}

fn is_gemini(span: &Span) -> bool {
    span.scope.name == SERVICE
        || span
            .resource
            .attributes
            .iter()
            .any(|a| a.key == "service.name" && a.value.as_str() == Some(SERVICE))
}

/// The session a span is of: its conversation id, else its resource's `session.id`.
fn session_of(span: &Span) -> String {
    text_of(span.attribute("gen_ai.conversation.id"))
        .or_else(|| {
            let attr = span
                .resource
                .attributes
                .iter()
                .find(|a| a.key == "session.id");
            text_of(attr.map(|a| &a.value))
        })
        .unwrap_or("session")
        .to_string()
}

/// The synthesised span of the prompt `key` (`session/prompt_id`), first seen in `span`.
fn prompt_span(key: &str, span: &Span, run: RunIds) -> Span {
    let scope = Arc::new(Scope {
        name: SERVICE.into(),
        ..Default::default()
    });
    let mut prompt = Span::start(
        "gemini_cli.prompt",
        Some((run.trace_id, run.run_span)),
        span.resource.clone(),
        scope,
    );
    prompt.span_id = derived_span_id(key);
    prompt.start_unix_nanos = span.start_unix_nanos;
    prompt.end_unix_nanos = span.end_unix_nanos;
    let (session, prompt_id) = key.split_once('/').unwrap_or((key, key));
    prompt
        .set("gen_ai.operation.name", "invoke_agent")
        .set("gen_ai.agent.name", SERVICE)
        .set("session.id", session)
        .set("prompt_id", prompt_id);
    prompt
}

/// The GenAI operation of one of Gemini CLI's spans.
fn describe(span: &mut Span) {
    let operation = text_of(span.attribute("gen_ai.operation.name")).unwrap_or_default();
    match operation {
        "llm_call" => {
            span.set("gen_ai.operation.name", "generate_content")
                .set("gen_ai.provider.name", "gcp.gemini");
        }
        "tool_call" => {
            let ok = span.status.code != StatusCode::Error;
            span.set("gen_ai.operation.name", "execute_tool")
                .set("success", ok);
        }
        _ => {}
    }
}

/// Whether an `api_response` event is the one of a model span: emitted in it, or with its
/// input tokens and its time near the span's end.
fn answers(span: &Span, event: &LogEvent) -> bool {
    if span
        .attribute("gen_ai.operation.name")
        .and_then(|v| v.as_str())
        != Some("generate_content")
    {
        return false;
    }
    if let Some((_, span_id)) = event.span {
        return span_id == span.span_id;
    }
    int_of(span.attribute("gen_ai.usage.input_tokens")) == event.int("input_token_count")
        && span.end_unix_nanos.abs_diff(event.time_unix_nanos) <= JOIN_WINDOW_NANOS
}

/// The figures of an `api_response` event a model span lacks.
fn join(span: &mut Span, event: &LogEvent) {
    if let Some(model) = event.text("model") {
        span.set("gen_ai.response.model", model.to_string());
    }
    for (event_key, span_key) in [
        (
            "cached_content_token_count",
            "gen_ai.usage.cache_read.input_tokens",
        ),
        (
            "thoughts_token_count",
            "gen_ai.usage.reasoning.output_tokens",
        ),
    ] {
        if let Some(n) = event.int(event_key).filter(|n| *n > 0) {
            span.set(span_key, n);
        }
    }
}
