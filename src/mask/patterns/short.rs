//! The early exit for short values: names, models, ids and enum words, most of a span's
//! strings. A text of up to 32 bytes is let go after two 16-byte sorts when no scanner
//! could find anything in it, without the class bitmaps' words or a scanner run; one of 3
//! to 7 bytes with no `@`, dot or colon without a sort.
//!
//! Each test is what a scanner needs at least to find anything (what `find` asks before
//! running it, or a stricter reading of the same), so nothing is let go that a scan would
//! have found: an email needs an `@` and a dot; an IPv6 address 2 colons; an IPv4 address
//! 4 digits and 3 dots; a card 13 digits; an SSN the shape `ddd-dd-dddd`. A key is a
//! maximal run of 8 or more key characters that `key_like` takes (the test the scanner
//! makes of a token, by its prefix when it is shorter than 32 bytes), and a run that is a
//! path (it starts with `/`) or may follow `Bearer`/`Basic` (a space before it) is left
//! to the scanner.
//!
//! Measured with callgrind on the engine bench's masker (`BENCH_ONLY=masker`): of the
//! seven values of a span it scanned in full, the four ids and names (13 to 19 bytes:
//! `gpt-4o-2024-08-06`, `support-agent`, `conv-00000123`, `chat gpt-4o #123456`) now
//! stop here.

use super::classes::{SHORT_LEN, ShortClasses, ones, sort_short};
use super::key_like;
use super::tokens::MIN_KEY_LEN;

/// Whether `text` is short (32 bytes at most) and surely holds nothing a scanner finds.
pub(super) fn short_and_clean(text: &[u8]) -> bool {
    match text.len() {
        // The shortest secret is an IPv6 address of 3 bytes (`::1`).
        0..3 => return true,
        // Shorter than a key, a card or an SSN: an email needs an `@`, an IPv4 address
        // dots, an IPv6 address colons. Most enum words and names stop here, unsorted.
        3..MIN_KEY_LEN if !text.iter().any(|&b| matches!(b, b'@' | b'.' | b':')) => return true,
        len if len > SHORT_LEN => return false,
        _ => {}
    }
    let ShortClasses { key, digit, punct } = sort_short(text);
    // The dash is the only punctuation byte that is a key character too.
    let dash = punct & key;
    let (mut at, mut dot, mut colon) = (0, 0, 0);
    for i in ones(u64::from(punct & !key)) {
        match text[i] {
            b'@' => at += 1,
            b'.' => dot += 1,
            _ => colon += 1,
        }
    }
    let digits = digit.count_ones();
    let may_hold = (at > 0 && dot > 0)
        || colon >= 2
        || (digits >= 4 && dot >= 3)
        || digits >= 13
        || (digits >= 9 && ssn_shaped(digit, dash))
        || may_hold_key(text, key);
    !may_hold
}

/// Some byte starts `ddd-dd-dddd`: digits and dashes where an SSN has them.
fn ssn_shaped(digit: u32, dash: u32) -> bool {
    const SHAPE: &[u8; 11] = b"ddd-dd-dddd";
    let mut starts = u32::MAX;
    for (offset, &byte) in SHAPE.iter().enumerate() {
        let class = if byte == b'd' { digit } else { dash };
        starts &= class >> offset;
    }
    starts != 0
}

/// Some maximal run of 8 or more key characters (`key`'s bits) may be judged a key by the
/// scanner: `key_like` takes it, or it is a path or follows a space.
fn may_hold_key(text: &[u8], key: u32) -> bool {
    let mut long = key & key >> 1;
    long &= long >> 2;
    long &= long >> 4;
    // The bytes that start 8 key characters and follow none: each starts a maximal run.
    let run_starts = long & !(key << 1);
    ones(u64::from(run_starts)).any(|start| {
        let end = start + (key >> start).trailing_ones() as usize;
        text[start] == b'/' || (start > 0 && text[start - 1] == b' ') || key_like(&text[start..end])
    })
}

#[cfg(test)]
mod tests;
