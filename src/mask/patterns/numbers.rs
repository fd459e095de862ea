//! Card numbers (13 digits or more, in groups, that pass the Luhn checksum) and US Social
//! Security numbers (`123-45-6789` with valid groups).

use super::classes::{Class, Classes};
use super::{Found, Secret, alnum, run_end, starts_run};

pub(super) fn cards(text: &[u8], classes: &Classes, out: &mut Found) {
    let digit = |b: u8| b.is_ascii_digit();
    let mut i = 0;
    while let Some(first) = classes.next(Class::Digit, i) {
        i = first;
        if !starts_run(text, i, b".") {
            // No digit of this run starts one.
            i = run_end(text, i, digit);
            continue;
        }
        // The run of digit groups joined by single spaces or dashes, walked twice when it
        // holds enough digits for a card: most runs are short numbers, which thus cost no
        // allocation.
        let (digits, run_end) = digit_groups(text, i).fold((0, i), |(digits, _), (start, end)| {
            (digits + end - start, end)
        });
        if digits >= 13 && !alnum(text, run_end) {
            let groups: Vec<(usize, usize)> = digit_groups(text, i).collect();
            card_groups(text, &groups, out);
        }
        i = run_end.max(i + 1);
    }
}

/// The groups of digits from `start` (a digit) on, joined by single spaces or dashes, as
/// `(start, end)`.
fn digit_groups(text: &[u8], start: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut next = Some(start);
    std::iter::from_fn(move || {
        let at = next?;
        let end = run_end(text, at, |b| b.is_ascii_digit());
        next = match text.get(end) {
            Some(b' ' | b'-') if text.get(end + 1).is_some_and(u8::is_ascii_digit) => Some(end + 1),
            _ => None,
        };
        Some((at, end))
    })
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

pub(super) fn ssns(text: &[u8], classes: &Classes, out: &mut Found) {
    const SHAPE: &[u8; 11] = b"ddd-dd-dddd";
    // A number starts three bytes before a dash: only those places are looked at, in
    // order, past the end of the last number found.
    let mut next = 0;
    for dash in classes.positions(Class::Dash) {
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
