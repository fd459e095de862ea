//! The words and styles `traces list`, `show` and `tail` share: durations, short ids,
//! tokens, cost, and a span's GenAI details on one line.

use std::fmt::Write as _;

use console::Style;

use crate::semantic::Tokens;
use crate::traces::Details;
use crate::ui::Ui;

/// Hex digits of a trace id shown where the full id would not fit.
pub const SHORT_ID: usize = 8;

/// `850 ns`, `12 µs`, `3.4 ms`, `812 ms`, `1.52 s`, `2m 05s`, `1h 02m`.
pub fn duration(nanos: u64) -> String {
    let ms = nanos as f64 / 1e6;
    let secs = nanos / 1_000_000_000;
    match nanos {
        0..1_000 => format!("{nanos} ns"),
        1_000..1_000_000 => format!("{} µs", nanos / 1_000),
        1_000_000..10_000_000 => format!("{ms:.1} ms"),
        10_000_000..1_000_000_000 => format!("{ms:.0} ms"),
        1_000_000_000..60_000_000_000 => format!("{:.2} s", ms / 1e3),
        60_000_000_000..3_600_000_000_000 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// `1200 in / 80 out`, with the cache and reasoning tokens when there are any:
/// `1200 in (1000 cached, 50 written) / 80 out (30 reasoning)`.
pub fn tokens(t: &Tokens) -> String {
    let cache: Vec<String> = [(t.cache_read, "cached"), (t.cache_write, "written")]
        .iter()
        .filter_map(|(n, what)| n.filter(|n| *n > 0).map(|n| format!("{n} {what}")))
        .collect();
    let mut text = format!("{} in", t.input.unwrap_or(0));
    if !cache.is_empty() {
        text = format!("{text} ({})", cache.join(", "));
    }
    text = format!("{text} / {} out", t.output.unwrap_or(0));
    if let Some(reasoning) = t.reasoning.filter(|n| *n > 0) {
        text = format!("{text} ({reasoning} reasoning)");
    }
    text
}

/// `$0.0123`; small amounts keep their first significant digits (`$0.000042`); no
/// cost is `–`, never `$0`.
pub fn cost(cost: Option<f64>) -> String {
    match cost {
        None => "–".to_string(),
        Some(c) if c > 0.0 && c < 0.0001 => format!("${c:.6}"),
        Some(c) => format!("${c:.4}"),
    }
}

/// The span's model, tokens, cost, tool and error, separated by two spaces; empty when it
/// carries none. `max_error` caps the error message (in characters).
pub fn details(ui: &Ui, d: &Details, max_error: usize) -> String {
    details_within(ui, d, max_error, 0)
}

/// Columns a model name keeps at least when a line is short of room.
const MIN_MODEL: usize = 8;

/// Like [`details`], in at most `room` columns (`0`: no limit). The figures are what the
/// line is for, so the model's name is cut first, or left out when not even
/// [`MIN_MODEL`] columns of it fit (the summary names each model whole); an error message
/// comes last and is cut at the end with whatever else does not fit (the summary has it
/// whole).
pub fn details_within(ui: &Ui, d: &Details, max_error: usize, room: usize) -> String {
    let mut figures = Vec::new();
    if d.tokens.any() {
        figures.push(tokens(&d.tokens));
    }
    if d.cost.is_some() {
        figures.push(cost(d.cost));
    }
    if let Some(tool) = &d.tool {
        figures.push(format!(
            "tool {}",
            ui.paint(Style::new().yellow(), &one_line(tool))
        ));
    }
    let figures = figures.join("  ");
    let width = console::measure_text_width(&figures);
    let left = match (room, figures.is_empty()) {
        (0, _) => usize::MAX,
        (room, true) => room,
        (room, false) => room.saturating_sub(width + 2),
    };
    let model = d
        .model
        .as_deref()
        .filter(|_| left >= MIN_MODEL)
        .map(|model| {
            let model = console::truncate_str(&one_line(model), left, "…").into_owned();
            ui.paint(Style::new().cyan(), &model)
        });
    let error = d.error.as_deref().map(|message| match message {
        "" => ui.bad("error"),
        m => ui.bad(&format!(
            "error: {}",
            console::truncate_str(&one_line(m), max_error, "…")
        )),
    });
    let text = [model, Some(figures).filter(|f| !f.is_empty()), error]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("  ");
    match room {
        0 => text,
        room => console::truncate_str(&text, room, "…").into_owned(),
    }
}

/// Text from a span (a name, a message, a model) made safe to print on one line: runs of
/// whitespace (line breaks, tabs, `\r`) become one space, and every other control
/// character (ESC, BEL, C1 controls, bidirectional overrides) is shown escaped (`\x1b`,
/// `\u{202e}`), so a child's span can neither move the cursor, clear the screen, set
/// the title nor plant a hyperlink in the user's terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                '\u{0}'..='\u{1f}' | '\u{7f}' => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                '\u{80}'..='\u{9f}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out
}

/// `text` cut to `width` columns (with `…`) and padded to it.
pub fn fit(text: &str, width: usize) -> String {
    let cut = console::truncate_str(text, width, "…");
    console::pad_str(&cut, width, console::Alignment::Left, None).into_owned()
}

/// The shortest length, from [`SHORT_ID`] up, at which the ids all differ.
pub fn short_len(ids: &[String]) -> usize {
    (SHORT_ID..32)
        .find(|&n| {
            let mut prefixes: Vec<&str> = ids.iter().map(|id| &id[..n]).collect();
            prefixes.sort_unstable();
            prefixes.windows(2).all(|w| w[0] != w[1])
        })
        .unwrap_or(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(850), "850 ns");
        assert_eq!(duration(12_345), "12 µs");
        assert_eq!(duration(3_400_000), "3.4 ms");
        assert_eq!(duration(812_400_000), "812 ms");
        assert_eq!(duration(1_520_000_000), "1.52 s");
        assert_eq!(duration(125_000_000_000), "2m 05s");
        assert_eq!(duration(3_720_000_000_000), "1h 02m");
    }

    #[test]
    fn short_ids_grow_until_they_differ() {
        let a = "4bf92f3577b34da6a3ce929d0e0e4736".to_string();
        let b = "4bf92f3500000000a3ce929d0e0e4736".to_string();
        assert_eq!(short_len(std::slice::from_ref(&a)), 8);
        assert_eq!(short_len(&[a, b]), 9);
    }

    #[test]
    fn tokens_show_cache_and_reasoning_only_when_there_are_some() {
        let plain = Tokens {
            input: Some(12),
            output: Some(3),
            ..Tokens::default()
        };
        assert_eq!(tokens(&plain), "12 in / 3 out");
        let all = Tokens {
            cache_read: Some(10),
            cache_write: Some(0),
            reasoning: Some(2),
            ..plain
        };
        assert_eq!(tokens(&all), "12 in (10 cached) / 3 out (2 reasoning)");
    }

    #[test]
    fn no_cost_is_a_dash_never_zero_dollars() {
        assert_eq!(cost(None), "–");
        assert_eq!(cost(Some(0.0123)), "$0.0123");
        assert_eq!(cost(Some(0.0000421)), "$0.000042");
    }

    #[test]
    fn control_characters_are_shown_escaped_and_whitespace_runs_become_one_space() {
        assert_eq!(
            one_line("a\x1b]0;pwned\x07b\r\nc\x1b[2J\u{9b}d\u{202e}e"),
            "a\\x1b]0;pwned\\x07b c\\x1b[2J\\u{9b}d\\u{202e}e"
        );
        assert_eq!(one_line("  chat\tgpt-4o  "), "chat gpt-4o");
    }

    #[test]
    fn a_short_line_cuts_the_model_before_the_tokens_and_cost() {
        let ui = Ui::plain();
        let d = Details {
            model: Some("gpt-4o-mini-2024-07-18".into()),
            tokens: Tokens {
                input: Some(52),
                output: Some(12),
                ..Tokens::default()
            },
            cost: Some(0.000015),
            ..Details::default()
        };
        assert_eq!(
            details_within(&ui, &d, 60, 0),
            "gpt-4o-mini-2024-07-18  52 in / 12 out  $0.000015"
        );
        assert_eq!(
            details_within(&ui, &d, 60, 36),
            "gpt-4o-m…  52 in / 12 out  $0.000015"
        );
        assert_eq!(details_within(&ui, &d, 60, 30), "52 in / 12 out  $0.000015");
        // Too short even for the figures: cut at the end, as a last resort.
        assert_eq!(details_within(&ui, &d, 60, 20), "52 in / 12 out  $0.…");
    }

    #[test]
    fn fit_cuts_and_pads() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
