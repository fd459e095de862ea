//! Values that stand for a key the user has not filled in yet (`your-api-key-here`,
//! `<token>`, `sk-...`, `xxx`, `changeme`, an empty value): a provider key holding one
//! counts as unset, so copying an example `.env` never makes a provider active.
//!
//! Real keys are long random strings, so the test is on whole words (split at `-`, `_`,
//! `.`, blanks) and on shapes no generated key has, never on substrings.

use serde::Serialize;

use super::source::{Raw, Source};

/// A provider key that was set to a placeholder and counts as unset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placeholder {
    /// The provider key's variable.
    pub var: String,
    /// Where the placeholder was set.
    pub source: Source,
    /// `empty` or `placeholder`.
    pub kind: &'static str,
}

impl Placeholder {
    /// `LANGFUSE_SECRET_KEY looks like a placeholder (.env:3)`; the value is never shown.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            "empty" => "is empty",
            _ => "looks like a placeholder",
        };
        format!("{} {what} ({})", self.var, self.source)
    }
}

/// Words that only a template puts in a key's place.
const WORDS: &[&str] = &[
    "your",
    "yours",
    "changeme",
    "change",
    "replace",
    "replaceme",
    "placeholder",
    "example",
    "todo",
    "tbd",
    "fixme",
    "insert",
    "enter",
    "here",
    "dummy",
    "redacted",
];

/// Whole values that mean "nothing here".
const WHOLE: &[&str] = &["none", "null", "nil", "undefined", "n/a", "na", "-"];

/// True for empty values and for values shaped like a template's stand-in.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    if value.is_empty() || WHOLE.contains(&lower.as_str()) {
        return true;
    }
    let bracketed = [('<', '>'), ('[', ']'), ('{', '}')]
        .iter()
        .any(|(open, close)| value.starts_with(*open) && value.ends_with(*close));
    if bracketed || value.ends_with("...") || value.ends_with('…') {
        return true;
    }
    lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '*' && c != '#')
        .filter(|word| !word.is_empty())
        .any(|word| WORDS.contains(&word) || is_filler(word))
}

/// `xxx`, `XXXXXXXX`, `****`, `###`: one filler character, at least three times.
fn is_filler(word: &str) -> bool {
    word.len() >= 3
        && ['x', '*', '#']
            .iter()
            .any(|filler| word.chars().all(|c| c == *filler))
}

/// The first value of a provider key that is not a placeholder, and the placeholders
/// found above it (each a value the user may think is in force).
///
/// `by_words` says whether a value is judged by its words: not for a key with a default
/// (a host): a host that reads like a template (`https://langfuse.example.com`) is the
/// user's own, and taking it as unset would send their spans to the provider's default
/// host instead, which a configuration error must never do. For those only an empty value
/// is unset.
pub fn first_real(candidates: Vec<Raw>, by_words: bool) -> (Option<Raw>, Vec<Placeholder>) {
    let mut skipped = Vec::new();
    for raw in candidates {
        let unset = if by_words {
            is_placeholder(&raw.value)
        } else {
            raw.value.trim().is_empty()
        };
        if !unset {
            return (Some(raw), skipped);
        }
        skipped.push(Placeholder {
            kind: if raw.value.trim().is_empty() {
                "empty"
            } else {
                "placeholder"
            },
            var: raw.var,
            source: raw.source,
        });
    }
    (None, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_placeholders() {
        for value in [
            "",
            "  ",
            "your-api-key-here",
            "YOUR_LANGFUSE_PUBLIC_KEY",
            "<your key>",
            "<...>",
            "xxx",
            "XXXXXXXXXXXX",
            "sk-xxxxxxxxxxxxxxxx",
            "changeme",
            "change-me",
            "...",
            "sk-...",
            "pk-lf-...",
            "sk-lf-…",
            "replace_with_your_token",
            "[token]",
            "none",
            "****",
        ] {
            assert!(is_placeholder(value), "{value:?}");
        }
    }

    #[test]
    fn real_looking_keys_are_not_placeholders() {
        for value in [
            "pk-lf-1234567890abcdef",
            "sk-lf-9b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
            "hcaik_01hx7yrhere2d9m3k4n5p6q7r8s9t0",
            "lw_abcdefXXXhijklmnop",
            "https://cloud.langfuse.com",
            "http://127.0.0.1:4318",
            "x-api-key=abc123",
            "my-project",
        ] {
            assert!(!is_placeholder(value), "{value:?}");
        }
    }

    #[test]
    fn a_host_that_reads_like_a_template_is_the_users_own_not_unset() {
        let raw = Raw {
            var: "LANGFUSE_HOST".into(),
            value: "https://langfuse.example.com".into(),
            source: Source::Default,
        };
        let (found, skipped) = first_real(vec![raw.clone()], false);
        assert_eq!(found, Some(raw));
        assert!(skipped.is_empty());
        let empty = Raw {
            value: " ".into(),
            ..Raw {
                var: "LANGFUSE_HOST".into(),
                value: String::new(),
                source: Source::Default,
            }
        };
        assert_eq!(first_real(vec![empty], false).0, None);
    }

    #[test]
    fn the_first_real_value_wins_and_placeholders_above_it_are_named() {
        let raw = |value: &str, source: Source| Raw {
            var: "LANGFUSE_PUBLIC_KEY".into(),
            value: value.into(),
            source,
        };
        let dotenv = Source::DotEnv {
            path: ".env".into(),
            line: 3,
        };
        let (found, skipped) = first_real(
            vec![
                raw("pk-lf-...", dotenv),
                raw(
                    "pk-lf-real-1234",
                    Source::Toml {
                        path: "tracing.toml".into(),
                        line: 2,
                    },
                ),
            ],
            true,
        );
        assert_eq!(found.unwrap().value, "pk-lf-real-1234");
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            skipped[0].describe(),
            "LANGFUSE_PUBLIC_KEY looks like a placeholder (.env:3)"
        );
    }
}
