//! What a run's model calls added up to: calls, tokens and cost in dollars, counted as
//! spans go by (the wrapper's receiver feeds them in; `status` shows the last run's).
//!
//! A call is a span the semantic layer reads as an LLM or embedding call. A call made
//! inside another (an agent framework's model span over an instrumented client's) is
//! counted once, as its innermost span, like `traces` does: a child ends, and so arrives,
//! before its parent, so a parent over a counted call is skipped.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Meaning, Tokens};
use crate::span::{Span, SpanId};

/// Parents of counted calls remembered at most (a run's calls are far fewer; past this a
/// nested call may count twice, never once less).
const MAX_REMEMBERED: usize = 10_000;
/// Calls priced per run at most. Pricing a call (genai-prices finding the model) takes a
/// few microseconds, as much as receiving a span, on the receiver's thread: a command that
/// makes more calls than this (a load test, not an agent) has the rest counted, unpriced.
/// The price data itself loads on a thread of its own when the first call is seen; the
/// calls seen meanwhile wait for it ([`Tally`]'s `pending`).
pub const MAX_PRICED: u64 = 10_000;

/// A run's model calls in figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Model calls (LLM and embedding spans), each counted once.
    pub calls: u64,
    /// Their tokens, and their cost over the calls that have a price (their own, else
    /// genai-prices'); its fields stand beside `calls` in the JSON.
    #[serde(flatten)]
    pub usage: Usage,
    /// Calls with tokens but no price (a model the price data does not know, or a call
    /// past the first `MAX_PRICED` of a run): their cost is not in `usage.cost`.
    pub unpriced_calls: u64,
}

/// Tokens and what they cost, added up: over a run's model calls ([`Totals`]), a trace or
/// one model's calls in it (`traces --json`). Each JSON that holds it flattens it, so the
/// names are the same everywhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens, cache reads and writes included.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from a prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to a prompt cache.
    pub cache_write_tokens: u64,
    /// Output tokens spent on reasoning.
    pub reasoning_tokens: u64,
    /// In US dollars; `None` when nothing counted has a price: unknown, never `$0`.
    pub cost: Option<f64>,
}

impl Usage {
    /// `tokens` and `cost` in figures, an unknown count as 0.
    pub fn of(tokens: &Tokens, cost: Option<f64>) -> Usage {
        let mut usage = Usage {
            cost,
            ..Usage::default()
        };
        usage.add_tokens(tokens);
        usage
    }

    /// Adds `tokens`, an unknown count as 0 (saturating).
    pub fn add_tokens(&mut self, tokens: &Tokens) {
        let add = |sum: &mut u64, n: Option<u64>| *sum = sum.saturating_add(n.unwrap_or(0));
        add(&mut self.input_tokens, tokens.input);
        add(&mut self.output_tokens, tokens.output);
        add(&mut self.cache_read_tokens, tokens.cache_read);
        add(&mut self.cache_write_tokens, tokens.cache_write);
        add(&mut self.reasoning_tokens, tokens.reasoning);
    }

    /// The counts as [`Tokens`], each of them known.
    pub fn tokens(&self) -> Tokens {
        Tokens {
            input: Some(self.input_tokens),
            output: Some(self.output_tokens),
            cache_read: Some(self.cache_read_tokens),
            cache_write: Some(self.cache_write_tokens),
            reasoning: Some(self.reasoning_tokens),
        }
    }
}

/// Adds up the model calls of the spans it is shown.
#[derive(Debug)]
pub struct Tally {
    totals: Totals,
    /// Spans a counted call sits under: when one arrives, it is not counted again.
    covered: HashSet<SpanId>,
    /// Calls priced with genai-prices so far (see [`MAX_PRICED`]), or waiting to be.
    priced: u64,
    /// Whether the price data is loaded: until it is, calls wait in `pending` rather than
    /// load it on the thread that shows them (the receiver's, where it costs tens of
    /// milliseconds while the command's requests wait).
    prices_ready: fn() -> bool,
    /// Calls to price once the data is loaded, and when each was made.
    pending: Vec<(Meaning, u64)>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            totals: Totals::default(),
            covered: HashSet::new(),
            priced: 0,
            prices_ready: super::cost::prices_loaded,
            pending: Vec::new(),
        }
    }
}

impl Tally {
    /// Counts the model calls among `spans`.
    pub fn observe(&mut self, spans: &[Span]) {
        let meanings: Vec<Meaning> = spans.iter().map(super::read).collect();
        self.observe_read(spans, &meanings);
    }

    /// [`Tally::observe`] of spans already read: `meanings[i]` is what `spans[i]` means
    /// (the wrapper reads each span once for everything that asks).
    pub fn observe_read(&mut self, spans: &[Span], meanings: &[Meaning]) {
        for (span, meaning) in spans.iter().zip(meanings) {
            self.observe_one(span, meaning);
        }
    }

    fn observe_one(&mut self, span: &Span, meaning: &Meaning) {
        if !meaning.is_call() {
            return;
        }
        if self.covered.contains(&span.span_id) {
            return;
        }
        if let Some(parent) = span.parent_span_id
            && (meaning.tokens.any() || meaning.cost.is_some())
            && self.covered.len() < MAX_REMEMBERED
        {
            self.covered.insert(parent);
        }
        self.totals.calls += 1;
        self.totals.usage.add_tokens(&meaning.tokens);
        let priced = match (meaning.cost, self.priced < MAX_PRICED) {
            (Some(dollars), _) => Some(dollars),
            (None, true) if (self.prices_ready)() => {
                self.priced += 1;
                for (waiting, at) in std::mem::take(&mut self.pending) {
                    add_price(&mut self.totals, &waiting, at);
                }
                super::price(meaning, span.start_unix_nanos).map(|p| p.dollars)
            }
            (None, true) => {
                self.priced += 1;
                self.pending.push((meaning.clone(), span.start_unix_nanos));
                super::cost::load_prices_beside();
                return;
            }
            (None, false) => None,
        };
        add_cost(&mut self.totals, priced, meaning);
    }

    /// The figures so far; `None` when no model call was seen. Calls still waiting for the
    /// price data are priced here (loading it if it is not yet: the figures are read at
    /// the end of a run, when nothing waits on them).
    pub fn totals(&self) -> Option<Totals> {
        (self.totals.calls > 0).then(|| {
            let mut totals = self.totals.clone();
            for (meaning, at) in &self.pending {
                add_price(&mut totals, meaning, *at);
            }
            totals
        })
    }
}

/// Prices a call (made at `at`, Unix nanoseconds) and adds it to `totals`.
fn add_price(totals: &mut Totals, meaning: &Meaning, at: u64) {
    let priced = super::price(meaning, at).map(|p| p.dollars);
    add_cost(totals, priced, meaning);
}

/// Adds a call's cost to `totals`, or counts it unpriced when it has tokens but no price.
fn add_cost(totals: &mut Totals, priced: Option<f64>, meaning: &Meaning) {
    match priced {
        Some(dollars) => totals.usage.cost = Some(totals.usage.cost.unwrap_or(0.0) + dollars),
        None if meaning.tokens.any() => totals.unpriced_calls += 1,
        None => {}
    }
}

#[cfg(test)]
mod tests {
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
            span.set(key, value.clone());
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
    fn calls_seen_before_the_price_data_is_loaded_wait_for_it_and_are_priced() {
        static READY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let mut tally = Tally {
            prices_ready: || READY.load(std::sync::atomic::Ordering::Relaxed),
            ..Tally::default()
        };
        tally.observe(&[call("chat", None, "gpt-4o-mini", (52, 12))]);
        // Counted, not priced: pricing would load the data on this thread.
        assert_eq!(tally.totals.calls, 1);
        assert_eq!(tally.totals.usage.cost, None);
        assert_eq!(tally.pending.len(), 1);
        let at_the_end = tally.totals().unwrap();
        let first = 52.0 * 0.15e-6 + 12.0 * 0.6e-6;
        assert!((at_the_end.usage.cost.unwrap() - first).abs() < 1e-12);
        READY.store(true, std::sync::atomic::Ordering::Relaxed);
        tally.observe(&[call("chat", None, "gpt-4o-mini", (90, 9))]);
        assert!(tally.pending.is_empty(), "priced once the data is there");
        let both = first + 90.0 * 0.15e-6 + 9.0 * 0.6e-6;
        assert!((tally.totals.usage.cost.unwrap() - both).abs() < 1e-12);
        assert_eq!(tally.totals(), Some(tally.totals.clone()));
    }
}
