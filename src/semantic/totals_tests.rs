//! The run's totals' tests: calls, tokens and cost by model, priced as the calls were made.

use std::sync::Arc;

use super::*;
use crate::span::{Resource, Scope, Value};

fn span(name: &str, parent: Option<&Span>, attributes: &[(&str, Value)]) -> Span {
    let mut span = Span::start(
        name,
        parent.map(|p| (p.trace_id, p.span_id)),
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    for (key, value) in attributes {
        span.set(key.to_string(), value.clone());
    }
    span
}

fn call(name: &str, parent: Option<&Span>, model: &str, tokens: (i64, i64)) -> Span {
    span(
        name,
        parent,
        &[
            ("gen_ai.operation.name", Value::from("chat")),
            ("gen_ai.request.model", Value::from(model)),
            ("gen_ai.usage.input_tokens", Value::Int(tokens.0)),
            ("gen_ai.usage.output_tokens", Value::Int(tokens.1)),
        ],
    )
}

#[test]
fn totals_keep_their_flat_json_shape() {
    let totals = Totals {
        calls: 2,
        usage: Usage {
            input_tokens: 3,
            cost: Some(0.5),
            ..Usage::default()
        },
        unpriced_calls: 1,
    };
    let json = serde_json::to_string(&totals).unwrap();
    assert_eq!(
        json,
        r#"{"calls":2,"input_tokens":3,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":0,"cost":0.5,"unpriced_calls":1}"#
    );
    assert_eq!(serde_json::from_str::<Totals>(&json).unwrap(), totals);
}

#[test]
fn adds_up_the_calls_and_prices_them() {
    let agent = span(
        "invoke_agent",
        None,
        &[
            ("gen_ai.operation.name", Value::from("invoke_agent")),
            // An agent span that sums its calls is not a call.
            ("gen_ai.usage.input_tokens", Value::Int(142)),
        ],
    );
    let mut tally = Tally::default();
    tally.observe(&[
        call("chat", Some(&agent), "gpt-4o-mini", (52, 12)),
        call("chat", Some(&agent), "gpt-4o-mini", (90, 9)),
        agent,
    ]);
    let totals = tally.totals().unwrap();
    assert_eq!(
        (
            totals.calls,
            totals.usage.input_tokens,
            totals.usage.output_tokens
        ),
        (2, 142, 21)
    );
    let dollars = 142.0 * 0.15e-6 + 21.0 * 0.6e-6;
    assert!(
        (totals.usage.cost.unwrap() - dollars).abs() < 1e-12,
        "{totals:?}"
    );
    assert_eq!(totals.unpriced_calls, 0);
}

#[test]
fn a_call_inside_a_call_counts_once() {
    let outer = span(
        "OpenAIChat.invoke",
        None,
        &[
            ("openinference.span.kind", Value::from("LLM")),
            ("llm.model_name", Value::from("gpt-4o-mini")),
            ("llm.token_count.prompt", Value::Int(52)),
            ("llm.token_count.completion", Value::Int(12)),
        ],
    );
    let inner = call("chat", Some(&outer), "gpt-4o-mini", (52, 12));
    let mut tally = Tally::default();
    tally.observe(&[inner, outer]);
    let totals = tally.totals().unwrap();
    assert_eq!((totals.calls, totals.usage.input_tokens), (1, 52));
}

#[test]
fn calls_past_the_pricing_cap_are_counted_unpriced_unless_they_carry_a_cost() {
    let mut tally = Tally {
        priced: MAX_PRICED - 1,
        ..Tally::default()
    };
    let mut carried = call("chat", None, "gpt-4o-mini", (1, 1));
    carried.set("gen_ai.usage.cost", 0.5);
    tally.observe(&[
        call("chat", None, "gpt-4o-mini", (52, 12)),
        call("chat", None, "gpt-4o-mini", (90, 9)),
        carried,
    ]);
    let totals = tally.totals().unwrap();
    assert_eq!((totals.calls, totals.unpriced_calls), (3, 1));
    let dollars = 52.0 * 0.15e-6 + 12.0 * 0.6e-6 + 0.5;
    assert!(
        (totals.usage.cost.unwrap() - dollars).abs() < 1e-12,
        "{totals:?}"
    );
}

#[test]
fn an_unknown_price_is_no_cost_never_zero() {
    let mut tally = Tally::default();
    assert_eq!(tally.totals(), None, "no call, no figures");
    tally.observe(&[call("chat", None, "a-model-nobody-prices", (10, 1))]);
    let totals = tally.totals().unwrap();
    assert_eq!((totals.usage.cost, totals.unpriced_calls), (None, 1));
    tally.observe(&[call("chat", None, "gpt-4o-mini", (52, 12))]);
    let totals = tally.totals().unwrap();
    assert!(totals.usage.cost.is_some_and(|c| c > 0.0));
    assert_eq!((totals.calls, totals.unpriced_calls), (2, 1));
}

#[test]
fn calls_are_priced_when_the_figures_are_read_not_as_they_go_by() {
    crate::semantic::load_prices();
    let priced = || crate::semantic::cost::PRICED.with(|priced| priced.get());
    let before = priced();
    let mut tally = Tally::default();
    tally.observe(&[
        call("chat", None, "gpt-4o-mini", (52, 12)),
        call("chat", None, "gpt-4o-mini", (90, 9)),
    ]);
    assert_eq!(priced(), before, "nothing priced on the receiver's thread");
    let totals = tally.totals().unwrap();
    assert_eq!(priced(), before + 2);
    let dollars = 142.0 * 0.15e-6 + 21.0 * 0.6e-6;
    assert!((totals.usage.cost.unwrap() - dollars).abs() < 1e-12);
    assert_eq!(tally.totals(), Some(totals), "read again, the same figures");
}

/// A call (model, provider, input and output tokens) made at `at` (Unix seconds).
fn made(model: &str, provider: &str, tokens: (i64, i64), at: u64) -> Span {
    let mut span = call("chat", None, model, tokens);
    span.set("gen_ai.provider.name", provider);
    span.start_unix_nanos = at * 1_000_000_000;
    span
}

#[test]
fn a_price_read_later_is_the_price_of_the_call_when_it_was_made() {
    let (june_1st, june_20th) = (1_748_736_000, 1_750_377_600); // 2025
    let (march, april) = (1_772_323_200, 1_775_001_600); // 2026
    let september = 1_788_220_800; // 2026-09-01, midnight UTC
    let mut carried = made("gpt-4o", "openai", (1, 1), september);
    carried.set("gen_ai.usage.cost", 0.25);
    let spans = [
        made("gpt-4o", "openai", (1_000, 100), september),
        // A model other providers serve too, at their own price.
        made("gpt-4o", "azure", (1_000, 100), september),
        // o3's price fell on 2025-06-10.
        made("o3", "openai", (1_000, 100), june_1st),
        made("o3", "openai", (1_000, 100), june_20th),
        carried,
        // DeepSeek's off-peak hours (16:30 to 00:30 UTC) cost half.
        made(
            "deepseek-chat",
            "deepseek",
            (1_000, 100),
            september + 2 * 3600,
        ),
        made(
            "deepseek-chat",
            "deepseek",
            (1_000, 100),
            september + 20 * 3600,
        ),
        // Tiered past 200k input tokens; Anthropic's and Vertex's prices changed on
        // 2026-03-13.
        made("claude-opus-4-6", "anthropic", (250_000, 1_000), march),
        made("claude-opus-4-6", "anthropic", (250_000, 1_000), april),
        made("claude-opus-4-6", "gcp.vertex_ai", (250_000, 1_000), march),
        made("claude-opus-4-6", "gcp.vertex_ai", (250_000, 1_000), april),
        made("a-model-nobody-prices", "openai", (10, 1), september),
    ];
    let direct: Vec<Option<f64>> = spans
        .iter()
        .map(|span| {
            let priced =
                crate::semantic::price(&crate::semantic::read(span), span.start_unix_nanos);
            priced.map(|p| p.dollars)
        })
        .collect();
    let distinct: HashSet<u64> = direct.iter().flatten().map(|d| d.to_bits()).collect();
    assert!(distinct.len() >= 8, "the calls' prices differ: {direct:?}");
    let expected = direct
        .iter()
        .flatten()
        .fold(0.0, |sum, dollars| sum + dollars);
    let mut tally = Tally::default();
    tally.observe(&spans[..5]);
    tally.observe(&spans[5..]);
    let totals = tally.totals().unwrap();
    assert_eq!(
        totals.usage.cost.map(f64::to_bits),
        Some(expected.to_bits()),
        "{totals:?} against {direct:?}"
    );
    assert_eq!((totals.calls, totals.unpriced_calls), (12, 1));
}
