//! What holds whatever the dialect: the most explicit kind wins, counts are read leniently,
//! and input tokens include the cache.

use super::*;

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
