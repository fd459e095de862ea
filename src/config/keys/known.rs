//! What a `tracing.toml` key or an environment variable name stands for: one of the tool's
//! settings, or a provider's key from the preset table.

use super::{Kind, SETTINGS, SettingKey};
use crate::presets::{KeySpec, PRESETS, Preset};

/// What a `tracing.toml` key or an environment variable name stands for.
#[derive(Debug, Clone, Copy)]
pub enum Known {
    /// One of the tool's own settings.
    Setting(&'static SettingKey),
    /// A provider's key (from the preset table), with the provider it belongs to.
    ProviderKey(&'static Preset, &'static KeySpec),
}

impl Known {
    /// The environment variable it is read from.
    pub fn var(&self) -> &'static str {
        match self {
            Known::Setting(s) => s.var,
            Known::ProviderKey(_, k) => k.var,
        }
    }

    /// How its value is parsed; provider keys are always text.
    pub fn kind(&self) -> Kind {
        match self {
            Known::Setting(s) => s.kind,
            Known::ProviderKey(..) => Kind::Text,
        }
    }

    /// Whether the value is a secret (never printed in full, its file written 0600).
    pub fn secret(&self) -> bool {
        matches!(self, Known::ProviderKey(_, k) if k.secret)
    }

    /// The dotted `tracing.toml` key, if the setting has one.
    pub fn toml_key(&self) -> Option<String> {
        match self {
            Known::Setting(s) => s.toml.map(str::to_string),
            Known::ProviderKey(p, k) => Some(format!("providers.{}.{}", p.name, k.short)),
        }
    }

    /// The setting or provider key read from `var`, if it is one the tool knows.
    pub fn by_var(var: &str) -> Option<Known> {
        if let Some(s) = SETTINGS.iter().find(|s| s.var == var) {
            return Some(Known::Setting(s));
        }
        PRESETS.iter().find_map(|p| {
            p.keys
                .iter()
                .find(|k| k.var == var)
                .map(|k| Known::ProviderKey(p, k))
        })
    }

    /// The setting or provider key a dotted `tracing.toml` key stands for
    /// (`providers.langfuse.secret_key` included), if any.
    pub fn by_toml_key(dotted: &str) -> Option<Known> {
        if let Some(s) = SETTINGS.iter().find(|s| s.toml == Some(dotted)) {
            return Some(Known::Setting(s));
        }
        let rest = dotted.strip_prefix("providers.")?;
        let (name, short) = rest.split_once('.')?;
        let preset = PRESETS.iter().find(|p| p.name == name)?;
        preset.key(short).map(|k| Known::ProviderKey(preset, k))
    }
}
