//! Cost in US dollars: the one a span carries, else the price of its tokens from the
//! `genai-prices` crate (Pydantic's maintained price data, bundled, offline), counting
//! cache reads and writes and reasoning tokens as the provider prices them. An unknown
//! model has no cost (shown as `–`, never as $0).

use std::sync::Once;

use genai_prices::{Calculator, PriceRequest, Usage, UsageKey};

use super::{Meaning, Tokens};

/// A span's cost and where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    /// The cost in US dollars.
    pub dollars: f64,
    /// The span carried it (`gen_ai.usage.cost`, `operation.cost`, Langfuse's cost
    /// details...) rather than it being computed from the tokens.
    pub carried: bool,
}

/// The cost of one span, if it has one or its model and tokens can be priced.
/// `at_unix_nanos` is when the call was made: prices change, and the data knows when.
pub fn price(meaning: &Meaning, at_unix_nanos: u64) -> Option<Priced> {
    if let Some(dollars) = meaning.cost {
        return Some(Priced {
            dollars,
            carried: true,
        });
    }
    let dollars = price_tokens(
        meaning.model()?,
        meaning.provider.as_deref(),
        &meaning.tokens,
        at_unix_nanos,
    )?;
    Some(Priced {
        dollars,
        carried: false,
    })
}

/// What genai-prices makes of `tokens` of `model` (from `provider`, as the span names
/// it) at `at_unix_nanos`: [`price`] of a span that carries no cost of its own, and of a
/// call the run's totals kept to price later (`Tally`), so both are the same figure.
pub(crate) fn price_tokens(
    model: &str,
    provider: Option<&str>,
    tokens: &Tokens,
    at_unix_nanos: u64,
) -> Option<f64> {
    #[cfg(test)]
    PRICED.with(|priced| priced.set(priced.get() + 1));
    let mut usage = Usage::new();
    let mut put = |key: UsageKey, count: Option<u64>| {
        if let Some(count) = count {
            usage.insert(key, count as f64);
        }
    };
    put(UsageKey::INPUT_TOKENS, tokens.input);
    put(UsageKey::OUTPUT_TOKENS, tokens.output);
    put(UsageKey::CACHE_READ_TOKENS, tokens.cache_read);
    put(UsageKey::CACHE_WRITE_TOKENS, tokens.cache_write);
    put(UsageKey::OUTPUT_REASONING_TOKENS, tokens.reasoning);
    if usage.is_empty() {
        return None;
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(at_unix_nanos);
    let calculator = Calculator::bundled();
    let request = PriceRequest::new(model, &usage).with_timestamp(at);
    // The provider narrows an ambiguous model name; one the data does not know (a proxy,
    // a name of the span's own) is left out rather than losing the price.
    let priced = provider
        .and_then(provider_id)
        .and_then(|id| {
            calculator
                .calculate(&request.clone().with_provider_id(id))
                .ok()
        })
        .or_else(|| calculator.calculate(&request).ok())?;
    priced.total_price.is_finite().then_some(priced.total_price)
}

#[cfg(test)]
thread_local! {
    /// How many calls this thread asked genai-prices to price: what a test of where
    /// pricing happens counts.
    pub(crate) static PRICED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Loads the bundled price data, once per process: decoding it (and compiling its model
/// patterns) takes a few tens of milliseconds, which a caller about to price many spans
/// can spend on another thread while it reads them.
pub fn load_prices() {
    let _ = Calculator::bundled();
}

/// How much lower the price data loads beside a wrapped command (a nice value): nobody
/// waits on it until the run's figures are read, and the command's own work comes first.
pub const BESIDE_A_COMMAND: i32 = 10;

/// Starts [`load_prices`] on a thread of its own, its priority lowered by `niceness`,
/// once per process: what a caller that must not wait asks. The wrapper's receiver asks
/// ([`BESIDE_A_COMMAND`]) once the command has run a while or first connects, so the data
/// is ready when the run's figures are read; the totals ask at the first call to price, for
/// an engine fed otherwise; `traces` asks (at its own priority) as it opens the store.
pub fn load_prices_beside(niceness: i32) {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("automagik-prices".into())
            .spawn(move || {
                crate::sync::lower_priority(niceness);
                load_prices();
            });
        // Without a thread, the calls waiting are priced when the totals are read.
        drop(spawned);
    });
}

/// genai-prices' provider id for a provider as spans name it (`gen_ai.provider.name`,
/// `gen_ai.system`, `llm.provider`).
fn provider_id(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    Some(match name.as_str() {
        "openai" => "openai",
        "azure.ai.openai" | "azure.ai.inference" | "azure" => "azure",
        "anthropic" => "anthropic",
        "aws.bedrock" | "bedrock" | "aws" => "aws",
        "gcp.gemini" | "gcp.vertex_ai" | "gcp.gen_ai" | "google" | "gemini" | "vertex_ai"
        | "google-gla" | "google-vertex" => "google",
        "mistral_ai" | "mistral" | "mistralai" => "mistral",
        "x_ai" | "xai" | "x-ai" | "grok" => "x-ai",
        "groq" => "groq",
        "deepseek" => "deepseek",
        "cohere" => "cohere",
        "perplexity" => "perplexity",
        "openrouter" => "openrouter",
        "together" | "together_ai" => "together",
        "fireworks" | "fireworks_ai" => "fireworks",
        _ => return None,
    })
}
