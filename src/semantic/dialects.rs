//! The attribute names of each dialect, read in one pass: every attribute that means
//! something is put in its slot, then each figure is taken from the first dialect that
//! gave it (the span's own explicit kind first, then OpenTelemetry GenAI, then the others).
//! Which name fills which slot is in `slots`, each dialect's kind words in `kinds`, the
//! Langfuse SDK's JSON usage and cost in `langfuse`.

use self::kinds::{
    genai_kind, langfuse_kind, openinference_kind, traceloop_kind, traceloop_request_kind,
    vercel_kind,
};
use self::langfuse::{langfuse_total_cost, langfuse_usage};
use self::slots::{Slot, slot_of};
use super::{Kind, MeaningRef, Tokens};
use crate::span::{Attribute, Value};

mod kinds;
mod langfuse;
mod slots;

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
    /// Puts one attribute in its slot, if it has one ([`slot_of`]); the first value for a
    /// slot wins. Most attributes (prompts, completions, HTTP) have none.
    fn take(&mut self, key: &str, value: &'a Value) {
        if let Some(slot) = slot_of(key) {
            self.put(slot, value);
        }
    }

    /// Puts `value` in `slot`, read as the slot wants it: text, a count or a cost.
    fn put(&mut self, slot: Slot, value: &'a Value) {
        let text = || text(value);
        let count = || count(value);
        match slot {
            Slot::OpenInferenceKind => put(&mut self.openinference_kind, text()),
            Slot::LangfuseType => put(&mut self.langfuse_type, text()),
            Slot::TraceloopKind => put(&mut self.traceloop_kind, text()),
            Slot::TraceloopRequestType => put(&mut self.traceloop_request_type, text()),
            Slot::TraceloopEntity => put(&mut self.traceloop_entity, text()),
            Slot::Operation => put(&mut self.operation, text()),
            Slot::VercelOperation => put(&mut self.vercel_operation, text()),
            Slot::ResponseModel(i) => put(&mut self.response_model[i], text()),
            Slot::RequestModel(i) => put(&mut self.request_model[i], text()),
            Slot::Provider(i) => put(&mut self.provider[i], text()),
            Slot::VercelProvider => put(&mut self.provider[3], text().map(vercel_provider)),
            Slot::LangfuseUsage => put(&mut self.langfuse_usage, text()),
            Slot::LangfuseCost => put(&mut self.langfuse_cost, text()),
            Slot::Tool(i) => put(&mut self.tool[i], text()),
            Slot::Session(i) => put(&mut self.session[i], text()),
            Slot::User(i) => put(&mut self.user[i], text()),
            Slot::Agent => put(&mut self.agent, text()),
            Slot::Input(i) => put(&mut self.input[i], count()),
            Slot::Output(i) => put(&mut self.output[i], count()),
            Slot::CacheRead(i) => put(&mut self.cache_read[i], count()),
            Slot::CacheWrite(i) => put(&mut self.cache_write[i], count()),
            Slot::Reasoning(i) => put(&mut self.reasoning[i], count()),
            Slot::Cost(i) => put(&mut self.cost[i], number(value)),
        }
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
