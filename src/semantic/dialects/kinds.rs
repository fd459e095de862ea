//! The kind each dialect states, in its own words: OpenInference's span kinds, Langfuse's
//! observation types, the GenAI operation names, OpenLLMetry's span kinds and request
//! types, and the Vercel AI SDK's operation ids.

use crate::semantic::Kind;

pub(super) fn openinference_kind(value: &str) -> Option<Kind> {
    Some(match value.to_ascii_uppercase().as_str() {
        "LLM" => Kind::Llm,
        "AGENT" => Kind::Agent,
        "TOOL" => Kind::Tool,
        "CHAIN" => Kind::Chain,
        "EMBEDDING" => Kind::Embedding,
        "RETRIEVER" | "RERANKER" => Kind::Retriever,
        "GUARDRAIL" | "EVALUATOR" | "PROMPT" | "UNKNOWN" => Kind::Other,
        _ => return None,
    })
}

pub(super) fn langfuse_kind(value: &str) -> Option<Kind> {
    Some(match value.to_ascii_lowercase().as_str() {
        "generation" => Kind::Llm,
        "agent" => Kind::Agent,
        "tool" => Kind::Tool,
        "chain" => Kind::Chain,
        "embedding" => Kind::Embedding,
        "retriever" => Kind::Retriever,
        "span" | "event" | "evaluator" | "guardrail" => Kind::Other,
        _ => return None,
    })
}

/// `gen_ai.operation.name`, as the GenAI conventions and their users write it.
pub(super) fn genai_kind(value: &str) -> Option<Kind> {
    Some(match value {
        "chat" | "text_completion" | "generate_content" | "completion" => Kind::Llm,
        "embeddings" | "embedding" => Kind::Embedding,
        "execute_tool" => Kind::Tool,
        "invoke_agent" | "create_agent" => Kind::Agent,
        "retrieval" | "retrieve" => Kind::Retriever,
        _ => return None,
    })
}

pub(super) fn traceloop_kind(value: &str) -> Option<Kind> {
    Some(match value {
        "workflow" | "task" => Kind::Chain,
        "agent" => Kind::Agent,
        "tool" => Kind::Tool,
        _ => return None,
    })
}

pub(super) fn traceloop_request_kind(value: &str) -> Option<Kind> {
    Some(match value {
        "chat" | "completion" => Kind::Llm,
        "embedding" => Kind::Embedding,
        "rerank" => Kind::Retriever,
        _ => return None,
    })
}

/// The Vercel AI SDK's operation ids (`ai.generateText.doGenerate`, `ai.toolCall`...),
/// which are also its span names (`operation.name` may add the function id after a space).
pub(super) fn vercel_kind(operation: &str) -> Option<Kind> {
    let rest = operation.split_whitespace().next()?.strip_prefix("ai.")?;
    Some(match rest {
        "toolCall" => Kind::Tool,
        "embed" | "embedMany" | "embed.doEmbed" | "embedMany.doEmbed" => Kind::Embedding,
        _ if rest.ends_with(".doGenerate") || rest.ends_with(".doStream") => Kind::Llm,
        "generateText" | "streamText" | "generateObject" | "streamObject" => Kind::Agent,
        _ => return None,
    })
}
