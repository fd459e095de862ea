//! The index against the text search on random store files: lines the writer wrote (with
//! ids and `traceId` texts in their attributes), lines written by hand with the key in
//! other forms the decoder takes (spaces, upper case, `\u` escapes), corrupt lines, and a
//! last line with no newline. Through the index, every prefix finds the same spans.

use proptest::prelude::*;

use super::tests::{OLD, by_index, by_text, line, span};
use crate::span::SpanId;

const IDS: [&str; 4] = [
    "abcd1111000000000000000000000001",
    "abcd2222000000000000000000000002",
    "0123456789abcdef0123456789abcdef",
    "fedcba98765432100123456789abcdef",
];
const PREFIXES: [&str; 7] = ["abcd", "abcd1", "abcd2", "0123", "fedc", "ffff", IDS[2]];

/// One line of a store file, as text with its newline.
#[derive(Debug, Clone)]
enum Piece {
    /// Spans (an id of [`IDS`] each) as the writer writes them, each with a string
    /// attribute: one of the tricky texts, or any text.
    Written(Vec<(usize, String)>),
    /// A span written by hand with its key in the form `form` (see [`by_hand`]).
    ByHand(usize, usize),
    /// A line cut after a span's id.
    Cut(usize),
}

fn tricky() -> impl Strategy<Value = String> {
    let texts: Vec<String> = vec![
        format!("{{\"traceId\":\"{}\"}}", IDS[1]),
        format!("\"traceId\":\"{}\"", IDS[3]),
        "traceId".into(),
        "\u{1b}[1m".into(),
        "trace\\u0049d".into(),
        IDS[0].to_uppercase(),
    ];
    prop_oneof![prop::sample::select(texts), "[ -~]{0,12}"]
}

fn piece() -> impl Strategy<Value = Piece> {
    let id = 0..IDS.len();
    prop_oneof![
        3 => prop::collection::vec((id.clone(), tricky()), 1..4).prop_map(Piece::Written),
        1 => (id.clone(), 0..4usize).prop_map(|(id, form)| Piece::ByHand(id, form)),
        1 => id.prop_map(Piece::Cut),
    ]
}

/// A decodable span whose `traceId` key is written some other way than the writer does.
fn by_hand(id: &str, form: usize, span_id: u8) -> String {
    let key = match form {
        0 => format!("\"traceId\" : \"{id}\""),
        1 => format!("\"traceId\":\"{}\"", id.to_uppercase()),
        2 => format!("\"trace\\u0049d\":\"{id}\""),
        _ => format!("\"\\u0074raceId\":\"{id}\""),
    };
    let span_id = SpanId([span_id; 8]).to_hex();
    format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{{key},\"spanId\":\"{span_id}\",\"name\":\"h\"}}]}}]}}]}}\n"
    )
}

fn text_of(pieces: &[Piece], last_unterminated: bool) -> String {
    let mut text = String::new();
    for (n, piece) in pieces.iter().enumerate() {
        let number = u8::try_from(n * 4 + 1).unwrap_or(u8::MAX);
        text.push_str(&match piece {
            Piece::Written(spans) => {
                let spans: Vec<_> = spans
                    .iter()
                    .enumerate()
                    .map(|(i, (id, note))| {
                        let mut s = span(IDS[*id], number + i as u8);
                        s.set("note", note.as_str());
                        s
                    })
                    .collect();
                line(&spans)
            }
            Piece::ByHand(id, form) => by_hand(IDS[*id], *form, number),
            Piece::Cut(id) => format!("{{\"traceId\":\"{}\",\n", IDS[*id]),
        });
    }
    if last_unterminated {
        text.pop();
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_prefix_finds_the_same_spans_through_the_index(
        pieces in prop::collection::vec(piece(), 1..8),
        last_unterminated in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OLD);
        std::fs::write(&path, text_of(&pieces, last_unterminated)).unwrap();
        let expected: Vec<_> = PREFIXES.iter().map(|p| by_text(&path, p).0).collect();
        // The first lookup reads the text and writes the index; the rest read the index.
        by_index(&path, PREFIXES[0]);
        prop_assert!(crate::export::local::index_path(&path).exists());
        for (prefix, expected) in PREFIXES.iter().zip(&expected) {
            prop_assert_eq!(&by_index(&path, prefix).0, expected, "{}", prefix);
        }
    }
}
