//! What a run's model calls added up to: calls, tokens and cost in dollars, counted as
//! spans go by (the wrapper's receiver feeds them in; `status` shows the last run's).
//!
//! A call is a span the semantic layer reads as an LLM or embedding call. A call made
//! inside another (an agent framework's model span over an instrumented client's) is
//! counted once, as its innermost span, like `traces` does: a child ends, and so arrives,
//! before its parent, so a parent over a counted call is skipped.
//!
//! Calls are priced when the figures are read, not as they go by (see [`Tally`]).

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{MeaningRef, Tokens};
use crate::span::{Span, SpanId};

/// Parents of counted calls remembered at most (a run's calls are far fewer; past this a
/// nested call may count twice, never once less).
const MAX_REMEMBERED: usize = 10_000;
/// Calls priced per run at most. Pricing a call (genai-prices finding the model) takes a
/// few microseconds, as much as receiving a few spans: a command that makes more calls
/// than this (a load test, not an agent) has the rest counted, unpriced. The calls are
/// kept (about 130 bytes each, 1.3 MB at most) and priced when the figures are read.
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
///
/// A call to price is kept, not priced, as it goes by ([`Tally::observe_read`] runs on the
/// wrapper's receiver, where genai-prices finding the model took as long as receiving a
/// few spans): the calls are priced, in the order they came, when the figures are read
/// ([`Tally::totals`], at the end of the run). The price data loads on a thread of its own
/// from the first call, so it is there by then.
#[derive(Debug, Default)]
pub struct Tally {
    totals: Totals,
    /// Spans a counted call sits under: when one arrives, it is not counted again.
    covered: HashSet<SpanId>,
    /// Calls kept to price with genai-prices so far (see [`MAX_PRICED`]).
    priced: u64,
    /// The costs still to add to `totals`, in the order the calls came: from the first
    /// call to price on, a carried cost waits in line too, so the sum is added up in the
    /// same order as when each call was priced as it came (the same figure, to the bit).
    pending: Vec<Cost>,
}

/// A call's cost waiting in a [`Tally`]'s line.
#[derive(Debug)]
enum Cost {
    /// A cost the span carried.
    Carried(f64),
    /// A call to price: its model and provider (shared with the call before when they are
    /// the same: most of a run's calls name one model), its tokens, when it was made.
    Call {
        model: Arc<str>,
        provider: Option<Arc<str>>,
        tokens: Tokens,
        at: u64,
    },
}

impl Tally {
    /// Counts the model calls among `spans`.
    pub fn observe(&mut self, spans: &[Span]) {
        let meanings: Vec<MeaningRef<'_>> = spans.iter().map(super::read_ref).collect();
        self.observe_read(spans, &meanings);
    }

    /// [`Tally::observe`] of spans already read: `meanings[i]` is what `spans[i]` means
    /// (the wrapper reads each span once for everything that asks). A meaning borrows its
    /// span's texts: what is kept of a call (its model and provider) is copied once, and
    /// shared with the call before when it names the same.
    pub fn observe_read(&mut self, spans: &[Span], meanings: &[MeaningRef<'_>]) {
        for (span, meaning) in spans.iter().zip(meanings) {
            self.observe_one(span, meaning);
        }
    }

    fn observe_one(&mut self, span: &Span, meaning: &MeaningRef<'_>) {
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
        match (meaning.cost, self.priced < MAX_PRICED) {
            (Some(dollars), _) if self.pending.is_empty() => add_cost(&mut self.totals, dollars),
            (Some(dollars), _) => self.pending.push(Cost::Carried(dollars)),
            (None, true) => {
                self.priced += 1;
                self.keep_to_price(meaning, span.start_unix_nanos);
            }
            (None, false) => add_unpriced(&mut self.totals, &meaning.tokens),
        }
    }

    /// Keeps a call to price when the figures are read; one without a model or tokens has
    /// no price to look for.
    fn keep_to_price(&mut self, meaning: &MeaningRef<'_>, at: u64) {
        let Some(model) = meaning.model().filter(|_| meaning.tokens.any()) else {
            return add_unpriced(&mut self.totals, &meaning.tokens);
        };
        let provider = meaning.provider;
        let (model, provider) = match self.pending.last() {
            Some(Cost::Call {
                model: last_model,
                provider: last_provider,
                ..
            }) if **last_model == *model && last_provider.as_deref() == provider => {
                (last_model.clone(), last_provider.clone())
            }
            _ => (Arc::from(model), provider.map(Arc::from)),
        };
        self.pending.push(Cost::Call {
            model,
            provider,
            tokens: meaning.tokens,
            at,
        });
        super::cost::load_prices_beside(super::cost::BESIDE_A_COMMAND);
    }

    /// The figures so far; `None` when no model call was seen. The calls kept to price are
    /// priced here, in the order they came (loading the price data if it is not yet: the
    /// figures are read at the end of a run, when nothing waits on them).
    pub fn totals(&self) -> Option<Totals> {
        (self.totals.calls > 0).then(|| {
            let mut totals = self.totals.clone();
            for cost in &self.pending {
                match cost {
                    Cost::Carried(dollars) => add_cost(&mut totals, *dollars),
                    Cost::Call {
                        model,
                        provider,
                        tokens,
                        at,
                    } => match super::cost::price_tokens(model, provider.as_deref(), tokens, *at) {
                        Some(dollars) => add_cost(&mut totals, dollars),
                        None => add_unpriced(&mut totals, tokens),
                    },
                }
            }
            totals
        })
    }
}

/// Adds a call's cost to `totals`.
fn add_cost(totals: &mut Totals, dollars: f64) {
    totals.usage.cost = Some(totals.usage.cost.unwrap_or(0.0) + dollars);
}

/// Counts a call without a price as unpriced when it has tokens.
fn add_unpriced(totals: &mut Totals, tokens: &Tokens) {
    if tokens.any() {
        totals.unpriced_calls += 1;
    }
}

#[cfg(test)]
#[path = "totals_tests.rs"]
mod tests;
