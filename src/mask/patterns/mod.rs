//! The `patterns` scanner: finds emails, API keys, card numbers, US SSNs and IP addresses
//! in text and replaces each with `[REDACTED:kind]`.
//!
//! A hand-written byte scanner, linear in the text: every pattern is ASCII, so a match
//! never starts or ends inside a multi-byte character and the result of redacting UTF-8
//! is UTF-8. Emails are looked for around an `@`, IP addresses around their dots and
//! colons (found with `memchr`), not at every byte. IP addresses are confirmed by the
//! standard library's parsers, card numbers by the Luhn checksum. Keys are looked for at
//! every eighth byte only (a key is a run of 8 or more key characters, so it covers one),
//! and card numbers from the next digit, found 16 bytes at a time.
//!
//! Measured against `regex-automata` (the meta regex `[A-Za-z0-9+/_-]{8,}` finding the
//! same key runs) and kept: the regex took 3 times the instructions of these probes.
//!
//! Here what is found and replaced, and the byte helpers the scanners share; the scanners
//! in `tokens` (API keys and tokens), `numbers` (card numbers, SSNs) and `addresses`
//! (emails, IP addresses).

use self::addresses::{emails, ipv4s, ipv6s};
use self::numbers::{cards, ssns};
use self::tokens::{MIN_KEY_LEN, keys};

mod addresses;
mod numbers;
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

/// `text` with every secret replaced by its marker; `None` when there was none.
pub fn redact(text: &str) -> Option<String> {
    let bytes = redact_bytes(text.as_bytes())?;
    // Matches are ASCII runs, so this cannot fail; should it, nothing is lost by lossy.
    Some(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// [`redact`] for bytes values (text is often sent as bytes).
pub fn redact_bytes(text: &[u8]) -> Option<Vec<u8>> {
    let found = find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for (start, end, secret) in found {
        out.extend_from_slice(&text[at..start]);
        out.extend_from_slice(secret.marker().as_bytes());
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    Some(out)
}

/// Every secret in `text` as `(start, end, kind)`, in order and not overlapping (where two
/// overlap, the one that starts first, then the longer, wins).
pub fn find(text: &[u8]) -> Vec<(usize, usize, Secret)> {
    let hints = Hints::of(text);
    let mut all = Vec::new();
    if hints.at && hints.dots > 0 {
        emails(text, &mut all);
    }
    if text.len() >= MIN_KEY_LEN {
        keys(text, &mut all);
    }
    if hints.digits >= 13 {
        cards(text, &mut all);
    }
    if hints.digits >= 9 && hints.dash {
        ssns(text, &mut all);
    }
    if hints.digits >= 4 && hints.dots >= 3 {
        ipv4s(text, &mut all);
    }
    if hints.colons >= 2 {
        ipv6s(text, &mut all);
    }
    if all.len() > 1 {
        all.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut kept: Vec<(usize, usize, Secret)> = Vec::with_capacity(all.len());
        for m in all {
            if kept.last().is_none_or(|last| m.0 >= last.1) {
                kept.push(m);
            }
        }
        return kept;
    }
    all
}

/// `sk-...`/`pk-...` style keys, bearer tokens, and long runs of hex or base64: the test
/// for one whole value (a command-line argument, a token of text).
pub fn looks_like_key(value: &str) -> bool {
    let v = value.trim();
    let prefixed = ["sk-", "pk-", "sk_", "pk_", "ghp_", "xoxb-", "Bearer "]
        .iter()
        .any(|p| v.starts_with(p) && v.len() >= p.len() + 8);
    let hex = v.len() >= 32 && v.chars().all(|c| c.is_ascii_hexdigit());
    let b64 = v.len() >= 32
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase());
    prefixed || hex || b64
}

type Found = Vec<(usize, usize, Secret)>;

/// What one cheap pass over the text says about which scanners can find anything: a
/// card needs 13 digits, an SSN 9 and a dash, an IPv4 address 4 digits and 3 dots, ...
#[derive(Default)]
struct Hints {
    at: bool,
    dash: bool,
    digits: usize,
    dots: usize,
    colons: usize,
}

impl Hints {
    fn of(text: &[u8]) -> Hints {
        // Branch-free counts in byte counters, emptied every 255 bytes: this runs over
        // every byte of every string (the earlier `match` with a run length cost 3 times more).
        let mut hints = Hints::default();
        for block in text.chunks(usize::from(u8::MAX)) {
            let (mut digits, mut dots, mut colons, mut at, mut dash) = (0u8, 0u8, 0u8, 0u8, 0u8);
            for &b in block {
                digits += u8::from(b.wrapping_sub(b'0') < 10);
                dots += u8::from(b == b'.');
                colons += u8::from(b == b':');
                at += u8::from(b == b'@');
                dash += u8::from(b == b'-');
            }
            hints.digits += usize::from(digits);
            hints.dots += usize::from(dots);
            hints.colons += usize::from(colons);
            hints.at |= at > 0;
            hints.dash |= dash > 0;
        }
        hints
    }
}

fn alnum(text: &[u8], i: usize) -> bool {
    text.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

/// The byte before `i` is absent or not one of `alnum` and `also`.
fn starts_run(text: &[u8], i: usize, also: &[u8]) -> bool {
    i == 0 || !(text[i - 1].is_ascii_alphanumeric() || also.contains(&text[i - 1]))
}

/// The end of the run of bytes satisfying `pred` that starts at `i`.
fn run_end(text: &[u8], i: usize, pred: impl Fn(u8) -> bool) -> usize {
    i + text[i..].iter().take_while(|&&b| pred(b)).count()
}

#[cfg(test)]
mod tests;
