//! Sorting 16 bytes at a time into the class bitmaps: with SSE2 on x86_64, a byte at a
//! time elsewhere (and in tests, to check the SSE2 sort against); the last bytes of a
//! text that make no whole chunk; and short texts (two chunks at most) for `short`.

use super::Chunk;

/// The bitmaps of the last `left` (1 to 15) bytes of `text`, which make no whole chunk.
pub(super) fn tail(text: &[u8], left: usize) -> Chunk {
    match text.len().checked_sub(16) {
        // The last 16 bytes, the ones sorted already shifted out.
        Some(start) => {
            let last = text[start..].try_into().expect("16 bytes");
            sort(last).map(|bits| bits >> (16 - left))
        }
        None => sort(&padded(text)),
    }
}

/// The bitmaps of a text of [`SHORT_LEN`] bytes at most (bit `i` is byte `i`), for
/// `short`'s early exit: sorted 16 bytes at a time, without the words' buffer. The
/// punctuation is not told apart: of its bytes, the dash alone is a key character too.
pub(in super::super) struct ShortClasses {
    pub(in super::super) key: u32,
    pub(in super::super) digit: u32,
    /// `@`, `.`, `:` and `-`.
    pub(in super::super) punct: u32,
}

/// The longest text [`sort_short`] sorts: two chunks.
pub(in super::super) const SHORT_LEN: usize = 32;

/// The bitmaps of `text`, of 1 to [`SHORT_LEN`] bytes.
pub(in super::super) fn sort_short(text: &[u8]) -> ShortClasses {
    debug_assert!((1..=SHORT_LEN).contains(&text.len()));
    let widen = |chunk: Chunk| chunk.map(u32::from);
    let [key, digit, punct] = match text.len() {
        left @ 1..16 => widen(tail(text, left)),
        len => {
            let first = widen(sort(text[..16].try_into().expect("16 bytes")));
            let second = match len - 16 {
                0 => [0; 3],
                16 => widen(sort(text[16..].try_into().expect("16 bytes"))),
                // The last bytes read as the text's last 16, the first ones shifted out.
                left => widen(tail(text, left)),
            };
            std::array::from_fn(|class| first[class] | second[class] << 16)
        }
    };
    ShortClasses { key, digit, punct }
}

/// `text` (shorter than 16 bytes) and zeros after it, which are in no class: the bits past
/// its end stay clear. Read in words that overlap, not byte by byte.
fn padded(text: &[u8]) -> [u8; 16] {
    let len = text.len();
    let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u64::from(u32::from_le_bytes(text[at..at + 4].try_into().expect("4")));
    let (low, high) = match len {
        // The bytes from 8 on are the last word's top ones.
        8.. => (
            word(0),
            word(len - 8)
                .checked_shr(8 * (16 - len) as u32)
                .unwrap_or(0),
        ),
        4.. => (half(0) | (half(len - 4) >> (8 * (8 - len))) << 32, 0),
        _ => (
            text.iter().rev().fold(0, |low, &b| low << 8 | u64::from(b)),
            0,
        ),
    };
    let mut chunk = [0u8; 16];
    chunk[..8].copy_from_slice(&low.to_le_bytes());
    chunk[8..].copy_from_slice(&high.to_le_bytes());
    chunk
}

/// The bitmaps of 16 bytes.
pub(super) fn sort(chunk: &[u8; 16]) -> Chunk {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 target enables it.
        unsafe { sse2::sort(chunk) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        portable::sort(chunk)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8, _mm_sub_epi8,
    };

    use super::Chunk;

    /// Bytes within `low..=low + span`: their offset from `low` is at most `span`.
    #[target_feature(enable = "sse2")]
    fn within(bytes: __m128i, low: u8, span: u8) -> __m128i {
        let offset = _mm_sub_epi8(bytes, _mm_set1_epi8(low as i8));
        _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(span as i8)), offset)
    }

    #[target_feature(enable = "sse2")]
    fn equal(bytes: __m128i, byte: u8) -> __m128i {
        _mm_cmpeq_epi8(bytes, _mm_set1_epi8(byte as i8))
    }

    #[target_feature(enable = "sse2")]
    fn bits(mask: __m128i) -> u16 {
        // The 16 bits of the byte mask: the cast keeps exactly them.
        _mm_movemask_epi8(mask) as u16
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn sort(chunk: &[u8; 16]) -> Chunk {
        let half = |at: usize| {
            let bytes: [u8; 8] = chunk[at..at + 8].try_into().expect("8 bytes");
            i64::from_le_bytes(bytes)
        };
        let bytes = _mm_set_epi64x(half(8), half(0));
        let digit = within(bytes, b'0', 9);
        let letter = within(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), b'a', 25);
        let dash = equal(bytes, b'-');
        let joiners = _mm_or_si128(
            _mm_or_si128(equal(bytes, b'+'), equal(bytes, b'/')),
            _mm_or_si128(equal(bytes, b'_'), dash),
        );
        let key = _mm_or_si128(_mm_or_si128(digit, letter), joiners);
        let punct = _mm_or_si128(
            _mm_or_si128(equal(bytes, b'@'), equal(bytes, b'.')),
            _mm_or_si128(equal(bytes, b':'), dash),
        );
        [bits(key), bits(digit), bits(punct)]
    }
}

/// The sort a byte at a time, for targets without SSE2 (and to check it against).
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(super) mod portable {
    use super::Chunk;

    /// Bit 0 of each of the 8 bytes of `flags` (each 0 or 1), gathered into 8 bits.
    fn gather(flags: u64) -> u16 {
        ((flags & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u16
    }

    pub(in super::super) fn sort(chunk: &[u8; 16]) -> Chunk {
        let mut flags = [0u8; 16];
        for (flag, &b) in flags.iter_mut().zip(chunk) {
            let digit = b.is_ascii_digit();
            let key = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
            let punct = matches!(b, b'@' | b'.' | b':' | b'-');
            *flag = u8::from(key) | u8::from(digit) << 1 | u8::from(punct) << 2;
        }
        let half = |at: usize| u64::from_le_bytes(flags[at..at + 8].try_into().expect("8"));
        std::array::from_fn(|class| gather(half(0) >> class) | gather(half(8) >> class) << 8)
    }
}
