//! The class bitmaps against a byte-at-a-time reading of the same text: every class, the
//! runs of key characters, the bytes beside others, the runs of joined digits and the
//! short texts' bitmaps, on texts of every length around the 16-byte chunks and 64-byte
//! words (where a slip of a shift shows).

use proptest::prelude::*;

use super::*;

fn key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-')
}

/// Bytes the classes tell apart, and any byte besides.
fn text() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"aZ09 .:-@/+_=,\"".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..300)
}

/// Each class's positions, read a byte at a time.
fn naive(text: &[u8], class: Class) -> Vec<usize> {
    let member = |b: u8| match class {
        Class::Key => key_char(b),
        Class::Digit => b.is_ascii_digit(),
        Class::At => b == b'@',
        Class::Dot => b == b'.',
        Class::Colon => b == b':',
        Class::Dash => b == b'-',
    };
    (0..text.len()).filter(|&i| member(text[i])).collect()
}

/// The maximal runs of 8 or more key characters, read a byte at a time.
fn naive_runs(text: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let start = i;
        while i < text.len() && key_char(text[i]) {
            i += 1;
        }
        if i - start >= MIN_KEY_LEN {
            runs.push((start, i));
        }
        i = i.max(start + 1);
    }
    runs
}

/// [`Classes::beside`] and [`Classes::joined_digits`] against a byte-by-byte reading.
fn check_near(text: &[u8], classes: &Classes) -> Result<(), TestCaseError> {
    let member = |classes: &[Class], i: usize| classes.iter().any(|&c| naive(text, c).contains(&i));
    let beside = |class: Class, near: &[Class]| -> Vec<usize> {
        naive(text, class)
            .into_iter()
            .filter(|&i| (i > 0 && member(near, i - 1)) || member(near, i + 1))
            .collect()
    };
    let dots = classes.beside(Class::Dot, [Class::Digit, Class::Dot]);
    prop_assert_eq!(
        dots.collect::<Vec<_>>(),
        beside(Class::Dot, &[Class::Digit, Class::Dot])
    );
    let hexish = [Class::Key, Class::Colon, Class::Dot];
    let colons = classes.beside(Class::Colon, hexish);
    prop_assert_eq!(colons.collect::<Vec<_>>(), beside(Class::Colon, &hexish));
    // The longest run of digits and of single bytes between two digits.
    let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    let (mut longest, mut run) = (0, 0);
    for i in 0..text.len() {
        let joined = digit(i) || (i > 0 && digit(i - 1) && digit(i + 1));
        run = if joined { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    for len in [1, 2, 5, 13, 63, 64, 65, 130] {
        prop_assert_eq!(classes.joined_digits(len), longest >= len, "{}", len);
    }
    Ok(())
}

const ALL: [Class; CLASSES] = [
    Class::Key,
    Class::Digit,
    Class::At,
    Class::Dot,
    Class::Colon,
    Class::Dash,
];

fn check(text: &[u8]) -> Result<(), TestCaseError> {
    Classes::with(text, |classes| {
        for class in ALL {
            let positions: Vec<usize> = classes.positions(class).collect();
            prop_assert_eq!(&positions, &naive(text, class), "{:?}", class);
            prop_assert_eq!(classes.counts()[class as usize] as usize, positions.len());
            for from in [0, 1, 15, 16, 63, 64, 65, text.len()] {
                let next = positions.iter().copied().find(|&at| at >= from);
                prop_assert_eq!(classes.next(class, from), next, "{:?} from {}", class, from);
                let until = from + 9;
                let any = positions.iter().any(|&at| (from..until).contains(&at));
                prop_assert_eq!(classes.any_in(class, from, until), any);
            }
        }
        prop_assert_eq!(classes.key_runs().collect::<Vec<_>>(), naive_runs(text));
        check_near(text, classes)
    })?;
    if (1..=SHORT_LEN).contains(&text.len()) {
        let short = sort_short(text);
        let bits = |positions: Vec<usize>| positions.iter().fold(0u32, |bits, &i| bits | 1 << i);
        prop_assert_eq!(short.key, bits(naive(text, Class::Key)));
        prop_assert_eq!(short.digit, bits(naive(text, Class::Digit)));
        let punct =
            [Class::At, Class::Dot, Class::Colon, Class::Dash].map(|c| bits(naive(text, c)));
        prop_assert_eq!(short.punct, punct.iter().fold(0, |all, bits| all | bits));
    }
    Ok(())
}

#[test]
fn every_length_around_chunks_and_words_is_sorted_as_byte_by_byte() {
    let pattern = b"sk-Ab3/x_+9 a@b.c:d-e7.,\xc3\xa9\xff";
    // Runs of key characters of every length up to 130 among other bytes.
    let runs: Vec<u8> = (1..130)
        .flat_map(|n| [vec![b'k'; n], vec![b' ']].concat())
        .collect();
    check(&runs).unwrap();
    for len in 0..=260 {
        let text: Vec<u8> = pattern.iter().copied().cycle().take(len).collect();
        check(&text).unwrap();
        // A run of key characters (and one of digits) as long as the text, across every
        // boundary.
        check(&vec![b'k'; len]).unwrap();
        check(&vec![b'7'; len]).unwrap();
    }
    // Runs of digits joined by single bytes, of every length up to 140.
    let joined: Vec<u8> = (1..140)
        .flat_map(|n| {
            [
                b"1-2 3".iter().copied().cycle().take(n).collect(),
                vec![b' ', b' '],
            ]
            .concat()
        })
        .collect();
    check(&joined).unwrap();
}

#[test]
fn texts_longer_than_the_stack_words_are_sorted_the_same() {
    let long: Vec<u8> = b"key AbCdEfGh12345678 at 10.0.0.1: x@y.io - "
        .iter()
        .copied()
        .cycle()
        .take(64 * STACK_WORDS + 100)
        .collect();
    check(&long).unwrap();
    check(&vec![b'z'; 64 * KEPT_WORDS + 1]).unwrap();
}

/// The bitmaps of `text` as [`fill`] makes them (with AVX2 where the CPU has it) and 16
/// bytes at a time (SSE2 on x86_64), which must be the same.
fn both_fills(text: &[u8]) -> (Vec<Word>, Vec<Word>) {
    let count = text.len().div_ceil(64);
    let (mut in_use, mut by_chunks) = (vec![Word::default(); count], vec![Word::default(); count]);
    fill(text, &mut in_use);
    fill_by_chunks(text, &mut by_chunks);
    (in_use, by_chunks)
}

#[test]
fn every_byte_at_every_place_of_a_word_is_sorted_alike_by_every_path() {
    for byte in 0..=255u8 {
        for at in 0..64 {
            let mut text = [b' '; 130];
            text[at] = byte;
            text[at + 64] = byte;
            let (in_use, by_chunks) = both_fills(&text);
            assert_eq!(in_use, by_chunks, "byte {byte:#x} at {at}");
            let mut chunk = [b'x'; 16];
            chunk[at % 16] = byte;
            assert_eq!(sort::portable::sort(&chunk), sort(&chunk), "byte {byte:#x}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fill_in_use_matches_the_one_by_chunks(text in text()) {
        let (in_use, by_chunks) = both_fills(&text);
        prop_assert_eq!(in_use, by_chunks);
    }

    #[test]
    fn the_fill_in_use_matches_on_any_bytes(text in prop::collection::vec(any::<u8>(), 0..300)) {
        let (in_use, by_chunks) = both_fills(&text);
        prop_assert_eq!(in_use, by_chunks);
    }

    #[test]
    fn bitmaps_match_a_byte_by_byte_reading(text in text()) {
        check(&text)?;
    }

    #[test]
    fn the_portable_sort_matches_the_one_in_use(chunk in any::<[u8; 16]>()) {
        prop_assert_eq!(sort::portable::sort(&chunk), sort(&chunk));
    }
}
