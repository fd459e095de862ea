//! The `patterns` scanner: finds emails, API keys, card numbers, US SSNs and IP addresses
//! in text and replaces each with `[REDACTED:kind]`.
//!
//! A hand-written byte scanner, linear in the text: every pattern is ASCII, so a match
//! never starts or ends inside a multi-byte character and the result of redacting UTF-8
//! is UTF-8. One pass sorts the bytes into classes (`classes`: bitmaps of key characters,
//! digits, `@`, `.`, `:` and `-`, 16 bytes at a time); each scanner then starts only where
//! its class says: emails around an `@`, IP addresses around their dots and colons, SSNs
//! around their dashes, card numbers at digit runs, keys at runs of 8 or more key
//! characters. IP addresses are confirmed by the standard library's parsers, card numbers
//! by the Luhn checksum. A value of 32 bytes or fewer that cannot hold a secret is let go
//! after two chunks are sorted (`short`).
//!
//! Measured against `regex-automata` (the meta regex `[A-Za-z0-9+/_-]{8,}` finding the
//! same key runs) and not taken: the regex took 3 times the instructions of the byte
//! probes that came before the class bitmaps.
//!
//! Here what is found and replaced, and the byte helpers the scanners share; the scanners
//! in `tokens` (API keys and tokens), `numbers` (card numbers, SSNs) and `addresses`
//! (emails, IP addresses).

use self::addresses::{emails, ipv4s, ipv6s};
use self::classes::{Class, Classes};
pub use self::in_place::{redact_bytes_in_place, redact_in_place};
use self::numbers::{cards, ssns};
use self::tokens::keys;

mod addresses;
mod classes;
mod in_place;
mod numbers;
mod short;
mod tokens;

// The mask's property tests check card numbers with it.
#[cfg(test)]
pub(crate) use self::numbers::luhn;

/// What was found; its name is the `kind` of `[REDACTED:kind]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// An email address.
    Email,
    /// An API key or token: `sk-`/`pk-`-style prefixes, a credential after
    /// `Bearer`/`Basic`, or a long run of hex or base64.
    Key,
    /// A card number that passes the Luhn checksum.
    Card,
    /// A US Social Security number (`123-45-6789`).
    Ssn,
    /// An IPv4 or IPv6 address.
    Ip,
}

impl Secret {
    /// The marker that replaces it: stable text, which `traces show` and users rely on.
    pub fn marker(self) -> &'static str {
        match self {
            Secret::Email => "[REDACTED:email]",
            Secret::Key => "[REDACTED:key]",
            Secret::Card => "[REDACTED:card]",
            Secret::Ssn => "[REDACTED:ssn]",
            Secret::Ip => "[REDACTED:ip]",
        }
    }
}

/// `text` with every secret replaced by its marker; `None` when there was none. A copy of
/// [`redact_in_place`], for a caller that keeps the original.
pub fn redact(text: &str) -> Option<String> {
    let mut out = text.to_owned();
    redact_in_place(&mut out).then_some(out)
}

/// [`redact`] for bytes values (text is often sent as bytes).
pub fn redact_bytes(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = text.to_vec();
    redact_bytes_in_place(&mut out).then_some(out)
}

/// Every secret in `text` as `(start, end, kind)`, in order and not overlapping (where two
/// overlap, the one that starts first, then the longer, wins).
pub fn find(text: &[u8]) -> Vec<(usize, usize, Secret)> {
    let mut all = Vec::new();
    if !short::short_and_clean(text) {
        scan(text, &mut all);
    }
    all
}

/// [`find`] without the early exit for short values, into `all` (empty): every scanner
/// its class lets run.
fn scan(text: &[u8], all: &mut Found) {
    Classes::with(text, |classes| {
        let counts = classes.counts();
        let count = |class| counts[class as usize];
        let (digits, dots) = (count(Class::Digit), count(Class::Dot));
        // What each kind needs at least, so short values skip the scanners that cannot
        // find anything: an email has an `@` and a dot in its domain, a card 13 digits
        // (in groups joined by single bytes), an SSN 9 digits and 2 dashes, an IPv4
        // address 4 digits and 3 dots, an IPv6 address 2 colons.
        if dots > 0 && count(Class::At) > 0 {
            emails(text, classes, all);
        }
        keys(text, classes, all);
        if digits >= 13 && classes.joined_digits(13) {
            cards(text, classes, all);
        }
        if digits >= 9 && count(Class::Dash) >= 2 {
            ssns(text, classes, all);
        }
        if digits >= 4 && dots >= 3 {
            ipv4s(text, classes, all);
        }
        if count(Class::Colon) >= 2 {
            ipv6s(text, classes, all);
        }
    });
    if all.len() > 1 {
        all.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        // In place: the first is kept, then each that starts past the end of the last kept.
        let mut kept_end = 0;
        all.retain(|&(start, end, _)| {
            let keep = start >= kept_end;
            if keep {
                kept_end = end;
            }
            keep
        });
    }
}

/// `sk-...`/`pk-...` style keys, bearer tokens, and long runs of hex or base64: the test
/// for one whole value (a command-line argument, a token of text).
pub fn looks_like_key(value: &str) -> bool {
    key_like(value.trim().as_bytes())
}

/// [`looks_like_key`] for bytes (a run of key characters, as the scanner finds it).
fn key_like(v: &[u8]) -> bool {
    // The prefixes `sk-`, `pk-`, `sk_`, `pk_`, `ghp_`, `xoxb-` and `Bearer `, matched as
    // slice patterns: most words are judged on their first byte or two, where comparing
    // each prefix in turn cost about 70 instructions a word.
    let prefix_len = match v {
        [b's' | b'p', b'k', b'-' | b'_', ..] => 3,
        [b'g', b'h', b'p', b'_', ..] => 4,
        [b'x', b'o', b'x', b'b', b'-', ..] => 5,
        [b'B', b'e', b'a', b'r', b'e', b'r', b' ', ..] => 7,
        _ => 0,
    };
    let prefixed = prefix_len > 0 && v.len() >= prefix_len + 8;
    if prefixed {
        return true;
    }
    if v.len() < 32 {
        return false;
    }
    let hex = v.iter().all(u8::is_ascii_hexdigit);
    let b64 = || {
        v.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-'))
            && v.iter().any(u8::is_ascii_digit)
            && v.iter().any(u8::is_ascii_uppercase)
            && v.iter().any(u8::is_ascii_lowercase)
    };
    hex || b64()
}

type Found = Vec<(usize, usize, Secret)>;

fn alnum(text: &[u8], i: usize) -> bool {
    text.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

/// The byte before `i` is absent or not one of `alnum` and `also`.
fn starts_run(text: &[u8], i: usize, also: &[u8]) -> bool {
    // Compared in turn, not `contains`: on a slice of bytes that is a call to `memchr`.
    i == 0 || !(text[i - 1].is_ascii_alphanumeric() || also.iter().any(|&b| b == text[i - 1]))
}

/// The end of the run of bytes satisfying `pred` that starts at `i`.
fn run_end(text: &[u8], i: usize, pred: impl Fn(u8) -> bool) -> usize {
    i + text[i..].iter().take_while(|&&b| pred(b)).count()
}

#[cfg(test)]
mod tests;
