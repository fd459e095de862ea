//! What a span means, whichever library made it: its kind (agent, LLM call, tool...), the
//! model and provider, the tokens (input, output, cache reads and writes, reasoning), a
//! cost it carries, the tool, and the session and user it belongs to.
//!
//! Agents speak several attribute dialects: OpenTelemetry GenAI (current names and the
//! deprecated ones still emitted), OpenInference, OpenLLMetry / Traceloop, the Langfuse
//! SDK, the Vercel AI SDK and Logfire. [`read`] understands all of them in one pass over
//! the span's attributes (`dialects`); everything that shows or counts GenAI figures
//! (`traces`, `status`, telemetry's derived events, the backend profiles) asks this module
//! and reads no attribute name itself. Pure functions; no I/O.

mod cost;
mod dialects;
#[cfg(test)]
mod tests;
mod totals;

pub use cost::{BESIDE_A_COMMAND, Priced, load_prices, load_prices_beside, price};
pub use totals::{Tally, Totals, Usage};

use crate::span::Span;

/// What a span is, as backends classify spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// An agent run (`invoke_agent`, OpenInference `AGENT`, ...).
    Agent,
    /// A call to a model that generates (chat, completion).
    Llm,
    /// A tool call.
    Tool,
    /// A step that groups others (a workflow, a chain, a task).
    Chain,
    /// A call to an embedding model.
    Embedding,
    /// Retrieval or reranking.
    Retriever,
    /// Anything else: an HTTP call, a database query, a span of the program.
    #[default]
    Other,
}

impl Kind {
    /// The lowercase name used in JSON and in text (`llm`, `tool`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::Llm => "llm",
            Kind::Tool => "tool",
            Kind::Chain => "chain",
            Kind::Embedding => "embedding",
            Kind::Retriever => "retriever",
            Kind::Other => "other",
        }
    }
}

/// Token counts as the model reported them. `input` includes the cache reads and writes
/// and `output` includes the reasoning tokens (the OpenTelemetry GenAI and OpenInference
/// convention, and genai-prices'); a dialect that counts them apart is added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tokens {
    /// Input (prompt) tokens, cache reads and writes included.
    pub input: Option<u64>,
    /// Output (completion) tokens, reasoning included.
    pub output: Option<u64>,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: Option<u64>,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: Option<u64>,
    /// Output tokens spent on reasoning.
    pub reasoning: Option<u64>,
}

impl Tokens {
    /// Whether any count is known.
    pub fn any(&self) -> bool {
        self.input.is_some()
            || self.output.is_some()
            || self.cache_read.is_some()
            || self.cache_write.is_some()
            || self.reasoning.is_some()
    }

    /// Adds `other` field by field (a field known on either side is known), saturating.
    pub fn add(&mut self, other: &Tokens) {
        fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.saturating_add(b)),
                (a, b) => a.or(b),
            }
        }
        self.input = sum(self.input, other.input);
        self.output = sum(self.output, other.output);
        self.cache_read = sum(self.cache_read, other.cache_read);
        self.cache_write = sum(self.cache_write, other.cache_write);
        self.reasoning = sum(self.reasoning, other.reasoning);
    }
}

/// Everything the GenAI attributes of one span say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meaning {
    /// What the span is.
    pub kind: Kind,
    /// The model asked for (`gen_ai.request.model` and its equivalents).
    pub request_model: Option<String>,
    /// The model that answered (`gen_ai.response.model`), which may name a dated version of
    /// the one asked for.
    pub response_model: Option<String>,
    /// The model's provider as the span names it (`openai`, `anthropic`, `gcp.gemini`).
    pub provider: Option<String>,
    /// The token counts the span reports.
    pub tokens: Tokens,
    /// A cost in US dollars the span carries itself (it wins over a computed price).
    pub cost: Option<f64>,
    /// The tool called, for a tool span.
    pub tool: Option<String>,
    /// The session or conversation it belongs to (`gen_ai.conversation.id`, ...).
    pub session: Option<String>,
    /// The end user it ran for (`user.id`, ...), as the span names them.
    pub user: Option<String>,
    /// The agent's name, when the span names one.
    pub agent: Option<String>,
}

impl Meaning {
    /// Whether the span is a call to a model (an LLM or an embedding call): what is
    /// counted, tokens and cost, as a run's model calls.
    pub fn is_call(&self) -> bool {
        matches!(self.kind, Kind::Llm | Kind::Embedding)
    }

    /// The model that answered, else the one asked for.
    pub fn model(&self) -> Option<&str> {
        self.response_model
            .as_deref()
            .or(self.request_model.as_deref())
    }
}

/// [`Meaning`] borrowing the span's texts: what the backend profiles and the wrapper's
/// receiver read of every span of every batch, where copying the model, provider, session
/// and agent names only to copy them again (or to compare them) was a tenth of the
/// profile's instructions, and a twentieth of the receiver's.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeaningRef<'a> {
    /// What the span is.
    pub kind: Kind,
    /// The model asked for.
    pub request_model: Option<&'a str>,
    /// The model that answered.
    pub response_model: Option<&'a str>,
    /// The model's provider as the span names it.
    pub provider: Option<&'a str>,
    /// The token counts the span reports.
    pub tokens: Tokens,
    /// A cost in US dollars the span carries itself.
    pub cost: Option<f64>,
    /// The tool called, for a tool span.
    pub tool: Option<&'a str>,
    /// The session or conversation it belongs to.
    pub session: Option<&'a str>,
    /// The end user it ran for.
    pub user: Option<&'a str>,
    /// The agent's name, when the span names one.
    pub agent: Option<&'a str>,
}

impl<'a> MeaningRef<'a> {
    /// Whether the span is a call to a model ([`Meaning::is_call`]).
    pub fn is_call(&self) -> bool {
        matches!(self.kind, Kind::Llm | Kind::Embedding)
    }

    /// The model that answered, else the one asked for.
    pub fn model(&self) -> Option<&'a str> {
        self.response_model.or(self.request_model)
    }

    /// The same, owning its texts.
    pub fn into_owned(self) -> Meaning {
        let owned = |text: Option<&str>| text.map(str::to_string);
        Meaning {
            kind: self.kind,
            request_model: owned(self.request_model),
            response_model: owned(self.response_model),
            provider: owned(self.provider),
            tokens: self.tokens,
            cost: self.cost,
            tool: owned(self.tool),
            session: owned(self.session),
            user: owned(self.user),
            agent: owned(self.agent),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many spans this thread read: what a test of read-once callers counts.
    pub(crate) static READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Reads what `span` means from its attributes (one pass) and its name.
pub fn read(span: &Span) -> Meaning {
    read_ref(span).into_owned()
}

/// [`read`], borrowing the span's texts instead of copying them.
pub fn read_ref(span: &Span) -> MeaningRef<'_> {
    #[cfg(test)]
    READS.with(|reads| reads.set(reads.get() + 1));
    dialects::read(&span.name, &span.attributes)
}
