//! The early exit against the full scan: a short value it lets go holds nothing the
//! scanners find, on the shortest secret of every kind, the ids and names it is for, and
//! texts made of the pieces secrets are made of.

use proptest::prelude::*;

use super::super::{Found, Secret};
use super::*;

/// What the full scan, without the early exit, finds in `text`.
fn scan(text: &[u8]) -> Found {
    let mut found = Vec::new();
    super::super::scan(text, &mut found);
    found
}

/// The shortest secrets of each kind (and a few near them), each found by a scan.
const SHORT_SECRETS: &[(&str, Secret)] = &[
    ("4111111111119", Secret::Card),
    ("4111 1111 11119", Secret::Card),
    ("a@b.co", Secret::Email),
    ("1.2.3.4", Secret::Ip),
    ("::1", Secret::Ip),
    ("fe80::1", Secret::Ip),
    ("sk-12345678", Secret::Key),
    ("pk_abcdefgh", Secret::Key),
    ("ghp_abcdefgh", Secret::Key),
    ("xoxb-abcdefgh", Secret::Key),
    ("Bearer ab12cd34", Secret::Key),
    ("Basic ab12cd34", Secret::Key),
    ("/x/sk-12345678", Secret::Key),
    ("0123456789abcdef0123456789abcdef", Secret::Key),
    ("123-45-6789", Secret::Ssn),
];

/// Ids, names and models as spans carry them: nothing to find in any.
const SHORT_IDS: &[&str] = &[
    "gpt-4o-2024-08-06",
    "support-agent",
    "conv-00000123",
    "chat gpt-4o #123456",
    "chat gpt-4o #199999",
    "claude-3-5-sonnet-20241022",
    "call_abc123def456",
    "chatcmpl-9xyzABCDEFGH12",
    "2024-08-06T12:00",
    "v1.2.3",
    "550e8400-e29b-41d4",
    "stop",
];

#[test]
fn the_shortest_secret_of_every_kind_is_scanned_and_found() {
    for &(text, kind) in SHORT_SECRETS {
        assert!(text.len() <= SHORT_LEN, "{text}");
        assert!(!short_and_clean(text.as_bytes()), "{text} let go");
        let found = scan(text.as_bytes());
        assert!(found.iter().any(|f| f.2 == kind), "{text}: {found:?}");
        // Among other words too.
        let among = format!("x {text} y");
        if among.len() <= SHORT_LEN {
            assert!(!short_and_clean(among.as_bytes()), "{among} let go");
        }
    }
}

#[test]
fn short_ids_and_names_are_let_go() {
    for &text in SHORT_IDS {
        assert!(text.len() <= SHORT_LEN, "{text}");
        assert!(short_and_clean(text.as_bytes()), "{text} scanned");
        assert!(scan(text.as_bytes()).is_empty(), "{text}");
    }
}

#[test]
fn nothing_shorter_than_three_bytes_is_a_secret_and_longer_values_are_scanned() {
    let bytes = b"aZf09 .:-@/+_";
    for &a in bytes {
        assert!(short_and_clean(&[a]));
        for &b in bytes {
            assert!(short_and_clean(&[a, b]));
        }
    }
    assert!(!short_and_clean(&[b'a'; SHORT_LEN + 1]));
    assert_eq!(
        super::super::redact("::1").as_deref(),
        Some("[REDACTED:ip]")
    );
}

/// What secrets are made of: their prefixes, punctuation and digits, words and spaces.
const PIECES: &[&str] = &[
    "sk-",
    "pk_",
    "ghp_",
    "xoxb-",
    "Bearer ",
    "Basic ",
    "bearer",
    " ",
    "/",
    "@",
    ".",
    ":",
    "-",
    "_",
    "1",
    "12",
    "123",
    "45",
    "123-45-",
    "4111",
    "4111111111119",
    "0000",
    "6789",
    "ab",
    "co",
    "ff",
    "Ab3",
    "xyz",
    "é",
    "#",
];

/// Texts of random pieces, up to a little past [`SHORT_LEN`].
fn pieces() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..16)
        .prop_map(|p| p.concat().into_bytes())
        .prop_map(|mut text| {
            text.truncate(SHORT_LEN + 2);
            text
        })
}

/// Random bytes from those the classes tell apart.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop::sample::select(b"sk-pghx_ob0123456789aZ .:@/+=Bcf".to_vec());
    prop::collection::vec(byte, 0..=SHORT_LEN)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4000)
}

#[test]
fn every_text_of_up_to_three_pieces_let_go_holds_nothing() {
    let mut texts = vec![String::new()];
    for _ in 0..3 {
        let longer: Vec<String> = texts
            .iter()
            .flat_map(|t| PIECES.iter().map(move |p| format!("{t}{p}")))
            .collect();
        texts.extend(longer);
    }
    let mut let_go = 0;
    for text in &texts {
        if short_and_clean(text.as_bytes()) {
            let_go += 1;
            assert!(scan(text.as_bytes()).is_empty(), "{text:?} let go");
        }
    }
    // Both ways are taken: the test tests something.
    assert!(let_go > texts.len() / 4 && let_go < texts.len(), "{let_go}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn a_text_of_pieces_let_go_holds_nothing(text in pieces()) {
        if short_and_clean(&text) {
            prop_assert!(scan(&text).is_empty(), "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn a_text_of_bytes_let_go_holds_nothing(text in bytes()) {
        if short_and_clean(&text) {
            prop_assert!(scan(&text).is_empty(), "{:?}", String::from_utf8_lossy(&text));
        }
    }
}
