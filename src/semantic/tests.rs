//! Each dialect's attributes, as its library writes them, read into one meaning.

use std::sync::Arc;

use super::*;
use crate::span::{Resource, Scope, Value};

fn span(name: &str, attributes: &[(&str, Value)]) -> Span {
    let mut span = Span::start(
        name,
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    for (key, value) in attributes {
        span.set(key, value.clone());
    }
    span
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

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

#[test]
fn the_most_explicit_kind_wins_and_plain_spans_are_other() {
    let both = read(&span(
        "x",
        &[
            ("gen_ai.operation.name", s("chat")),
            ("openinference.span.kind", s("CHAIN")),
        ],
    ));
    assert_eq!(both.kind, Kind::Chain);
    let http = read(&span(
        "GET /v1/models",
        &[
            ("http.request.method", s("GET")),
            ("http.response.status_code", i(200)),
        ],
    ));
    assert_eq!(http, Meaning::default());
}

#[test]
fn counts_are_read_leniently_and_never_negative() {
    let meaning = read(&span(
        "x",
        &[
            ("gen_ai.usage.input_tokens", s(" 42 ")),
            ("gen_ai.usage.output_tokens", Value::Double(7.0)),
            ("gen_ai.usage.cache_read.input_tokens", i(-3)),
            ("gen_ai.usage.cost", Value::Double(f64::NAN)),
        ],
    ));
    assert_eq!(meaning.tokens.input, Some(42));
    assert_eq!(meaning.tokens.output, Some(7));
    assert_eq!(meaning.tokens.cache_read, None);
    assert_eq!(meaning.cost, None);
}

#[test]
fn input_that_left_out_the_cache_is_made_to_include_it() {
    // Anthropic's raw usage counts input apart from cache reads and writes.
    let meaning = read(&span(
        "x",
        &[
            ("gen_ai.usage.input_tokens", i(10)),
            ("gen_ai.usage.cache_read.input_tokens", i(1000)),
            ("gen_ai.usage.cache_creation.input_tokens", i(50)),
        ],
    ));
    assert_eq!(meaning.tokens.input, Some(1060));
}

#[test]
fn a_known_model_is_priced_and_cache_reads_cost_less() {
    let at = 1_790_000_000_000_000_000; // 2026-09
    let fresh = Meaning {
        request_model: Some("gpt-4o".into()),
        provider: Some("openai".into()),
        tokens: Tokens {
            input: Some(1_000_000),
            output: Some(0),
            ..Tokens::default()
        },
        ..Meaning::default()
    };
    let full = price(&fresh, at).expect("gpt-4o is in the price data");
    assert!(!full.carried);
    assert!(full.dollars > 0.5, "{full:?}");
    let cached = Meaning {
        tokens: Tokens {
            cache_read: Some(1_000_000),
            ..fresh.tokens
        },
        ..fresh.clone()
    };
    let cheaper = price(&cached, at).unwrap();
    assert!(cheaper.dollars < full.dollars, "{cheaper:?} vs {full:?}");
}

#[test]
fn a_carried_cost_wins_and_an_unknown_model_has_none() {
    let carried = Meaning {
        request_model: Some("gpt-4o".into()),
        tokens: Tokens {
            input: Some(10),
            ..Tokens::default()
        },
        cost: Some(1.5),
        ..Meaning::default()
    };
    assert_eq!(
        price(&carried, 0),
        Some(Priced {
            dollars: 1.5,
            carried: true
        })
    );
    let unknown = Meaning {
        request_model: Some("my-local-finetune-v7".into()),
        provider: Some("my-proxy".into()),
        tokens: Tokens {
            input: Some(10),
            ..Tokens::default()
        },
        ..Meaning::default()
    };
    assert_eq!(price(&unknown, 0), None);
    assert_eq!(price(&Meaning::default(), 0), None, "no model, no price");
}
