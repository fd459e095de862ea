//! Email addresses, found around their `@`, and IPv4 and IPv6 addresses, found around their
//! dots and colons (where the punctuation bitmap of `classes` says they are) and confirmed
//! by the standard library's parsers.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::classes::{Class, Classes};
use super::{Found, Secret, alnum, run_end, starts_run};

pub(super) fn emails(text: &[u8], classes: &Classes, out: &mut Found) {
    // Compared in turn, not `contains`: on a slice of bytes that is a call to `memchr` for
    // each byte walked.
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut floor = 0;
    let mut i = 0;
    for at in classes.positions(Class::At) {
        if at < i {
            continue;
        }
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

pub(super) fn ipv4s(text: &[u8], classes: &Classes, out: &mut Found) {
    // An address has dots: only the runs of digits and dots around one are candidates,
    // each judged once, from its first byte, as a scan from left to right would.
    let dotted = |b: u8| b.is_ascii_digit() || b == b'.';
    let mut done = 0;
    // A dot between two bytes that are neither (a sentence's end) is no address.
    for dot in classes.beside(Class::Dot, [Class::Digit, Class::Dot]) {
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

pub(super) fn ipv6s(text: &[u8], classes: &Classes, out: &mut Found) {
    // An address has colons: only the runs of hex digits, colons and dots around one are
    // candidates, each judged once, as a scan from left to right would.
    let hexish = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut done = 0;
    // Only colons beside a key character (hex digits are), a colon or a dot are looked at.
    for colon in classes.beside(Class::Colon, [Class::Key, Class::Colon, Class::Dot]) {
        // A colon between two bytes that are neither (`"key":"value"`) is no address.
        if colon < done || alone(text, colon, hexish) {
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

/// The byte at `at` has no neighbour that `member` accepts: its run is itself alone.
fn alone(text: &[u8], at: usize, member: impl Fn(u8) -> bool) -> bool {
    (at == 0 || !member(text[at - 1])) && text.get(at + 1).is_none_or(|&b| !member(b))
}

fn parses<T: std::str::FromStr>(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|t| t.parse::<T>().is_ok())
}
