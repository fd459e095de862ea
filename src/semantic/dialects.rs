//! The attribute names of each dialect, read in one pass: every attribute that means
//! something is put in its slot, then each figure is taken from the first dialect that
//! gave it (the span's own explicit kind first, then OpenTelemetry GenAI, then the others).
//! Each dialect's kind words are in `kinds`, the Langfuse SDK's JSON usage and cost in
//! `langfuse`.

use self::kinds::{
    genai_kind, langfuse_kind, openinference_kind, traceloop_kind, traceloop_request_kind,
    vercel_kind,
};
use self::langfuse::{langfuse_total_cost, langfuse_usage};
use super::{Kind, MeaningRef, Tokens};
use crate::span::{Attribute, Value};

mod kinds;
mod langfuse;

/// What the attributes held, slot by slot, before the dialects are weighed.
#[derive(Default)]
struct Found<'a> {
    openinference_kind: Option<&'a str>,
    langfuse_type: Option<&'a str>,
    traceloop_kind: Option<&'a str>,
    traceloop_request_type: Option<&'a str>,
    traceloop_entity: Option<&'a str>,
    operation: Option<&'a str>,
    vercel_operation: Option<&'a str>,
    response_model: [Option<&'a str>; 2],
    request_model: [Option<&'a str>; 5],
    provider: [Option<&'a str>; 4],
    input: [Option<u64>; 4],
    output: [Option<u64>; 4],
    cache_read: [Option<u64>; 3],
    cache_write: [Option<u64>; 2],
    reasoning: [Option<u64>; 4],
    cost: [Option<f64>; 3],
    tool: [Option<&'a str>; 3],
    session: [Option<&'a str>; 5],
    user: [Option<&'a str>; 5],
    agent: Option<&'a str>,
    langfuse_usage: Option<&'a str>,
    langfuse_cost: Option<&'a str>,
}

pub fn read<'a>(name: &'a str, attributes: &'a [Attribute]) -> MeaningRef<'a> {
    let mut found = Found::default();
    for attribute in attributes {
        found.take(&attribute.key, &attribute.value);
    }
    found.meaning(name)
}

/// Fills `slot` unless an earlier attribute did.
fn put<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

impl<'a> Found<'a> {
    /// Puts one attribute in its slot; the first value for a slot wins.
    fn take(&mut self, key: &str, value: &'a Value) {
        // Read as the slot wants it, and only for a key that has one: most attributes
        // (prompts, completions, HTTP) have none, and are not looked at.
        let _ = self.take_text(key, value) || self.take_number(key, value);
    }

    /// The slots read as text: kinds, models, providers, tools, who and what session.
    /// False when `key` has none.
    fn take_text(&mut self, key: &str, value: &'a Value) -> bool {
        let text = || text(value);
        match key {
            "openinference.span.kind" => put(&mut self.openinference_kind, text()),
            "langfuse.observation.type" => put(&mut self.langfuse_type, text()),
            "traceloop.span.kind" => put(&mut self.traceloop_kind, text()),
            "llm.request.type" => put(&mut self.traceloop_request_type, text()),
            "traceloop.entity.name" => put(&mut self.traceloop_entity, text()),
            "gen_ai.operation.name" => put(&mut self.operation, text()),
            "ai.operationId" | "operation.name" => put(&mut self.vercel_operation, text()),

            "gen_ai.response.model" => put(&mut self.response_model[0], text()),
            "llm.response.model" | "ai.response.model" => put(&mut self.response_model[1], text()),
            "gen_ai.request.model" => put(&mut self.request_model[0], text()),
            "llm.model_name" => put(&mut self.request_model[1], text()),
            "langfuse.observation.model.name" => put(&mut self.request_model[2], text()),
            "ai.model.id" | "llm.request.model" => put(&mut self.request_model[3], text()),
            "embedding.model_name" => put(&mut self.request_model[4], text()),

            "gen_ai.provider.name" => put(&mut self.provider[0], text()),
            "gen_ai.system" => put(&mut self.provider[1], text()),
            "llm.provider" | "llm.system" => put(&mut self.provider[2], text()),
            "ai.model.provider" => put(&mut self.provider[3], text().map(vercel_provider)),

            "langfuse.observation.usage_details" => put(&mut self.langfuse_usage, text()),
            "langfuse.observation.cost_details" => put(&mut self.langfuse_cost, text()),

            "gen_ai.tool.name" => put(&mut self.tool[0], text()),
            "tool.name" => put(&mut self.tool[1], text()),
            "ai.toolCall.name" => put(&mut self.tool[2], text()),

            "session.id" | "gen_ai.conversation.id" => put(&mut self.session[0], text()),
            "langfuse.session.id" => put(&mut self.session[1], text()),
            "langfuse.trace.session_id" => put(&mut self.session[2], text()),
            "ai.telemetry.metadata.sessionId" => put(&mut self.session[3], text()),
            "traceloop.association.properties.session_id" => put(&mut self.session[4], text()),
            "user.id" | "enduser.id" => put(&mut self.user[0], text()),
            "langfuse.user.id" => put(&mut self.user[1], text()),
            "langfuse.trace.user_id" => put(&mut self.user[2], text()),
            "ai.telemetry.metadata.userId" => put(&mut self.user[3], text()),
            "traceloop.association.properties.user_id" => put(&mut self.user[4], text()),
            // `agent.name`: OpenInference's (Agno's agent spans carry it).
            "gen_ai.agent.name" | "agent_name" | "agent.name" => put(&mut self.agent, text()),
            _ => return false,
        }
        true
    }

    /// The slots read as numbers: token counts and costs. False when `key` has none.
    fn take_number(&mut self, key: &str, value: &'a Value) -> bool {
        let count = || count(value);
        match key {
            "gen_ai.usage.input_tokens" => put(&mut self.input[0], count()),
            "gen_ai.usage.prompt_tokens" | "llm.usage.prompt_tokens" => {
                put(&mut self.input[1], count())
            }
            "llm.token_count.prompt" => put(&mut self.input[2], count()),
            "ai.usage.inputTokens" | "ai.usage.promptTokens" => put(&mut self.input[3], count()),

            "gen_ai.usage.output_tokens" => put(&mut self.output[0], count()),
            "gen_ai.usage.completion_tokens" | "llm.usage.completion_tokens" => {
                put(&mut self.output[1], count())
            }
            "llm.token_count.completion" => put(&mut self.output[2], count()),
            "ai.usage.outputTokens" | "ai.usage.completionTokens" => {
                put(&mut self.output[3], count())
            }

            "gen_ai.usage.cache_read.input_tokens" | "gen_ai.usage.cache_read_input_tokens" => {
                put(&mut self.cache_read[0], count())
            }
            "llm.token_count.prompt_details.cache_read" => put(&mut self.cache_read[1], count()),
            "ai.usage.cachedInputTokens" | "gen_ai.usage.details.cache_read_tokens" => {
                put(&mut self.cache_read[2], count())
            }
            "gen_ai.usage.cache_creation.input_tokens"
            | "gen_ai.usage.cache_creation_input_tokens"
            | "gen_ai.usage.details.cache_write_tokens" => put(&mut self.cache_write[0], count()),
            "llm.token_count.prompt_details.cache_write" => put(&mut self.cache_write[1], count()),

            "gen_ai.usage.reasoning.output_tokens" | "gen_ai.usage.reasoning_tokens" => {
                put(&mut self.reasoning[0], count())
            }
            "llm.token_count.completion_details.reasoning" => put(&mut self.reasoning[1], count()),
            "llm.usage.reasoning_tokens" | "ai.usage.reasoningTokens" => {
                put(&mut self.reasoning[2], count())
            }
            "gen_ai.usage.details.reasoning_tokens" => put(&mut self.reasoning[3], count()),

            "gen_ai.usage.cost" => put(&mut self.cost[0], number(value)),
            "operation.cost" => put(&mut self.cost[1], number(value)),
            "llm.cost.total" => put(&mut self.cost[2], number(value)),
            _ => return false,
        }
        true
    }

    fn meaning(self, name: &'a str) -> MeaningRef<'a> {
        let first_text = |slots: &[Option<&'a str>]| slots.iter().flatten().next().copied();
        let first = |slots: &[Option<u64>]| slots.iter().flatten().next().copied();
        let kind = self.kind(name);
        let langfuse_usage = self.langfuse_usage.map(langfuse_usage).unwrap_or_default();
        let tokens = Tokens {
            input: first(&self.input).or(langfuse_usage.input),
            output: first(&self.output).or(langfuse_usage.output),
            cache_read: first(&self.cache_read).or(langfuse_usage.cache_read),
            cache_write: first(&self.cache_write).or(langfuse_usage.cache_write),
            reasoning: first(&self.reasoning).or(langfuse_usage.reasoning),
        };
        let cost = self
            .cost
            .iter()
            .flatten()
            .next()
            .copied()
            .or_else(|| self.langfuse_cost.and_then(langfuse_total_cost));
        let tool = first_text(&self.tool).or_else(|| {
            let named_tool = matches!(self.traceloop_kind, Some("tool"))
                || matches!(self.langfuse_type, Some("tool"));
            named_tool.then(|| self.traceloop_entity.unwrap_or(name))
        });
        MeaningRef {
            kind,
            request_model: first_text(&self.request_model),
            response_model: first_text(&self.response_model),
            provider: first_text(&self.provider),
            tokens: inclusive(tokens),
            cost: cost.filter(|c| c.is_finite() && *c >= 0.0),
            tool,
            session: first_text(&self.session),
            user: first_text(&self.user),
            agent: self.agent,
        }
    }

    /// The kind a dialect states, the most explicit first; else what the figures suggest.
    fn kind(&self, name: &str) -> Kind {
        self.openinference_kind
            .and_then(openinference_kind)
            .or_else(|| self.langfuse_type.and_then(langfuse_kind))
            .or_else(|| self.operation.and_then(genai_kind))
            .or_else(|| self.traceloop_kind.and_then(traceloop_kind))
            .or_else(|| self.traceloop_request_type.and_then(traceloop_request_kind))
            .or_else(|| self.vercel_operation.and_then(vercel_kind))
            .or_else(|| vercel_kind(name))
            .unwrap_or_else(|| self.suggested_kind())
    }

    /// For spans that state no kind: a tool name makes a tool call, a model with tokens
    /// an LLM call.
    fn suggested_kind(&self) -> Kind {
        let model = self
            .request_model
            .iter()
            .chain(&self.response_model)
            .any(Option::is_some);
        let tokens = self.input.iter().chain(&self.output).any(Option::is_some);
        if self.tool.iter().any(Option::is_some) {
            Kind::Tool
        } else if model && tokens {
            Kind::Llm
        } else {
            Kind::Other
        }
    }
}

/// `openai.chat` → `openai`: the Vercel AI SDK names the provider and its API together.
fn vercel_provider(value: &str) -> &str {
    value.split('.').next().unwrap_or(value)
}

/// Makes `input` include the cache reads and writes: a count smaller than the cache's is
/// one that left them out (Anthropic's raw usage does), so they are added.
fn inclusive(mut tokens: Tokens) -> Tokens {
    let cached = tokens
        .cache_read
        .unwrap_or(0)
        .saturating_add(tokens.cache_write.unwrap_or(0));
    if let Some(input) = tokens.input
        && input < cached
    {
        tokens.input = Some(input.saturating_add(cached));
    }
    tokens
}

fn text(value: &Value) -> Option<&str> {
    match value {
        // A text that starts with an ASCII byte other than a space is not blank: the
        // common case, known without trimming.
        Value::Str(s)
            if s.as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace()) =>
        {
            Some(s)
        }
        Value::Str(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// A token count: a non-negative integer, or a string or whole double holding one.
fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::Double(d) if d.fract() == 0.0 && *d >= 0.0 && *d < 9.0e15 => Some(*d as u64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(n) => Some(*n as f64),
        Value::Double(d) => Some(*d),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}
