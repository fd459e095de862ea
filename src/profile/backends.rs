//! What each backend reads, written from what a span means ([`MeaningRef`]): one function per profile.
//! Spans of no GenAI kind (the run span, an HTTP call) are a chain in every backend that
//! would otherwise show them as unknown: a step of the program that groups others.

use super::Adder;
use crate::semantic::{Kind, MeaningRef};

/// Phoenix / Arize: OpenInference's span kind, model, provider, token counts, tool,
/// session and user.
pub(super) fn openinference(meaning: &MeaningRef, span: &mut Adder) {
    let kind = match meaning.kind {
        Kind::Agent => "AGENT",
        Kind::Llm => "LLM",
        Kind::Tool => "TOOL",
        Kind::Embedding => "EMBEDDING",
        Kind::Retriever => "RETRIEVER",
        Kind::Chain | Kind::Other => "CHAIN",
    };
    span.add("openinference.span.kind", kind);
    match meaning.kind {
        Kind::Embedding => span.add_text("embedding.model_name", meaning.model()),
        _ => span.add_text("llm.model_name", meaning.model()),
    }
    span.add_text("llm.provider", meaning.provider);
    let tokens = &meaning.tokens;
    span.add_count("llm.token_count.prompt", tokens.input);
    span.add_count("llm.token_count.completion", tokens.output);
    if let (Some(input), Some(output)) = (tokens.input, tokens.output) {
        span.add_count("llm.token_count.total", Some(input.saturating_add(output)));
    }
    span.add_count(
        "llm.token_count.prompt_details.cache_read",
        tokens.cache_read,
    );
    span.add_count(
        "llm.token_count.prompt_details.cache_write",
        tokens.cache_write,
    );
    span.add_count(
        "llm.token_count.completion_details.reasoning",
        tokens.reasoning,
    );
    span.add_text("tool.name", meaning.tool);
    span.add_text("session.id", meaning.session);
    span.add_text("user.id", meaning.user);
}

/// Langfuse: the observation type, its model, and the trace's session and user.
pub(super) fn langfuse(meaning: &MeaningRef, span: &mut Adder) {
    let kind = match meaning.kind {
        Kind::Agent => "agent",
        Kind::Llm => "generation",
        Kind::Tool => "tool",
        Kind::Chain => "chain",
        Kind::Embedding => "embedding",
        Kind::Retriever => "retriever",
        Kind::Other if span.root => "chain",
        Kind::Other => "span",
    };
    span.add("langfuse.observation.type", kind);
    span.add_text("langfuse.observation.model.name", meaning.model());
    span.add_text("langfuse.session.id", meaning.session);
    span.add_text("langfuse.user.id", meaning.user);
}

/// LangSmith: the run type, and session and user as metadata (LangSmith groups a
/// thread's traces by the `session_id` metadata key; its own "session" is the project).
/// It reads the GenAI model and token attributes, so those are added when a span states
/// them in another dialect only.
pub(super) fn langsmith(meaning: &MeaningRef, span: &mut Adder) {
    let kind = match meaning.kind {
        Kind::Llm => "llm",
        Kind::Tool => "tool",
        Kind::Embedding => "embedding",
        Kind::Retriever => "retriever",
        Kind::Agent | Kind::Chain | Kind::Other => "chain",
    };
    span.add("langsmith.span.kind", kind);
    span.add_text("langsmith.metadata.session_id", meaning.session);
    span.add_text("langsmith.metadata.user_id", meaning.user);
    if matches!(meaning.kind, Kind::Llm | Kind::Embedding) {
        span.add_text("gen_ai.request.model", meaning.model());
        span.add_count("gen_ai.usage.input_tokens", meaning.tokens.input);
        span.add_count("gen_ai.usage.output_tokens", meaning.tokens.output);
    }
}

/// MLflow: its span type (its OTLP receiver JSON-encodes each value, as MLflow stores them).
pub(super) fn mlflow(meaning: &MeaningRef, span: &mut Adder) {
    let kind = match meaning.kind {
        Kind::Agent => "AGENT",
        Kind::Llm => "LLM",
        Kind::Tool => "TOOL",
        Kind::Embedding => "EMBEDDING",
        Kind::Retriever => "RETRIEVER",
        Kind::Chain | Kind::Other => "CHAIN",
    };
    span.add("mlflow.spanType", kind);
}
