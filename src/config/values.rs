//! Parsing raw setting values (booleans, numbers, URLs, provider lists) with errors that
//! name the variable, where it was set, and the words that are accepted.

use super::source::{Raw, Source};
use crate::error::{Error, Result};
use crate::mask::MaskMode;
use crate::presets;

/// The words a boolean accepts, in any case.
pub const BOOL_WORDS: &str = "1/0, true/false, yes/no, on/off";

/// A boolean word of [`BOOL_WORDS`], in any case, blanks trimmed; `None` for any other.
pub fn parse_bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A boolean setting; anything but [`BOOL_WORDS`] is an error naming the variable.
pub fn parse_bool(raw: &Raw) -> Result<bool> {
    parse_bool_text(&raw.value).ok_or_else(|| {
        Error::bad_input(format!(
            "{} is `{}`, which is not a boolean",
            raw.describe(),
            raw.value
        ))
        .with_hint(format!("use one of {BOOL_WORDS}"))
    })
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// The whole numbers a setting accepts, both ends included: what the engine can honour
/// (a queue of `i64::MAX` spans panics inside tokio's semaphore; a deadline of `i64::MAX`
/// seconds overflows `Instant`).
pub fn range(var: &str) -> (u64, u64) {
    use super::keys::*;
    match var {
        QUEUE_MAX_SPANS => (1, 10_000_000),
        QUEUE_MAX_BYTES => (KIB, 64 * GIB),
        FLUSH_TIMEOUT => (0, 3_600),
        SPOOL_MAX_BYTES | STORE_MAX_BYTES => (KIB, 1024 * GIB),
        STORE_MAX_AGE_DAYS => (1, 36_500),
        ATTRIBUTE_VALUE_LENGTH_LIMIT => (16, 64 * MIB),
        SLOW_THRESHOLD_MS => (0, 86_400_000),
        _ => (0, i64::MAX as u64),
    }
}

/// A whole number within the setting's [`range`].
pub fn parse_u64(raw: &Raw) -> Result<u64> {
    let (min, max) = range(&raw.var);
    raw.value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            Error::bad_input(format!(
                "{} is `{}`, which is not a whole number from {min} to {max}",
                raw.describe(),
                raw.value,
            ))
            .with_hint(format!("use a whole number from {min} to {max}"))
        })
}

/// A rate from `0.0` to `1.0`, both included.
pub fn parse_rate(raw: &Raw) -> Result<f64> {
    raw.value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| {
            Error::bad_input(format!(
                "{} is `{}`, which is not a rate",
                raw.describe(),
                raw.value
            ))
            .with_hint("use a number from 0.0 (keep nothing) to 1.0 (keep every trace)")
        })
}

/// Checks that a URL setting is an http(s) URL.
pub fn parse_url(raw: &Raw) -> Result<String> {
    let value = raw.value.trim();
    presets::normalize_base_url(value)
        .map(|_| value.to_string())
        .map_err(|why| Error::bad_input(format!("{}: {why}", raw.describe())))
}

/// A comma list of provider names, lower-cased; unknown names are an error.
pub fn parse_provider_list(raw: &Raw) -> Result<Vec<String>> {
    let known = presets::provider_names();
    let mut names = Vec::new();
    for name in raw.value.split(',').map(|n| n.trim().to_ascii_lowercase()) {
        if name.is_empty() {
            continue;
        }
        if !known.contains(&name.as_str()) {
            return Err(Error::bad_input(format!(
                "{} names `{name}`, which is not a provider",
                raw.describe()
            ))
            .with_hint(format!("providers are: {}", known.join(", "))));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// A mask mode: `none`, `patterns` or `content`, in any case.
pub fn parse_mask_mode(raw: &Raw) -> Result<MaskMode> {
    MaskMode::parse(&raw.value).ok_or_else(|| {
        Error::bad_input(format!(
            "{} is `{}`, which is not a mask mode",
            raw.describe(),
            raw.value
        ))
        .with_hint(format!("use one of {}", MaskMode::WORDS))
    })
}

/// A comma list of attribute keys, each exact or a prefix written `prefix.*`.
pub fn parse_key_list(raw: &Raw) -> Result<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for key in raw
        .value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let star = key.find('*');
        if key.contains(char::is_whitespace) || star.is_some_and(|at| at + 1 != key.len()) {
            return Err(Error::bad_input(format!(
                "{} names `{key}`, which is not an attribute key",
                raw.describe()
            ))
            .with_hint("write keys separated by commas, e.g. app.user_tier,app.*"));
        }
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    Ok(keys)
}

/// How a value is shown in a reason: `DO_NOT_TRACK=1`, `.env:3 (DO_NOT_TRACK=1)`,
/// `tracing.toml:3`, `flag --no-telemetry`.
pub fn setting_text(raw: &Raw) -> String {
    match &raw.source {
        Source::Env(var) => format!("{var}={}", raw.value),
        Source::DotEnv { .. } => format!("{} ({}={})", raw.source, raw.var, raw.value),
        Source::Toml { .. } | Source::Flag(_) | Source::Default => raw.source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str, value: &str) -> Raw {
        Raw {
            var: var.into(),
            value: value.into(),
            source: Source::Env(var.into()),
        }
    }

    #[test]
    fn booleans_accept_the_usual_words_in_any_case() {
        for word in ["1", "TRUE", "Yes", "on"] {
            assert!(parse_bool(&env("X", word)).unwrap(), "{word}");
        }
        for word in ["0", "False", "NO", "off"] {
            assert!(!parse_bool(&env("X", word)).unwrap(), "{word}");
        }
    }

    #[test]
    fn malformed_boolean_names_the_variable_and_the_words() {
        let err = parse_bool(&env("AUTOMAGIK_TELEMETRY_ENABLED", "maybe")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`AUTOMAGIK_TELEMETRY_ENABLED` is `maybe`"),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("yes/no"));
    }

    #[test]
    fn numbers_out_of_the_engine_range_name_the_variable_source_and_range() {
        let huge = env("AUTOMAGIK_QUEUE_MAX_SPANS", "9223372036854775807");
        let err = parse_u64(&huge).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`AUTOMAGIK_QUEUE_MAX_SPANS`"), "{text}");
        assert!(text.contains("from 1 to 10000000"), "{text}");
        let in_file = Raw {
            source: Source::DotEnv {
                path: ".env".into(),
                line: 4,
            },
            ..env("AUTOMAGIK_FLUSH_TIMEOUT", "99999999999")
        };
        assert!(
            parse_u64(&in_file)
                .unwrap_err()
                .to_string()
                .contains(".env:4")
        );
        for var in [
            "AUTOMAGIK_QUEUE_MAX_BYTES",
            "AUTOMAGIK_STORE_MAX_AGE_DAYS",
            "AUTOMAGIK_SLOW_THRESHOLD_MS",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ] {
            assert!(
                parse_u64(&env(var, &i64::MAX.to_string())).is_err(),
                "{var}"
            );
        }
        assert_eq!(
            parse_u64(&env("AUTOMAGIK_QUEUE_MAX_SPANS", "100000")).unwrap(),
            100_000
        );
    }

    #[test]
    fn rates_are_between_zero_and_one() {
        assert_eq!(parse_rate(&env("R", "0.25")).unwrap(), 0.25);
        assert!(parse_rate(&env("R", "1.5")).is_err());
        assert!(parse_rate(&env("R", "half")).is_err());
    }

    #[test]
    fn mask_modes_are_checked_naming_the_variable_and_the_modes() {
        assert_eq!(
            parse_mask_mode(&env("AUTOMAGIK_MASK", "Content")).unwrap(),
            MaskMode::Content
        );
        let err = parse_mask_mode(&env("AUTOMAGIK_MASK_LOCAL", "all")).unwrap_err();
        assert!(
            err.to_string().contains("`AUTOMAGIK_MASK_LOCAL` is `all`"),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("none, patterns, content"));
    }

    #[test]
    fn key_lists_are_trimmed_and_stars_only_end_a_prefix() {
        let keys = parse_key_list(&env("K", " app.tier, app.* ,,app.tier")).unwrap();
        assert_eq!(keys, ["app.tier", "app.*"]);
        assert!(parse_key_list(&env("K", "a*b")).is_err());
        assert!(parse_key_list(&env("K", "two words")).is_err());
    }

    #[test]
    fn provider_lists_are_checked() {
        let names = parse_provider_list(&env("P", "Langfuse, local,langfuse")).unwrap();
        assert_eq!(names, ["langfuse", "local"]);
        let err = parse_provider_list(&env("P", "datadog")).unwrap_err();
        assert!(err.hint().unwrap().contains("honeycomb"));
    }
}
