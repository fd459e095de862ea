//! The OpenTelemetry GenAI conventions: current names, deprecated ones, and the operation
//! naming the kind.

use super::*;

#[test]
fn genai_current_names() {
    let meaning = read(&span(
        "chat gpt-4o",
        &[
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.provider.name", s("openai")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.response.model", s("gpt-4o-2024-08-06")),
            ("gen_ai.usage.input_tokens", i(1200)),
            ("gen_ai.usage.output_tokens", i(80)),
            ("gen_ai.usage.cache_read.input_tokens", i(1000)),
            ("gen_ai.usage.reasoning.output_tokens", i(30)),
            ("gen_ai.conversation.id", s("conv-1")),
        ],
    ));
    assert_eq!(meaning.kind, Kind::Llm);
    assert_eq!(meaning.model(), Some("gpt-4o-2024-08-06"));
    assert_eq!(meaning.request_model.as_deref(), Some("gpt-4o"));
    assert_eq!(meaning.provider.as_deref(), Some("openai"));
    assert_eq!(
        meaning.tokens,
        Tokens {
            input: Some(1200),
            output: Some(80),
            cache_read: Some(1000),
            cache_write: None,
            reasoning: Some(30),
        }
    );
    assert_eq!(meaning.session.as_deref(), Some("conv-1"));
}

#[test]
fn genai_deprecated_names() {
    let meaning = read(&span(
        "chat",
        &[
            ("gen_ai.system", s("anthropic")),
            ("gen_ai.request.model", s("claude-sonnet-4-5")),
            ("gen_ai.usage.prompt_tokens", i(10)),
            ("gen_ai.usage.completion_tokens", i(5)),
            ("gen_ai.usage.cache_creation.input_tokens", i(3)),
        ],
    ));
    assert_eq!(
        meaning.kind,
        Kind::Llm,
        "a model with tokens is an LLM call"
    );
    assert_eq!(meaning.provider.as_deref(), Some("anthropic"));
    assert_eq!(meaning.tokens.input, Some(10));
    assert_eq!(meaning.tokens.output, Some(5));
    assert_eq!(meaning.tokens.cache_write, Some(3));
}

#[test]
fn genai_operations_name_the_kind() {
    for (operation, kind) in [
        ("invoke_agent", Kind::Agent),
        ("execute_tool", Kind::Tool),
        ("embeddings", Kind::Embedding),
        ("text_completion", Kind::Llm),
        ("generate_content", Kind::Llm),
    ] {
        let meaning = read(&span("x", &[("gen_ai.operation.name", s(operation))]));
        assert_eq!(meaning.kind, kind, "{operation}");
    }
    let tool = read(&span(
        "execute_tool get_weather",
        &[
            ("gen_ai.operation.name", s("execute_tool")),
            ("gen_ai.tool.name", s("get_weather")),
        ],
    ));
    assert_eq!(tool.tool.as_deref(), Some("get_weather"));
}
