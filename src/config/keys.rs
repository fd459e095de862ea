//! The names of every setting: its environment variable, its `tracing.toml` key and the
//! kind of value it holds. One table, read by the loader, `configure` and the docs tests.
//! Here the variables and the types; the table itself in `table`, looking a name up in
//! `known`, secrets (which names hold one, how one is shown) in `secret`.

use crate::presets;

mod known;
mod secret;
mod table;

pub use self::known::Known;
pub use self::secret::{looks_secret, mask};
pub use self::table::SETTINGS;

/// What a setting's value is, for parsing and for writing it typed into TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `1/0`, `true/false`, `yes/no`, `on/off` in any case; a TOML boolean.
    Bool,
    /// A decimal number (a rate such as `0.25`).
    Float,
    /// A whole number, checked against the setting's range when parsed.
    Int,
    /// Any string (a URL, a path, a mode word), written as a TOML string.
    Text,
    /// A comma list in the environment, an array of strings in TOML.
    List,
}

/// A setting of the tool itself (provider keys are in the preset table).
#[derive(Debug, Clone, Copy)]
pub struct SettingKey {
    /// The environment variable, which is also the key every layer is looked up by.
    pub var: &'static str,
    /// Dotted `tracing.toml` key, `None` for settings that only the environment can set.
    pub toml: Option<&'static str>,
    /// How the value is parsed and how `configure` writes it into TOML.
    pub kind: Kind,
    /// What the setting does, in one line (the table documents itself with it).
    pub help: &'static str,
}

const fn setting(
    var: &'static str,
    toml: &'static str,
    kind: Kind,
    help: &'static str,
) -> SettingKey {
    SettingKey {
        var,
        toml: Some(toml),
        kind,
        help,
    }
}

const fn env_only(var: &'static str, kind: Kind, help: &'static str) -> SettingKey {
    SettingKey {
        var,
        toml: None,
        kind,
        help,
    }
}

/// `true` turns both layers (observability and telemetry) off.
pub const DISABLE_ALL: &str = "AUTOMAGIK_DISABLE_ALL_TRACING";
/// `true` keeps both layers on in CI (a detected CI variable turns them off otherwise).
pub const ENABLE_IN_CI: &str = "AUTOMAGIK_ENABLE_TRACING_IN_CI";
/// Switches observability (traces to the user's providers) on or off.
pub const OBSERVABILITY_ENABLED: &str = "AUTOMAGIK_OBSERVABILITY_ENABLED";
/// A comma list limiting which configured providers are active (`langfuse,honeycomb`).
pub const OBSERVABILITY_PROVIDERS: &str = "AUTOMAGIK_OBSERVABILITY_PROVIDERS";
/// `true` keeps a copy of every trace in the local store beside the other providers.
pub const LOCAL_COPY: &str = "AUTOMAGIK_LOCAL_COPY";
/// Switches the anonymous usage telemetry on or off (on by default).
pub const TELEMETRY_ENABLED: &str = "AUTOMAGIK_TELEMETRY_ENABLED";
/// The URL telemetry events are posted to.
pub const TELEMETRY_ENDPOINT: &str = "AUTOMAGIK_TELEMETRY_ENDPOINT";
/// `true` prints each telemetry event on stderr instead of sending it.
pub const TELEMETRY_DEBUG: &str = "AUTOMAGIK_TELEMETRY_DEBUG";
/// The cross-tool convention: `1` or `true` turns telemetry off (not observability).
pub const DO_NOT_TRACK: &str = "DO_NOT_TRACK";
/// The OpenTelemetry convention: `true` turns observability off.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// Overrides the config dir (`tracing.toml`, the anonymous id); environment only.
pub const CONFIG_DIR: &str = "AUTOMAGIK_CONFIG_DIR";
/// Overrides the data dir (spool, local trace store, run metrics, telemetry outbox).
pub const DATA_DIR: &str = "AUTOMAGIK_DATA_DIR";
/// The share of traces kept, `0.0` to `1.0` (default `1.0`).
pub const SAMPLE_RATE: &str = "AUTOMAGIK_SAMPLE_RATE";
/// Spans at least this many milliseconds long are kept even when not sampled.
pub const SLOW_THRESHOLD_MS: &str = "AUTOMAGIK_SLOW_THRESHOLD_MS";
/// The most spans the engine holds in memory; beyond it the newest is dropped and counted.
pub const QUEUE_MAX_SPANS: &str = "AUTOMAGIK_QUEUE_MAX_SPANS";
/// The most bytes of spans the engine holds in memory (default 50 MiB).
pub const QUEUE_MAX_BYTES: &str = "AUTOMAGIK_QUEUE_MAX_BYTES";
/// Seconds allowed for delivery at exit before the rest goes to the spool.
pub const FLUSH_TIMEOUT: &str = "AUTOMAGIK_FLUSH_TIMEOUT";
/// The on-disk spool's cap in bytes; the oldest segments are dropped beyond it.
pub const SPOOL_MAX_BYTES: &str = "AUTOMAGIK_SPOOL_MAX_BYTES";
/// The local trace store's cap in bytes.
pub const STORE_MAX_BYTES: &str = "AUTOMAGIK_STORE_MAX_BYTES";
/// Days a local trace store file is kept.
pub const STORE_MAX_AGE_DAYS: &str = "AUTOMAGIK_STORE_MAX_AGE_DAYS";
/// The OpenTelemetry variable: attribute values longer than this many bytes are truncated
/// on the way in.
pub const ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// The mask mode of every provider without its own: `none`, `patterns` or `content`.
pub const MASK: &str = "AUTOMAGIK_MASK";
/// A comma list of keys whose strings `content` mode keeps besides the structural ones
/// (`prefix.*` too).
pub const MASK_KEEP: &str = "AUTOMAGIK_MASK_KEEP";

/// The variable that sets this provider's mask mode (`AUTOMAGIK_MASK_<PROVIDER>`, from
/// the provider table).
pub fn provider_mask_var(provider: &str) -> Option<&'static str> {
    presets::mask_vars()
        .find(|(name, _, _)| *name == provider)
        .map(|(_, var, _)| var)
}

/// Whether `var` holds a mask mode (`none`, `patterns` or `content`).
pub fn is_mask_mode(var: &str) -> bool {
    var == MASK || presets::mask_vars().any(|(_, v, _)| v == var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_the_whole_secret() {
        assert_eq!(mask("pk-lf-1234567890abcdef"), "pk-l…cdef");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask("abcdefgh"), "ab…gh");
        for len in 0..40 {
            let secret: String = "x".repeat(len) + "Z";
            assert!(!mask(&secret).contains(&secret) || secret.len() < 2);
        }
    }

    #[test]
    fn toml_keys_and_vars_map_both_ways() {
        for s in SETTINGS.iter() {
            assert_eq!(Known::by_var(s.var).unwrap().var(), s.var);
            if let Some(key) = s.toml {
                assert_eq!(Known::by_toml_key(key).unwrap().var(), s.var);
            }
        }
        let known = Known::by_toml_key("providers.langfuse.secret_key").unwrap();
        assert_eq!(known.var(), "LANGFUSE_SECRET_KEY");
        assert!(known.secret());
        assert!(Known::by_toml_key("providers.langfuse.nope").is_none());
    }

    #[test]
    fn every_provider_has_a_mask_setting_with_a_toml_key() {
        let names = crate::presets::provider_names();
        assert_eq!(presets::mask_vars().count(), names.len());
        for name in names {
            let var = provider_mask_var(name).unwrap_or_else(|| panic!("{name}"));
            assert!(is_mask_mode(var));
            let toml = format!("providers.{name}.mask");
            assert_eq!(Known::by_toml_key(&toml).map(|k| k.var()), Some(var));
        }
        assert!(is_mask_mode(MASK) && !is_mask_mode(MASK_KEEP));
    }

    #[test]
    fn secret_looking_names() {
        assert!(looks_secret("OPENAI_API_KEY"));
        assert!(looks_secret("LANGFUSE_PUBLIC_KEY"));
        assert!(!looks_secret("LANGFUSE_HOST"));
        assert!(!looks_secret("AUTOMAGIK_SAMPLE_RATE"));
    }
}
