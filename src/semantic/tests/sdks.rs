//! The SDKs' own dialects: Langfuse (its usage details in either shape), the Vercel AI SDK,
//! and Logfire with Pydantic AI.

use super::*;

#[test]
fn langfuse_usage_details_in_either_shape_its_integrations_write() {
    let usage = |json: &str| {
        read(&span(
            "generation",
            &[
                ("langfuse.observation.type", s("generation")),
                ("langfuse.observation.usage_details", s(json)),
            ],
        ))
        .tokens
    };
    let expected = Tokens {
        input: Some(132),
        output: Some(17),
        cache_read: Some(32),
        cache_write: None,
        reasoning: Some(5),
    };
    // `langfuse.openai`: OpenAI's usage as it comes, the details nested and included.
    assert_eq!(
        usage(
            r#"{"prompt_tokens": 132, "completion_tokens": 17, "total_tokens": 149,
                "prompt_tokens_details": {"cached_tokens": 32, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 5}}"#
        ),
        expected
    );
    // Its LangChain handler: Langfuse's keys, the details subtracted from input and output.
    assert_eq!(
        usage(
            r#"{"input": 100, "input_cached_tokens": 32, "output": 12, "output_reasoning_tokens": 5}"#
        ),
        expected
    );
}

#[test]
fn langfuse_sdk() {
    let meaning = read(&span(
        "generation",
        &[
            ("langfuse.observation.type", s("generation")),
            ("langfuse.observation.model.name", s("gpt-4o")),
            (
                "langfuse.observation.usage_details",
                s(r#"{"input": 100, "output": 20, "cache_read_input_tokens": 60}"#),
            ),
            (
                "langfuse.observation.cost_details",
                s(r#"{"input": 0.001, "output": 0.002}"#),
            ),
            ("langfuse.session.id", s("lf-session")),
            ("langfuse.user.id", s("lf-user")),
        ],
    ));
    assert_eq!(meaning.kind, Kind::Llm);
    assert_eq!(meaning.model(), Some("gpt-4o"));
    // Langfuse counts each key apart: the 60 cache reads are not in `input`.
    assert_eq!(meaning.tokens.input, Some(160));
    assert_eq!(meaning.tokens.output, Some(20));
    assert_eq!(meaning.tokens.cache_read, Some(60));
    assert!((meaning.cost.unwrap() - 0.003).abs() < 1e-12);
    assert_eq!(meaning.session.as_deref(), Some("lf-session"));
    assert_eq!(meaning.user.as_deref(), Some("lf-user"));
    let tool = read(&span(
        "search_docs",
        &[("langfuse.observation.type", s("tool"))],
    ));
    assert_eq!(
        (tool.kind, tool.tool.as_deref()),
        (Kind::Tool, Some("search_docs"))
    );
}

#[test]
fn vercel_ai_sdk() {
    let call = read(&span(
        "ai.generateText.doGenerate",
        &[
            (
                "operation.name",
                s("ai.generateText.doGenerate my-function"),
            ),
            ("ai.model.id", s("gpt-4o-mini")),
            ("ai.model.provider", s("openai.chat")),
            ("ai.usage.promptTokens", i(30)),
            ("ai.usage.completionTokens", i(12)),
            ("ai.telemetry.metadata.sessionId", s("v-session")),
        ],
    ));
    assert_eq!(call.kind, Kind::Llm);
    assert_eq!(call.model(), Some("gpt-4o-mini"));
    assert_eq!(call.provider.as_deref(), Some("openai"));
    assert_eq!(
        (call.tokens.input, call.tokens.output),
        (Some(30), Some(12))
    );
    assert_eq!(call.session.as_deref(), Some("v-session"));
    let v5 = read(&span(
        "ai.streamText.doStream",
        &[
            ("ai.usage.inputTokens", i(9)),
            ("ai.usage.outputTokens", i(4)),
            ("ai.usage.cachedInputTokens", i(2)),
            ("ai.usage.reasoningTokens", i(1)),
        ],
    ));
    assert_eq!(v5.kind, Kind::Llm, "the span name is the operation id");
    assert_eq!(v5.tokens.cache_read, Some(2));
    assert_eq!(v5.tokens.reasoning, Some(1));
    let tool = read(&span("ai.toolCall", &[("ai.toolCall.name", s("weather"))]));
    assert_eq!(
        (tool.kind, tool.tool.as_deref()),
        (Kind::Tool, Some("weather"))
    );
    assert_eq!(read(&span("ai.generateText", &[])).kind, Kind::Agent);
}

#[test]
fn logfire_and_pydantic_ai_costs_and_details() {
    let meaning = read(&span(
        "chat gpt-4o",
        &[
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.usage.input_tokens", i(5)),
            ("gen_ai.usage.details.reasoning_tokens", i(2)),
            ("operation.cost", Value::Double(0.25)),
            ("logfire.span_type", s("span")),
            ("gen_ai.agent.name", s("support")),
        ],
    ));
    assert_eq!(meaning.cost, Some(0.25));
    assert_eq!(meaning.tokens.reasoning, Some(2));
    assert_eq!(meaning.agent.as_deref(), Some("support"));
}
