//! The instrumentation libraries' dialects: OpenInference (and its agent spans) and
//! OpenLLMetry.

use super::*;

#[test]
fn openinference() {
    let meaning = read(&span(
        "ChatCompletion",
        &[
            ("openinference.span.kind", s("LLM")),
            ("llm.model_name", s("gpt-4o-mini")),
            ("llm.provider", s("openai")),
            ("llm.token_count.prompt", i(50)),
            ("llm.token_count.completion", i(7)),
            ("llm.token_count.prompt_details.cache_read", i(20)),
            ("llm.token_count.prompt_details.cache_write", i(4)),
            ("llm.token_count.completion_details.reasoning", i(2)),
            ("session.id", s("s-1")),
            ("user.id", s("u-1")),
        ],
    ));
    assert_eq!(meaning.kind, Kind::Llm);
    assert_eq!(meaning.model(), Some("gpt-4o-mini"));
    assert_eq!(meaning.provider.as_deref(), Some("openai"));
    assert_eq!(
        meaning.tokens,
        Tokens {
            input: Some(50),
            output: Some(7),
            cache_read: Some(20),
            cache_write: Some(4),
            reasoning: Some(2),
        }
    );
    assert_eq!(meaning.session.as_deref(), Some("s-1"));
    assert_eq!(meaning.user.as_deref(), Some("u-1"));
    for (value, kind) in [
        ("AGENT", Kind::Agent),
        ("TOOL", Kind::Tool),
        ("CHAIN", Kind::Chain),
        ("RETRIEVER", Kind::Retriever),
        ("RERANKER", Kind::Retriever),
        ("EMBEDDING", Kind::Embedding),
        ("GUARDRAIL", Kind::Other),
    ] {
        let meaning = read(&span("x", &[("openinference.span.kind", s(value))]));
        assert_eq!(meaning.kind, kind, "{value}");
    }
    let tool = read(&span(
        "get_weather",
        &[
            ("openinference.span.kind", s("TOOL")),
            ("tool.name", s("get_weather")),
        ],
    ));
    assert_eq!(tool.tool.as_deref(), Some("get_weather"));
}

#[test]
fn openllmetry() {
    let meaning = read(&span(
        "openai.chat",
        &[
            ("llm.request.type", s("chat")),
            ("gen_ai.system", s("openai")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.response.model", s("gpt-4o-2024-08-06")),
            ("gen_ai.usage.prompt_tokens", i(11)),
            ("gen_ai.usage.completion_tokens", i(3)),
            ("gen_ai.usage.cache_read_input_tokens", i(8)),
            ("llm.usage.total_tokens", i(14)),
            ("traceloop.association.properties.session_id", s("chat-9")),
        ],
    ));
    assert_eq!(meaning.kind, Kind::Llm);
    assert_eq!(meaning.tokens.input, Some(11));
    assert_eq!(meaning.tokens.cache_read, Some(8));
    assert_eq!(meaning.session.as_deref(), Some("chat-9"));
    for (value, kind) in [
        ("workflow", Kind::Chain),
        ("task", Kind::Chain),
        ("agent", Kind::Agent),
        ("tool", Kind::Tool),
    ] {
        let meaning = read(&span("x", &[("traceloop.span.kind", s(value))]));
        assert_eq!(meaning.kind, kind, "{value}");
    }
    let tool = read(&span(
        "get_weather.tool",
        &[
            ("traceloop.span.kind", s("tool")),
            ("traceloop.entity.name", s("get_weather")),
        ],
    ));
    assert_eq!(tool.tool.as_deref(), Some("get_weather"));
}

#[test]
fn openinference_agent_spans_name_their_agent() {
    // As openinference-instrumentation-agno writes an Agno agent's run.
    let meaning = read(&span(
        "weather.run",
        &[
            ("openinference.span.kind", s("AGENT")),
            ("agent.name", s("weather")),
            ("session.id", s("791bde61")),
        ],
    ));
    assert_eq!(meaning.kind, Kind::Agent);
    assert_eq!(meaning.agent.as_deref(), Some("weather"));
    assert_eq!(meaning.session.as_deref(), Some("791bde61"));
}
