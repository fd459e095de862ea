//! The Langfuse SDK's JSON attributes: `usage_details`, in OpenAI's shape or Langfuse's own,
//! and `cost_details`.

use crate::semantic::Tokens;

/// The Langfuse SDK's `usage_details`, a JSON object of counts in one of two shapes:
/// OpenAI's usage as it comes (Langfuse's OpenAI integration: `prompt_tokens` include the
/// cached ones, `completion_tokens` the reasoning ones, details in nested objects), or
/// Langfuse's own keys (`input`, `output` and details beside them, `input_cached_tokens`,
/// `cache_read_input_tokens`, `output_reasoning_tokens`...), where Langfuse counts every
/// key apart and the total is their sum: `input` and `output` leave the details out (its
/// LangChain handler subtracts them, Anthropic's usage never had them), so they are added.
pub(super) fn langfuse_usage(json: &str) -> Tokens {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(json) else {
        return Tokens::default();
    };
    let get = |names: &[&str]| {
        names.iter().find_map(|n| match n.split_once('.') {
            Some((outer, inner)) => map.get(outer)?.get(inner)?.as_u64(),
            None => map.get(*n)?.as_u64(),
        })
    };
    let cache_read = get(&[
        "prompt_tokens_details.cached_tokens",
        "input_cached_tokens",
        "input_cache_read",
        "cache_read_input_tokens",
        "cache_read",
    ]);
    let cache_write = get(&[
        "input_cache_creation",
        "cache_creation_input_tokens",
        "cache_write",
    ]);
    let reasoning = get(&[
        "completion_tokens_details.reasoning_tokens",
        "output_reasoning_tokens",
        "output_reasoning",
        "reasoning_tokens",
        "reasoning",
    ]);
    let plus = |base: Option<u64>, parts: &[Option<u64>]| {
        base.map(|b| {
            parts
                .iter()
                .flatten()
                .fold(b, |sum, n| sum.saturating_add(*n))
        })
    };
    let (input, output) = if map.contains_key("prompt_tokens") {
        (get(&["prompt_tokens"]), get(&["completion_tokens"]))
    } else {
        (
            plus(get(&["input", "input_tokens"]), &[cache_read, cache_write]),
            plus(get(&["output", "output_tokens"]), &[reasoning]),
        )
    };
    Tokens {
        input,
        output,
        cache_read,
        cache_write,
        reasoning,
    }
}

/// The Langfuse SDK's `cost_details`: its `total`, else the sum of its parts.
pub(super) fn langfuse_total_cost(json: &str) -> Option<f64> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(json) else {
        return None;
    };
    map.get("total")
        .and_then(serde_json::Value::as_f64)
        .or_else(|| {
            let parts: Vec<f64> = map.values().filter_map(serde_json::Value::as_f64).collect();
            (!parts.is_empty()).then(|| parts.iter().sum())
        })
}
