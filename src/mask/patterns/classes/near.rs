//! Where bytes stand beside others, across the 64-byte words: the dots and colons an IP
//! address may hold (those with a neighbour an address is made of), and whether digits
//! stand in a run as long as a card number's groups. Found with shifts of whole words, so
//! the scanners no longer test each punctuation byte's neighbours or walk each run of
//! digits in turn.

use super::{Class, Classes, Word};

/// Of a word whose bytes of some kind are `this` (`last` and `next` those of the words
/// around it), the bytes whose byte before, and those whose byte after, is of that kind.
fn neighbours(last: u64, this: u64, next: u64) -> (u64, u64) {
    (this << 1 | last >> 63, this >> 1 | next << 63)
}

impl Classes<'_> {
    /// Where the bytes of `class` are that have a neighbour in one of `near`, in order.
    pub(in super::super) fn beside<const N: usize>(
        &self,
        class: Class,
        near: [Class; N],
    ) -> impl Iterator<Item = usize> + '_ {
        let words = self.words();
        let near_bits = move |index: usize| {
            words.get(index).map_or(0, |word: &Word| {
                near.iter().fold(0, |bits, &c| bits | word[c as usize])
            })
        };
        // The near bits of the word looked at and of those around it, rolled on a word at
        // a time: each word's are gathered once.
        let (mut index, mut this, mut next) = (0, near_bits(0), near_bits(1));
        let beside = move |index: usize, last, this, next| {
            let (before, after) = neighbours(last, this, next);
            words
                .get(index)
                .map_or(0, |word| word[class as usize] & (before | after))
        };
        let mut bits = beside(0, 0, this, next);
        std::iter::from_fn(move || {
            while bits == 0 {
                index += 1;
                if index >= words.len() {
                    return None;
                }
                let last = this;
                (this, next) = (next, near_bits(index + 1));
                bits = beside(index, last, this, next);
            }
            let at = index * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(at)
        })
    }

    /// Whether `len` bytes or more stand in a run of digits and of single bytes between
    /// two digits: the least a card number's digit groups (joined by single spaces or
    /// dashes) take.
    pub(in super::super) fn joined_digits(&self, len: u32) -> bool {
        let words = self.words();
        let digits = |index: usize| words.get(index).map_or(0, |w| w[Class::Digit as usize]);
        // The length of the run that reaches the top of the last word.
        let mut carried = 0;
        let (mut last, mut this) = (0, digits(0));
        for index in 0..words.len() {
            let next = digits(index + 1);
            let (before, after) = neighbours(last, this, next);
            let joined = this | before & after;
            if carried + joined.trailing_ones() >= len || run_within(joined, len) {
                return true;
            }
            carried = match joined {
                u64::MAX => carried + 64,
                _ => joined.leading_ones(),
            };
            (last, this) = (this, next);
        }
        false
    }
}

/// Whether `bits` holds `len` set bits in a row (within the word).
fn run_within(bits: u64, len: u32) -> bool {
    if len > 64 {
        return false;
    }
    // Each step keeps the bits that start a run twice as long, up to `len`.
    let (mut starts, mut covered) = (bits, 1);
    while covered < len && starts != 0 {
        let shift = covered.min(len - covered);
        starts &= starts >> shift;
        covered += shift;
    }
    starts != 0
}
