//! Which slot of [`Found`](super::Found) each dialect's attribute names fill: one list,
//! from which [`slots!`] writes both the lookup ([`slot_of`], a `match` the compiler
//! turns into compares with the names as constants) and the table the tests read
//! ([`NAMES`]).
//!
//! Measured against a hash table built at compile time (a hash of each name's length and
//! first and last 8 bytes, then one compare): no faster (170–200 CPU ns a span read
//! against 160–195, the bench's `engine.profile.read`), as its compare with a name from
//! a table is a call to `memcmp` where the `match` compares 8 bytes at a time inline.

/// Where an attribute's value goes: a slot of `Found`, the index its dialect takes among
/// those that state the same figure (0 is read first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    OpenInferenceKind,
    LangfuseType,
    TraceloopKind,
    TraceloopRequestType,
    TraceloopEntity,
    Operation,
    VercelOperation,
    ResponseModel(usize),
    RequestModel(usize),
    Provider(usize),
    /// The Vercel AI SDK's provider, with its API after a dot (`openai.chat`).
    VercelProvider,
    LangfuseUsage,
    LangfuseCost,
    Tool(usize),
    Session(usize),
    User(usize),
    Agent,
    Input(usize),
    Output(usize),
    CacheRead(usize),
    CacheWrite(usize),
    Reasoning(usize),
    Cost(usize),
}

/// Writes [`slot_of`] and [`NAMES`] from one list of `"name" => slot`.
macro_rules! slots {
    ($($name:literal => $slot:expr,)*) => {
        /// The slot `name` fills, if a dialect states a figure under it.
        pub(super) fn slot_of(name: &str) -> Option<Slot> {
            Some(match name {
                $($name => $slot,)*
                _ => return None,
            })
        }

        /// Every name a dialect states a figure under, and its slot.
        #[cfg(test)]
        pub(super) const NAMES: &[(&str, Slot)] = &[$(($name, $slot),)*];
    };
}

slots! {
    // Kinds.
    "openinference.span.kind" => Slot::OpenInferenceKind,
    "langfuse.observation.type" => Slot::LangfuseType,
    "traceloop.span.kind" => Slot::TraceloopKind,
    "llm.request.type" => Slot::TraceloopRequestType,
    "traceloop.entity.name" => Slot::TraceloopEntity,
    "gen_ai.operation.name" => Slot::Operation,
    "ai.operationId" => Slot::VercelOperation,
    "operation.name" => Slot::VercelOperation,
    // Models and providers.
    "gen_ai.response.model" => Slot::ResponseModel(0),
    "llm.response.model" => Slot::ResponseModel(1),
    "ai.response.model" => Slot::ResponseModel(1),
    "gen_ai.request.model" => Slot::RequestModel(0),
    "llm.model_name" => Slot::RequestModel(1),
    "langfuse.observation.model.name" => Slot::RequestModel(2),
    "ai.model.id" => Slot::RequestModel(3),
    "llm.request.model" => Slot::RequestModel(3),
    "embedding.model_name" => Slot::RequestModel(4),
    "gen_ai.provider.name" => Slot::Provider(0),
    "gen_ai.system" => Slot::Provider(1),
    "llm.provider" => Slot::Provider(2),
    "llm.system" => Slot::Provider(2),
    "ai.model.provider" => Slot::VercelProvider,
    // Langfuse's JSON usage and cost.
    "langfuse.observation.usage_details" => Slot::LangfuseUsage,
    "langfuse.observation.cost_details" => Slot::LangfuseCost,
    // Tools, sessions, users, agents.
    "gen_ai.tool.name" => Slot::Tool(0),
    "tool.name" => Slot::Tool(1),
    "ai.toolCall.name" => Slot::Tool(2),
    "session.id" => Slot::Session(0),
    "gen_ai.conversation.id" => Slot::Session(0),
    "langfuse.session.id" => Slot::Session(1),
    "langfuse.trace.session_id" => Slot::Session(2),
    "ai.telemetry.metadata.sessionId" => Slot::Session(3),
    "traceloop.association.properties.session_id" => Slot::Session(4),
    "user.id" => Slot::User(0),
    "enduser.id" => Slot::User(0),
    "langfuse.user.id" => Slot::User(1),
    "langfuse.trace.user_id" => Slot::User(2),
    "ai.telemetry.metadata.userId" => Slot::User(3),
    "traceloop.association.properties.user_id" => Slot::User(4),
    // `agent.name`: OpenInference's (Agno's agent spans carry it).
    "gen_ai.agent.name" => Slot::Agent,
    "agent_name" => Slot::Agent,
    "agent.name" => Slot::Agent,
    // Token counts.
    "gen_ai.usage.input_tokens" => Slot::Input(0),
    "gen_ai.usage.prompt_tokens" => Slot::Input(1),
    "llm.usage.prompt_tokens" => Slot::Input(1),
    "llm.token_count.prompt" => Slot::Input(2),
    "ai.usage.inputTokens" => Slot::Input(3),
    "ai.usage.promptTokens" => Slot::Input(3),
    "gen_ai.usage.output_tokens" => Slot::Output(0),
    "gen_ai.usage.completion_tokens" => Slot::Output(1),
    "llm.usage.completion_tokens" => Slot::Output(1),
    "llm.token_count.completion" => Slot::Output(2),
    "ai.usage.outputTokens" => Slot::Output(3),
    "ai.usage.completionTokens" => Slot::Output(3),
    "gen_ai.usage.cache_read.input_tokens" => Slot::CacheRead(0),
    "gen_ai.usage.cache_read_input_tokens" => Slot::CacheRead(0),
    "llm.token_count.prompt_details.cache_read" => Slot::CacheRead(1),
    "ai.usage.cachedInputTokens" => Slot::CacheRead(2),
    "gen_ai.usage.details.cache_read_tokens" => Slot::CacheRead(2),
    "gen_ai.usage.cache_creation.input_tokens" => Slot::CacheWrite(0),
    "gen_ai.usage.cache_creation_input_tokens" => Slot::CacheWrite(0),
    "gen_ai.usage.details.cache_write_tokens" => Slot::CacheWrite(0),
    "llm.token_count.prompt_details.cache_write" => Slot::CacheWrite(1),
    "gen_ai.usage.reasoning.output_tokens" => Slot::Reasoning(0),
    "gen_ai.usage.reasoning_tokens" => Slot::Reasoning(0),
    "llm.token_count.completion_details.reasoning" => Slot::Reasoning(1),
    "llm.usage.reasoning_tokens" => Slot::Reasoning(2),
    "ai.usage.reasoningTokens" => Slot::Reasoning(2),
    "gen_ai.usage.details.reasoning_tokens" => Slot::Reasoning(3),
    // Costs.
    "gen_ai.usage.cost" => Slot::Cost(0),
    "operation.cost" => Slot::Cost(1),
    "llm.cost.total" => Slot::Cost(2),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_in_its_slot() {
        for &(name, slot) in NAMES {
            assert_eq!(slot_of(name), Some(slot), "{name}");
        }
    }

    #[test]
    fn names_no_dialect_states_are_not_found() {
        for name in [
            "",
            "gen_ai",
            "gen_ai.input.messages",
            "gen_ai.usage.input_token",
            "gen_ai.usage.input_tokenz",
            "http.request.method",
            "GEN_AI.USAGE.INPUT_TOKENS",
            "user.id ",
        ] {
            assert_eq!(slot_of(name), None, "{name}");
        }
    }

    #[test]
    fn every_slot_is_one_the_reader_has() {
        // A slot's index past its array would panic on the receiver's thread: each name
        // is read, as a count and as a text, without one.
        use crate::span::{Attribute, Value};
        for &(name, _) in NAMES {
            for value in [Value::from(7i64), Value::from("openai.chat")] {
                super::super::read("call", &[Attribute::new(name, value)]);
            }
        }
    }

    #[test]
    fn names_are_listed_once() {
        let mut names: Vec<&str> = NAMES.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
    }

    #[test]
    fn every_name_is_one_the_tool_keeps_once() {
        for &(name, _) in NAMES {
            assert!(
                crate::span::keys::known(name.as_bytes()).is_some(),
                "{name} is a dialect's: add it to span/keys.rs, so reading it allocates nothing"
            );
        }
    }
}
