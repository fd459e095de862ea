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

use std::net::{Ipv4Addr, Ipv6Addr};

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

/// The shortest token `keys` can report.
const MIN_KEY_LEN: usize = 8;

/// Which bytes [`key_char`] accepts, looked up instead of tested in turn (it runs on
/// every byte of every string).
static KEY_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'_' | b'-');
        b += 1;
    }
    table
};

/// A byte of a key-like token: base64 (standard and URL-safe) characters except `=`.
fn key_char(b: u8) -> bool {
    KEY_CHARS[usize::from(b)]
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

fn emails(text: &[u8], out: &mut Found) {
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut floor = 0;
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'@', &text[i..]) {
        let at = i + offset;
        i = at + 1;
        let mut start = at;
        while start > floor && local(text[start - 1]) {
            start -= 1;
        }
        while start < at && text[start] == b'.' {
            start += 1;
        }
        let mut end = run_end(text, at + 1, domain);
        while end > at + 1 && matches!(text[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let host = &text[at + 1..end];
        let tld = host.rsplit(|&b| b == b'.').next().unwrap_or_default();
        let valid = start < at
            && host.contains(&b'.')
            && !host.split(|&b| b == b'.').any(<[u8]>::is_empty)
            && tld.len() >= 2
            && tld.iter().all(u8::is_ascii_alphabetic);
        if valid {
            out.push((start, end, Secret::Email));
            floor = end;
            i = end;
        }
    }
}

fn keys(text: &[u8], out: &mut Found) {
    // Every token that can be a key is a run of at least MIN_KEY_LEN key characters, and
    // such a run covers one of every MIN_KEY_LEN bytes: only those are looked at, and the
    // runs around the ones that are key characters measured.
    let mut floor = 0;
    let mut probe = MIN_KEY_LEN - 1;
    while probe < text.len() {
        if !key_char(text[probe]) {
            probe += MIN_KEY_LEN;
            continue;
        }
        let mut start = probe;
        while start > floor && key_char(text[start - 1]) {
            start -= 1;
        }
        let end = run_end(text, probe, key_char);
        if end - start >= MIN_KEY_LEN {
            key_run(text, start, end, out);
        }
        floor = end;
        probe = end + MIN_KEY_LEN;
    }
}

/// Judges the run of key characters `text[start..end]`, a token of text.
fn key_run(text: &[u8], start: usize, end: usize, out: &mut Found) {
    let word = &text[start..end];
    if after_auth_word(text, start) && credential_like(word) {
        out.push((start, end, Secret::Key));
    } else if word.first() == Some(&b'/') {
        // A path: its segments are judged one by one.
        let mut at = start;
        for segment in word.split(|&b| b == b'/') {
            if key_token(segment) {
                out.push((at, at + segment.len(), Secret::Key));
            }
            at += segment.len() + 1;
        }
    } else if key_token(word) {
        out.push((start, end, Secret::Key));
    }
}

/// The token starting at `start` follows an authorization scheme word (`Bearer`, `Basic`)
/// and one or more spaces.
fn after_auth_word(text: &[u8], start: usize) -> bool {
    let mut gap = start;
    while gap > 0 && text[gap - 1] == b' ' {
        gap -= 1;
    }
    if gap == start {
        return false;
    }
    let mut word = gap;
    while word > 0 && key_char(text[word - 1]) {
        word -= 1;
    }
    let word = &text[word..gap];
    word.eq_ignore_ascii_case(b"bearer") || word == b"Basic"
}

fn key_token(word: &[u8]) -> bool {
    // The shortest a prefixed key can be: `sk-` and 8 more.
    word.len() >= 11 && std::str::from_utf8(word).is_ok_and(looks_like_key)
}

/// The token after `Bearer` or `Basic`: long, or with a digit in it.
fn credential_like(word: &[u8]) -> bool {
    word.len() >= 20 || (word.len() >= MIN_KEY_LEN && word.iter().any(u8::is_ascii_digit))
}

fn cards(text: &[u8], out: &mut Found) {
    let digit = |b: u8| b.is_ascii_digit();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(first) = next_digit(text, i) {
        i = first;
        if !starts_run(text, i, b".") {
            // No digit of this run starts one.
            i = run_end(text, i, digit);
            continue;
        }
        // The run of digit groups joined by single spaces or dashes.
        groups.clear();
        let mut digits = 0;
        let mut at = i;
        loop {
            let end = run_end(text, at, digit);
            groups.push((at, end));
            digits += end - at;
            match text.get(end) {
                Some(b' ' | b'-') if text.get(end + 1).is_some_and(u8::is_ascii_digit) => {
                    at = end + 1
                }
                _ => break,
            }
        }
        let run_end = groups.last().expect("one group at least").1;
        if digits >= 13 && !alnum(text, run_end) {
            card_groups(text, &groups, out);
        }
        i = run_end.max(i + 1);
    }
}

/// Where the next ASCII digit at or after `from` is. Blocks of 16 bytes without one are
/// passed over whole (a test of 16 bytes at once is what the compiler makes of it).
fn next_digit(text: &[u8], from: usize) -> Option<usize> {
    const BLOCK: usize = 16;
    let rest = text.get(from..)?;
    let mut blocks = rest.chunks_exact(BLOCK);
    let mut at = from;
    for block in &mut blocks {
        if block.iter().fold(false, |any, b| any | b.is_ascii_digit()) {
            return block.iter().position(u8::is_ascii_digit).map(|p| at + p);
        }
        at += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| at + p)
}

/// The card numbers among consecutive digit groups: the whole run, or (when it is longer
/// than a card, two cards side by side, say) each span of whole groups of 13 to 19
/// digits that passes the checksum.
fn card_groups(text: &[u8], groups: &[(usize, usize)], out: &mut Found) {
    let mut first = 0;
    while first < groups.len() {
        let mut digits: Vec<u8> = Vec::with_capacity(19);
        let mut found = None;
        for (last, &(start, end)) in groups.iter().enumerate().skip(first) {
            digits.extend(text[start..end].iter().map(|b| b - b'0'));
            if digits.len() > 19 {
                break;
            }
            if digits.len() >= 13 && luhn(&digits) {
                found = Some(last);
            }
        }
        match found {
            Some(last) => {
                out.push((groups[first].0, groups[last].1, Secret::Card));
                first = last + 1;
            }
            None => first += 1,
        }
    }
}

/// The Luhn checksum of card numbers holds for these digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| {
            let d = u32::from(d);
            match n % 2 {
                0 => d,
                _ if d * 2 > 9 => d * 2 - 9,
                _ => d * 2,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn ssns(text: &[u8], out: &mut Found) {
    const SHAPE: &[u8; 11] = b"ddd-dd-dddd";
    // A number starts three bytes before a dash: only those places are looked at, in
    // order, past the end of the last number found.
    let mut next = 0;
    for dash in memchr::memchr_iter(b'-', text) {
        let Some(i) = dash.checked_sub(3).filter(|&i| i >= next) else {
            continue;
        };
        let end = i + SHAPE.len();
        let Some(candidate) = text.get(i..end) else {
            break;
        };
        let shaped = candidate.iter().zip(SHAPE).all(|(&b, &s)| match s {
            b'd' => b.is_ascii_digit(),
            _ => b == b'-',
        });
        let bounded =
            starts_run(text, i, b"-") && !alnum(text, end) && text.get(end) != Some(&b'-');
        if shaped && bounded {
            let (area, group, serial) = (&candidate[..3], &candidate[4..6], &candidate[7..]);
            if area != b"000"
                && area != b"666"
                && area[0] != b'9'
                && group != b"00"
                && serial != b"0000"
            {
                out.push((i, end, Secret::Ssn));
                next = end;
            }
        }
    }
}

fn ipv4s(text: &[u8], out: &mut Found) {
    // An address has dots: only the runs of digits and dots around one are candidates,
    // each judged once, from its first byte, as a scan from left to right would.
    let dotted = |b: u8| b.is_ascii_digit() || b == b'.';
    let mut done = 0;
    for dot in memchr::memchr_iter(b'.', text) {
        if dot < done {
            continue;
        }
        let mut i = dot;
        while i > 0 && dotted(text[i - 1]) {
            i -= 1;
        }
        let run_stop = run_end(text, dot, dotted);
        done = run_stop;
        if !text[i].is_ascii_digit() || !starts_run(text, i, b".") {
            continue;
        }
        let mut end = run_stop;
        while text[end - 1] == b'.' {
            end -= 1;
        }
        if !alnum(text, run_stop) && parses::<Ipv4Addr>(&text[i..end]) {
            out.push((i, end, Secret::Ip));
        }
    }
}

fn ipv6s(text: &[u8], out: &mut Found) {
    // An address has colons: only the runs of hex digits, colons and dots around one are
    // candidates, each judged once, as a scan from left to right would.
    let hexish = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut done = 0;
    for colon in memchr::memchr_iter(b':', text) {
        if colon < done {
            continue;
        }
        let mut i = colon;
        while i > 0 && hexish(text[i - 1]) {
            i -= 1;
        }
        let run_stop = run_end(text, colon, hexish);
        done = run_stop;
        // Part of a longer word ("xdeadbeef:cafe", "deadbeef:cafe:xyz"): not an address.
        if !starts_run(text, i, b":.") || alnum(text, run_stop) {
            continue;
        }
        let mut end = run_stop;
        while end > i && text[end - 1] == b'.' {
            end -= 1;
        }
        let colons = text[i..end].iter().filter(|&&b| b == b':').count();
        if colons >= 2 {
            let candidate = &text[i..end];
            let trimmed = candidate
                .strip_suffix(b":")
                .filter(|c| !c.ends_with(b":"))
                .unwrap_or(candidate);
            let hex_digit = trimmed.iter().any(u8::is_ascii_hexdigit);
            if hex_digit && parses::<Ipv6Addr>(trimmed) {
                out.push((i, i + trimmed.len(), Secret::Ip));
            }
        }
    }
}

fn parses<T: std::str::FromStr>(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|t| t.parse::<T>().is_ok())
}

#[cfg(test)]
mod tests;
