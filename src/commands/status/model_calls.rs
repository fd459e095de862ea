//! The last run's model calls in words, for `status`: how many, their tokens, and what
//! they cost (an unknown price is `–`, never `$0`).

use std::fmt::Write as _;

use crate::semantic::Totals;

/// `2 · 142 in / 21 out tokens · cost $0.000034`; an unknown price is `–`, never `$0`,
/// and calls left out of the cost are named.
pub fn describe(totals: &Totals) -> String {
    use crate::commands::traces::text::{cost, tokens};
    let mut text = format!(
        "{} · {} tokens · cost {}",
        totals.calls,
        tokens(&totals.usage.tokens()),
        cost(totals.usage.cost)
    );
    match (totals.unpriced_calls, totals.usage.cost) {
        (0, _) => {}
        (n, Some(_)) => {
            let _ = write!(text, " ({n} without a price, not counted)");
        }
        (_, None) => text.push_str(" (no price known for its models)"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::Usage;

    #[test]
    fn model_calls_show_their_cost_and_an_unknown_price_as_a_dash() {
        let priced = Totals {
            calls: 2,
            usage: Usage {
                input_tokens: 142,
                output_tokens: 21,
                cost: Some(0.0000339),
                ..Usage::default()
            },
            ..Totals::default()
        };
        assert_eq!(
            describe(&priced),
            "2 · 142 in / 21 out tokens · cost $0.000034"
        );
        let unknown = Totals {
            calls: 1,
            usage: Usage {
                input_tokens: 10,
                output_tokens: 1,
                ..Usage::default()
            },
            unpriced_calls: 1,
        };
        assert_eq!(
            describe(&unknown),
            "1 · 10 in / 1 out tokens · cost – (no price known for its models)"
        );
        let partly = Totals {
            unpriced_calls: 1,
            ..priced
        };
        assert!(
            describe(&partly).ends_with("$0.000034 (1 without a price, not counted)"),
            "{}",
            describe(&partly)
        );
    }
}
