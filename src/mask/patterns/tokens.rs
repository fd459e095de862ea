//! API keys and tokens: runs of 8 or more key characters (found in the key-character
//! bitmap, `classes`), judged as a whole token, a path's segments, or the credential after
//! `Bearer`/`Basic`.

use super::classes::{Class, Classes};
use super::{Found, Secret, key_like};

/// The shortest token `keys` can report.
pub(super) const MIN_KEY_LEN: usize = 8;

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

pub(super) fn keys(text: &[u8], classes: &Classes, out: &mut Found) {
    // Every token that can be a key is a run of at least MIN_KEY_LEN key characters.
    for (start, end) in classes.key_runs() {
        // Shorter than the shortest key token, a run is a key only as a credential with a
        // digit in it: the long words of prose are let go here.
        if end - start >= SHORTEST_TOKEN || classes.any_in(Class::Digit, start, end) {
            key_run(text, start, end, out);
        }
    }
}

/// Judges the run of key characters `text[start..end]`, a token of text.
fn key_run(text: &[u8], start: usize, end: usize, out: &mut Found) {
    let word = &text[start..end];
    // The cheap test on the word first: most long words of prose are not credentials.
    if credential_like(word) && after_auth_word(text, start) {
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

/// The shortest a prefixed key can be: `sk-` and 8 more.
const SHORTEST_TOKEN: usize = 11;

fn key_token(word: &[u8]) -> bool {
    word.len() >= SHORTEST_TOKEN && key_like(word)
}

/// The token after `Bearer` or `Basic`: long, or with a digit in it.
fn credential_like(word: &[u8]) -> bool {
    word.len() >= 20 || (word.len() >= MIN_KEY_LEN && word.iter().any(u8::is_ascii_digit))
}
