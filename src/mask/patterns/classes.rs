//! The bytes of a text sorted once into the classes the scanners start from, as bitmaps
//! (bit `i % 64` of a class's word `i / 64` is byte `i`): key characters (what API keys
//! are made of), ASCII digits, and each of `@`, `.`, `:` and `-` (emails, IP addresses and
//! SSNs are found around them). The scanners then look only where their class says,
//! instead of each passing over every byte.
//!
//! Sixteen bytes are sorted at a time: with SSE2 on x86_64 (part of its baseline, so every
//! x86_64 CPU has it), elsewhere a byte at a time into flags that multiplications gather
//! into bits. Where the CPU has AVX2 (asked at run time), whole 64-byte words are sorted
//! 32 bytes at a time instead (`avx2`). All give the same bits (tests compare them).

use std::cell::Cell;

pub(super) use self::sort::{SHORT_LEN, ShortClasses, sort_short};
use self::sort::{sort, tail};
use super::tokens::MIN_KEY_LEN;

#[cfg(target_arch = "x86_64")]
mod avx2;
mod near;
mod sort;

/// The bitmaps of a text of up to this many 64-byte words are built on the stack.
const STACK_WORDS: usize = 8;

/// The bitmaps of a text longer than this (48 bytes of bitmaps per 64 bytes of text) are
/// not kept for the next text the thread scans.
const KEPT_WORDS: usize = 1024;

/// A class of bytes; its number indexes a [`Word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    /// ASCII letters and digits, `+`, `/`, `_` and `-`.
    Key,
    Digit,
    At,
    Dot,
    Colon,
    Dash,
}

pub(super) const CLASSES: usize = 6;

/// One 64-byte word's bitmaps, by [`Class`].
type Word = [u64; CLASSES];

/// One 16-byte chunk's bitmaps as sorted: key characters, digits, and the four
/// punctuation bytes together (told apart afterwards, byte by byte: they are few, and
/// four more comparisons per chunk cost more).
type Chunk = [u16; 3];

/// The class bitmaps of one text.
pub(super) struct Classes<'a> {
    words: &'a [Word],
}

impl Classes<'_> {
    /// Sorts every byte of `text` and gives `scan` the bitmaps. They are built on the
    /// stack for a text of up to 512 bytes, else in a buffer the thread keeps for its next
    /// long text: no allocation per text, which would cost as much as sorting a short one.
    pub(super) fn with<R>(text: &[u8], scan: impl FnOnce(&Classes) -> R) -> R {
        match text.len().div_ceil(64) {
            0..=1 => on_stack::<1, R>(text, scan),
            2..=STACK_WORDS => on_stack::<STACK_WORDS, R>(text, scan),
            _ => in_buffer(text, scan),
        }
    }

    fn words(&self) -> &[Word] {
        self.words
    }

    /// How many bytes of each class the text holds, by [`Class`].
    pub(super) fn counts(&self) -> [u32; CLASSES] {
        let mut counts = [0; CLASSES];
        for word in self.words() {
            for (count, bits) in counts.iter_mut().zip(word) {
                *count += bits.count_ones();
            }
        }
        counts
    }

    /// Whether a byte of `class` is in `start..end`.
    pub(super) fn any_in(&self, class: Class, start: usize, end: usize) -> bool {
        self.next(class, start).is_some_and(|at| at < end)
    }

    /// The first byte of `class` at or after `from`.
    pub(super) fn next(&self, class: Class, from: usize) -> Option<usize> {
        let words = self.words();
        let mut index = from / 64;
        let mut bits = words.get(index)?[class as usize] & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return Some(index * 64 + bits.trailing_zeros() as usize);
            }
            index += 1;
            bits = words.get(index)?[class as usize];
        }
    }

    /// Where the bytes of `class` are, in order.
    pub(super) fn positions(&self, class: Class) -> impl Iterator<Item = usize> + '_ {
        let words = self.words();
        let mut index = 0;
        let mut bits = words.first().map_or(0, |w| w[class as usize]);
        std::iter::from_fn(move || {
            while bits == 0 {
                index += 1;
                bits = words.get(index)?[class as usize];
            }
            let at = index * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(at)
        })
    }

    /// The runs of [`MIN_KEY_LEN`] or more key characters (maximal: the bytes around
    /// each are not key characters), in order, as `(start, end)`.
    pub(super) fn key_runs(&self) -> KeyRuns<'_> {
        KeyRuns {
            words: self.words(),
            index: 0,
            pending: 0,
            base: 0,
        }
    }
}

/// The positions of the set bits of `bits`, lowest first.
pub(super) fn ones(mut bits: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let bit = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        (bit < 64).then_some(bit)
    })
}

/// [`Classes::with`] with the bitmaps of `text` (of `N` words at most) on the stack.
fn on_stack<const N: usize, R>(text: &[u8], scan: impl FnOnce(&Classes) -> R) -> R {
    let count = text.len().div_ceil(64);
    let mut words = [Word::default(); N];
    fill(text, &mut words[..count]);
    scan(&Classes {
        words: &words[..count],
    })
}

/// [`Classes::with`] with the bitmaps of `text` in a buffer the thread keeps.
fn in_buffer<R>(text: &[u8], scan: impl FnOnce(&Classes) -> R) -> R {
    thread_local! {
        static WORDS: Cell<Vec<Word>> = const { Cell::new(Vec::new()) };
    }
    let mut words = WORDS.take();
    words.clear();
    words.resize(text.len().div_ceil(64), Word::default());
    fill(text, &mut words);
    let found = scan(&Classes { words: &words });
    if words.capacity() <= KEPT_WORDS {
        WORDS.set(words);
    }
    found
}

/// Sorts `text` into `words`, one for each 64 bytes of it: the whole words with AVX2
/// where the CPU has it, else 16 bytes at a time.
fn fill(text: &[u8], words: &mut [Word]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::detected() {
        // SAFETY: the CPU has AVX2, as just asked.
        unsafe { avx2::fill_words(text, words) };
        // The bytes after the last whole word, copied into one with zeros after them
        // (zeros are in no class): a copy and one AVX2 sort cost less than the 16-byte
        // sorts, the tail and `split` they took.
        let whole = text.len() / 64;
        let rest = &text[whole * 64..];
        if !rest.is_empty() {
            let mut block = [0; 64];
            block[..rest.len()].copy_from_slice(rest);
            // SAFETY: as above.
            unsafe { avx2::fill_words(&block, &mut words[whole..]) };
        }
        return;
    }
    fill_by_chunks(text, words);
}

/// [`fill`] 16 bytes at a time. A word's bits are gathered in registers and stored once.
fn fill_by_chunks(text: &[u8], words: &mut [Word]) {
    for (word, block) in words.iter_mut().zip(text.chunks_exact(64)) {
        for (index, chunk) in block.chunks_exact(16).enumerate() {
            add(word, index, sort(chunk.try_into().expect("chunks of 16")));
        }
        split(word, block);
    }
    fill_rest(text, words);
}

/// Sorts the bytes of `text` after its last whole 64-byte word into the word they start.
fn fill_rest(text: &[u8], words: &mut [Word]) {
    let rest = &text[text.len() / 64 * 64..];
    if let Some(word) = words.get_mut(text.len() / 64).filter(|_| !rest.is_empty()) {
        let mut chunks = rest.chunks_exact(16);
        for (index, chunk) in (&mut chunks).enumerate() {
            add(word, index, sort(chunk.try_into().expect("chunks of 16")));
        }
        let left = chunks.remainder().len();
        if left > 0 {
            add(word, rest.len() / 16, tail(text, left));
        }
        split(word, rest);
    }
}

/// Adds the bitmaps of the `index`th chunk of a word to it (its punctuation to the
/// `Key` bits of the word's last class, for [`split`]).
fn add(word: &mut Word, index: usize, [key, digit, punct]: Chunk) {
    let shift = 16 * index;
    word[Class::Key as usize] |= u64::from(key) << shift;
    word[Class::Digit as usize] |= u64::from(digit) << shift;
    word[PUNCT] |= u64::from(punct) << shift;
}

/// Where [`add`] gathers the punctuation of a word before [`split`] sorts it out.
const PUNCT: usize = Class::Dash as usize;

/// Sorts the punctuation bits of `word` (in the `Dash` bitmap until then) by the byte of
/// `block` (the word's 64 bytes, or fewer at the end of the text) each stands for.
fn split(word: &mut Word, block: &[u8]) {
    let mut punct = std::mem::take(&mut word[PUNCT]);
    while punct != 0 {
        let bit = punct.trailing_zeros() as usize;
        punct &= punct - 1;
        let class = match block[bit] {
            b'@' => Class::At,
            b'.' => Class::Dot,
            b':' => Class::Colon,
            _ => Class::Dash,
        };
        word[class as usize] |= 1 << bit;
    }
}

/// See [`Classes::key_runs`].
pub(super) struct KeyRuns<'c> {
    words: &'c [Word],
    /// The word looked at next.
    index: usize,
    /// Of the word looked at last, the bytes that start 8 key characters and are past
    /// the last run found.
    pending: u64,
    /// Where in the text the bits of `pending` start.
    base: usize,
}

impl KeyRuns<'_> {
    fn key(&self, index: usize) -> u64 {
        self.words.get(index).map_or(0, |w| w[Class::Key as usize])
    }

    /// The bytes of word `index` that start 8 key characters (the 7 after them may be in
    /// the next word): three halvings, each shifting in the next word's bits.
    fn long_starts(&self, index: usize) -> u64 {
        const _: () = assert!(MIN_KEY_LEN == 8, "three halvings find runs of 8");
        let (word, next) = (self.key(index), self.key(index + 1));
        let two = word & (word >> 1 | next << 63);
        let next_two = next & next >> 1;
        let four = two & (two >> 2 | next_two << 62);
        let next_four = next_two & next_two >> 2;
        four & (four >> 4 | next_four << 60)
    }

    /// The end of the run of key characters that starts at `start`.
    fn run_end(&self, start: usize) -> usize {
        let mut end = start;
        loop {
            let ones = (self.key(end / 64) >> (end % 64)).trailing_ones() as usize;
            end += ones;
            // A run that reaches the end of a word may go on in the next one.
            if ones == 0 || !end.is_multiple_of(64) {
                return end;
            }
        }
    }
}

impl Iterator for KeyRuns<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        while self.pending == 0 {
            if self.index >= self.words.len() {
                return None;
            }
            self.pending = self.long_starts(self.index);
            self.base = self.index * 64;
            self.index += 1;
        }
        // The first such byte past the last run starts a run: the byte before it is not a
        // key character, or the run would have started there.
        let start = self.base + self.pending.trailing_zeros() as usize;
        let end = self.run_end(start);
        match end - self.base {
            // The run ends in this word: what starts after it is left.
            past @ 0..64 => self.pending &= u64::MAX << past,
            // It ends further on: look again from the word it ends in.
            _ => {
                self.index = end / 64;
                self.pending = self.long_starts(self.index) & (u64::MAX << (end % 64));
                self.base = self.index * 64;
                self.index += 1;
            }
        }
        Some((start, end))
    }
}

#[cfg(test)]
mod tests;
