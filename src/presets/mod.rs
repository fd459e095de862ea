//! The provider table of DESIGN.md, one row per provider: the variables that configure
//! it, where its traces go, how its keys travel (headers), the variable of its mask mode,
//! the signals it accepts, and what the hints after a failure name. Everything else that
//! knows about providers (the loader, the OTLP exporter, the hints, `configure`, the
//! command line's value lists, `status`) reads this table: adding a provider is one row.
//!
//! Near a leaf: it imports only `mask::url` (to show a URL without its secrets), so
//! `config` and `export` both use it without a cycle.
//! Provider keys are the providers' own variable names, so an existing `.env` works.
//!
//! Split by what changes together: the row types and the lookups here, the rows in
//! `table`, the signals in `signal`, and base URLs in `base_url`.

mod base_url;
mod signal;
mod table;

pub use base_url::{BaseUrl, normalize_base_url};
pub use signal::{ALL_SIGNALS, Signal, Signals, TRACES_ONLY};
pub use table::PRESETS;

/// One variable of a provider, with the short name `configure --set` and `tracing.toml` use.
#[derive(Debug)]
pub struct KeySpec {
    /// Short name: `--set secret_key=...`, `[providers.langfuse] secret_key = ...`.
    pub short: &'static str,
    /// The provider's own environment variable.
    pub var: &'static str,
    /// Never printed in full, and the file that holds it is written 0600.
    pub secret: bool,
    /// The provider is active only when every required key has a value.
    pub required: bool,
    /// Used when the key is unset (base URLs).
    pub default: Option<&'static str>,
    /// One line for `--help`, the wizard and `.env.example`.
    pub help: &'static str,
}

/// A provider preset: one row of the table.
#[derive(Debug)]
pub struct Preset {
    /// The name users write (`--provider langfuse`, `AUTOMAGIK_OBSERVABILITY_PROVIDERS`).
    pub name: &'static str,
    /// The name people read (`Langfuse`).
    pub title: &'static str,
    /// Its variables, in the order `status`, the wizard and `.env.example` show them.
    pub keys: &'static [KeySpec],
    /// Short name of the key that holds the base URL.
    pub base_key: &'static str,
    /// Path appended to the base URL.
    pub traces_path: &'static str,
    /// Request bodies are gzip-compressed (for `otlp`, `OTEL_EXPORTER_OTLP_COMPRESSION` decides).
    pub gzip: bool,
    /// The headers every request carries, made from the keys.
    pub headers: &'static [Header],
    /// `AUTOMAGIK_MASK_<PROVIDER>`: its mask mode, over `AUTOMAGIK_MASK`.
    pub mask_var: &'static str,
    /// The same in `tracing.toml`.
    pub mask_toml: &'static str,
    /// What it accepts besides traces.
    pub signals: Signals,
    /// What a hint names for "where it sends", when that is more than the base key.
    pub endpoint_hint: Option<&'static str>,
    /// The variable naming a CA file to trust, when the provider has one.
    pub certificate_var: Option<&'static str>,
    /// The base URL variable is the provider's own SDK's too, and may hold what is no
    /// HTTP URL there (`MLFLOW_TRACKING_URI=databricks`, `file:./mlruns`): such a value
    /// leaves this provider off with a warning instead of failing every command.
    pub shared_base: bool,
    /// The attributes this backend reads that the engine adds to each span after masking
    /// (never overwriting one the span has): see `profile`.
    pub profile: Profile,
}

/// Which backend's attribute names a provider's spans get added, derived from what the
/// spans mean (`semantic::read`), so a span of any dialect shows at its best there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Nothing is added: the backend reads the OpenTelemetry GenAI attributes.
    #[default]
    Plain,
    /// Phoenix / Arize: OpenInference (`openinference.span.kind`, `llm.*`, `tool.name`...).
    OpenInference,
    /// Langfuse: `langfuse.observation.type`, session, user, model.
    Langfuse,
    /// LangSmith: `langsmith.span.kind`, session and user metadata.
    LangSmith,
    /// MLflow: its span type.
    MLflow,
}

/// One header of a provider's requests. A header whose key is empty is not sent.
#[derive(Debug)]
pub enum Header {
    /// `name: <key>`.
    Key(&'static str, &'static str),
    /// `name: Bearer <key>`.
    Bearer(&'static str, &'static str),
    /// `name: Basic base64(<user key>:<password key>)`.
    Basic(&'static str, &'static str, &'static str),
    /// `name: value`, always.
    Fixed(&'static str, &'static str),
    /// The key holds `k=v,k2=v2` (URL-encoded values), as `OTEL_EXPORTER_OTLP_HEADERS`.
    List(&'static str),
}

/// The name of the always-available local store provider.
pub const LOCAL: &str = "local";
/// The local store's mask mode variable.
pub const LOCAL_MASK_VAR: &str = "AUTOMAGIK_MASK_LOCAL";
/// The local store's mask mode in `tracing.toml`.
pub const LOCAL_MASK_TOML: &str = "providers.local.mask";
/// The local store keeps every signal.
pub const LOCAL_SIGNALS: Signals = ALL_SIGNALS;

/// Every provider name, `local` included, for messages and completions.
pub fn provider_names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).chain([LOCAL]).collect()
}

/// Each provider's mask variable, `local` included: (provider, variable, `tracing.toml` key).
pub fn mask_vars() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    PRESETS
        .iter()
        .map(|p| (p.name, p.mask_var, p.mask_toml))
        .chain([(LOCAL, LOCAL_MASK_VAR, LOCAL_MASK_TOML)])
}

/// The signals a provider accepts (`local` keeps all of them).
pub fn signals(name: &str) -> Option<Signals> {
    match name {
        LOCAL => Some(LOCAL_SIGNALS),
        _ => preset(name).map(|p| p.signals),
    }
}

/// The row of a remote provider by name; `None` for `local` and unknown names.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

impl Preset {
    /// The key with this short name (`secret_key`, `host`...).
    pub fn key(&self, short: &str) -> Option<&'static KeySpec> {
        self.keys.iter().find(|k| k.short == short)
    }

    /// The key that must be present for an endpoint to exist: the first required one, or
    /// for `otlp` the endpoint itself.
    pub fn primary_key(&self) -> &'static KeySpec {
        self.keys
            .iter()
            .find(|k| k.required)
            .unwrap_or(&self.keys[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_its_base_key_and_a_primary_key() {
        for preset in PRESETS {
            assert!(preset.key(preset.base_key).is_some(), "{}", preset.name);
            let _ = preset.primary_key();
        }
        assert_eq!(
            preset("langfuse").unwrap().primary_key().var,
            "LANGFUSE_PUBLIC_KEY"
        );
    }

    #[test]
    fn every_row_is_consistent() {
        for preset in PRESETS {
            let name = preset.name;
            for header in preset.headers {
                let keys: &[&str] = match header {
                    Header::Key(_, k) | Header::Bearer(_, k) | Header::List(k) => &[*k][..],
                    Header::Basic(_, user, password) => &[*user, *password][..],
                    Header::Fixed(..) => &[],
                };
                for key in keys {
                    assert!(preset.key(key).is_some(), "{name}: header key {key}");
                }
            }
            assert_eq!(
                preset.mask_var,
                format!("AUTOMAGIK_MASK_{}", name.to_ascii_uppercase()),
            );
            assert_eq!(preset.mask_toml, format!("providers.{name}.mask"));
            assert!(preset.signals.traces, "{name}");
            let secret_keys = preset.keys.iter().filter(|k| k.secret).count();
            assert!(
                secret_keys > 0,
                "{name}: a hint after 401 names its secret keys"
            );
        }
        let names = provider_names();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
    }
}
