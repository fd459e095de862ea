//! The scanner on text with and without secrets, kind by kind.

use super::*;

/// The text redacted, checked to be the same in place and as bytes.
fn r(text: &str) -> String {
    let redacted = redact(text).unwrap_or_else(|| text.to_string());
    let mut in_place = text.to_string();
    assert_eq!(redact_in_place(&mut in_place), redacted != text);
    assert_eq!(in_place, redacted);
    let mut bytes = text.as_bytes().to_vec();
    redact_bytes_in_place(&mut bytes);
    assert_eq!(bytes, redacted.as_bytes());
    redacted
}

#[test]
fn emails_are_redacted_in_running_text() {
    assert_eq!(
        r("mail bob.smith+tag@mail.example.co.uk, or ann@x.io."),
        "mail [REDACTED:email], or [REDACTED:email]."
    );
    assert_eq!(r("user@localhost and a@b.c"), "user@localhost and a@b.c");
    assert_eq!(r("@handle and trailing@"), "@handle and trailing@");
}

#[test]
fn api_keys_and_tokens_are_redacted() {
    assert_eq!(
        r("key=sk-proj-abcdefgh12345678 ok"),
        "key=[REDACTED:key] ok"
    );
    assert_eq!(r("pk-lf-1234567890abcdef"), "[REDACTED:key]");
    assert_eq!(
        r("Authorization: Bearer abc123def456"),
        "Authorization: Bearer [REDACTED:key]"
    );
    assert_eq!(
        r("hash 0123456789abcdef0123456789abcdef!"),
        "hash [REDACTED:key]!"
    );
    assert_eq!(
        r("b64 QWxhZGRpbjpvcGVuIHNlc2FtZQ9xYzEyMzQ1Njc4OTA="),
        "b64 [REDACTED:key]="
    );
    assert_eq!(r("the bearer of bad news"), "the bearer of bad news");
}

#[test]
fn paths_are_not_keys_but_their_long_segments_are() {
    let path = "/Users/Bob/Projects/agent2/src/main/deeper/still";
    assert_eq!(r(path), path);
    assert_eq!(
        r("/tmp/0123456789abcdef0123456789abcdef/x"),
        "/tmp/[REDACTED:key]/x"
    );
}

#[test]
fn card_numbers_need_a_valid_checksum() {
    assert_eq!(
        r("card 4111 1111 1111 1111 exp"),
        "card [REDACTED:card] exp"
    );
    assert_eq!(r("4111-1111-1111-1111"), "[REDACTED:card]");
    assert_eq!(r("5500005555555559"), "[REDACTED:card]");
    assert_eq!(
        r("4111 1111 1111 1111 4111 1111 1111 1111"),
        "[REDACTED:card] [REDACTED:card]",
        "two cards side by side"
    );
    assert_eq!(r("order 4111111111111112"), "order 4111111111111112");
    assert_eq!(r("id 12345"), "id 12345");
}

#[test]
fn ssns_have_their_shape_and_valid_groups() {
    assert_eq!(r("ssn: 123-45-6789."), "ssn: [REDACTED:ssn].");
    assert_eq!(
        r("000-12-3456 and 123-45-67890"),
        "000-12-3456 and 123-45-67890"
    );
}

#[test]
fn ip_addresses_of_both_families_are_redacted() {
    assert_eq!(r("from 10.0.0.1."), "from [REDACTED:ip].");
    assert_eq!(r("[2001:db8::1]:8080"), "[[REDACTED:ip]]:8080");
    assert_eq!(r("loopback ::1 ok"), "loopback [REDACTED:ip] ok");
    assert_eq!(r("mapped ::ffff:192.168.0.1"), "mapped [REDACTED:ip]");
    assert_eq!(r("1.2.3.4.5 and 999.1.1.1"), "1.2.3.4.5 and 999.1.1.1");
    assert_eq!(r("at 12:30:45, std::fmt"), "at 12:30:45, std::fmt");
}

#[test]
fn text_without_secrets_is_left_alone() {
    for text in [
        "",
        "What is the weather in Lisbon?",
        "gpt-4o-mini",
        "héllo wörld",
    ] {
        assert_eq!(redact(text), None, "{text}");
    }
}

#[test]
fn redacting_keeps_utf8_around_matches() {
    assert_eq!(r("é bob@example.com ü"), "é [REDACTED:email] ü");
    assert_eq!(
        redact_bytes(b"\xff 10.0.0.1").unwrap(),
        b"\xff [REDACTED:ip]".to_vec()
    );
}

#[test]
fn keys_are_found_wherever_they_start_and_end() {
    // Keys are looked for at every eighth byte only: each offset of a key's first and
    // last byte against those probes, the shortest keys included.
    for pad in 0..20 {
        let gap = ", ".repeat(pad / 2) + &" ".repeat(pad % 2);
        assert_eq!(
            r(&format!("{gap}sk-abcdefgh{gap}")),
            format!("{gap}[REDACTED:key]{gap}"),
            "{pad}"
        );
        assert_eq!(
            r(&format!("{gap}Bearer  ab12cd34;{gap}")),
            format!("{gap}Bearer  [REDACTED:key];{gap}"),
            "{pad}"
        );
        let short = format!("{gap}Bearer: ab12cd34 x ab12cd3 abcdefgh12,");
        assert_eq!(r(&short), short, "{pad}");
    }
}
