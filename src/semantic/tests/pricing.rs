//! Cost: a known model priced (cache reads for less), a carried cost preferred, an unknown
//! model left without one.

use super::*;

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
