//! Property: secrets planted in random string attributes, events, links and status
//! messages of random spans never survive masking into the encoded OTLP bytes.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::span::{Event, Link, Resource, Scope, SpanId, TraceId, to_request};

/// One planted secret: the text it appears in, and the secret itself.
#[derive(Debug, Clone)]
struct Planted {
    text: String,
    secret: String,
}

fn card() -> impl Strategy<Value = String> {
    (proptest::collection::vec(0u8..10, 15), 0usize..3).prop_map(|(mut digits, sep)| {
        let check = (0..10)
            .find(|d| {
                let mut all = digits.clone();
                all.push(*d);
                patterns::luhn(&all)
            })
            .unwrap();
        digits.push(check);
        let sep = ["", " ", "-"][sep];
        digits
            .chunks(4)
            .map(|c| c.iter().map(|d| d.to_string()).collect::<String>())
            .collect::<Vec<_>>()
            .join(sep)
    })
}

/// A secret shown as it is.
fn same(secret: String) -> (String, String) {
    (secret.clone(), secret)
}

/// A secret of every kind the `patterns` mode knows, and the text it is shown as.
fn secret() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[a-z][a-z0-9._+]{0,10}[a-z0-9]@[a-z]{2,10}(\\.[a-z]{2,8}){0,2}\\.[a-z]{2,6}"
            .prop_map(same),
        "(sk|pk)-[A-Za-z0-9_-]{16,40}".prop_map(same),
        "[0-9a-f]{32,64}".prop_map(same),
        "[A-Z][a-z][0-9][A-Za-z0-9+/]{29,45}".prop_map(same),
        "[A-Za-z]{7,19}[0-9]".prop_map(|t| (format!("Bearer {t}"), t)),
        card().prop_map(same),
        (1u16..666, 1u8..100, 1u16..10000)
            .prop_map(|(a, g, s)| same(format!("{a:03}-{g:02}-{s:04}"))),
        any::<[u8; 4]>().prop_map(|o| same(Ipv4Addr::from(o).to_string())),
        (1u16.., any::<[u16; 7]>()).prop_map(|(first, rest)| {
            let mut segments = [first; 8];
            segments[1..].copy_from_slice(&rest);
            same(Ipv6Addr::from(segments).to_string())
        }),
    ]
}

/// A secret in a sentence of random words, followed by some punctuation.
fn planted() -> impl Strategy<Value = Planted> {
    (
        "[a-z]{1,8}( [a-z]{1,8}){0,3}",
        secret(),
        prop_oneof![Just(" "), Just(", "), Just(". "), Just("; "), Just(") ")],
        "[a-z]{1,8}( [a-z]{1,8}){0,3}",
    )
        .prop_map(|(before, (shown, secret), punct, after)| Planted {
            text: format!("{before} {shown}{punct}{after}"),
            secret,
        })
}

fn attrs(planted: &[Planted], keys: &[String]) -> Vec<Attribute> {
    planted
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (p, key))| {
            let value = match i % 3 {
                0 => Value::from(p.text.as_str()),
                1 => Value::Array(vec![Value::Int(1), Value::from(p.text.as_str())]),
                _ => Value::Map(vec![Attribute::new("inner", p.text.as_str())]),
            };
            Attribute::new(key.clone(), value)
        })
        .collect()
}

fn span_with(planted: &[Planted], keys: &[String]) -> Span {
    let third = planted.len() / 3;
    let mut span = Span::start(
        "work",
        None,
        Arc::new(Resource::service("agent")),
        Arc::new(Scope::default()),
    );
    span.attributes = attrs(&planted[..third], keys);
    span.events.push(Event {
        name: "log".into(),
        time_unix_nanos: 1,
        attributes: attrs(&planted[third..2 * third], keys),
    });
    span.links.push(Link {
        trace_id: TraceId::random(),
        span_id: SpanId::random(),
        trace_state: String::new(),
        attributes: attrs(&planted[2 * third..planted.len() - 1], keys),
    });
    span.status.message = planted[planted.len() - 1].text.clone();
    span
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_planted_secret_survives_patterns_into_the_encoded_request(
        planted in proptest::collection::vec(planted(), 4..16),
        keys in proptest::collection::vec("[a-z_.]{1,12}", 16),
    ) {
        let before = to_request(&[span_with(&planted, &keys)]).encode_to_vec();
        // The secrets are there to be found before masking.
        for p in &planted {
            prop_assert!(contains(&before, &p.secret), "{:?} not planted", p.secret);
        }
        let mut spans = vec![span_with(&planted, &keys)];
        prop_assert_eq!(Masker::new(MaskMode::Patterns, &[]).mask_batch(&mut spans), 0);
        let bytes = to_request(&spans).encode_to_vec();
        for p in &planted {
            prop_assert!(!contains(&bytes, &p.secret), "{:?} survived in {:?}", p.secret, p.text);
        }
    }
}
