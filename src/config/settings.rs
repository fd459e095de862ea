//! The resolved settings: both layers' on/off decision with its reason, every provider
//! with its endpoint and keys, and the tunables, each value carrying its source. The on/off
//! decisions (CI, the common switches, each layer's own) are made in `switches`.

use self::switches::{
    common_reason_off, decide, detect_ci, flag_value, resolve_telemetry, unreadable_switch,
};
use super::Paths;
use super::keys::*;
use super::masking::MaskSettings;
use super::placeholder::Placeholder;
use super::providers::{Found, resolve_providers};
use super::resolver::{Invalid, Resolver};
use super::source::{Layers, Source, Sourced};
use super::values::{parse_provider_list, parse_rate, parse_u64};
use crate::error::Result;
use crate::mask::{MaskMode, MaskPlan};
use crate::presets::KeySpec;

mod switches;

pub use self::switches::CI_VARS;

/// Where telemetry goes unless `AUTOMAGIK_TELEMETRY_ENDPOINT` says otherwise.
pub const DEFAULT_TELEMETRY_ENDPOINT: &str = "https://telemetry.namastex.ai/v1/traces";

/// Everything the tool needs to know, resolved once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config and data dirs and the `.env` file, with their sources.
    pub paths: Paths,
    /// The CI variable that was detected, if any.
    pub ci: Option<String>,
    /// The observability layer: its switch, the providers, sampling and masking.
    pub observability: Observability,
    /// The anonymous usage-telemetry layer: its switch and endpoint.
    pub telemetry: Telemetry,
    /// Queue, flush, spool and store bounds.
    pub limits: Limits,
    /// Things the user should know: reduced URLs, unknown TOML keys, providers named but
    /// not configured, an unreadable telemetry switch.
    pub warnings: Vec<String>,
    /// Values that could not be read, each replaced by a fallback that never widens what
    /// leaves the machine. Only [`Settings::resolve_all`] returns settings with any.
    pub invalid: Vec<Invalid>,
    /// Provider keys set to a placeholder (or empty), which count as unset.
    pub placeholders: Vec<Placeholder>,
}

/// A layer's on/off decision and the reason, in words (`off: DO_NOT_TRACK=1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    /// Whether the layer is on.
    pub enabled: bool,
    /// Why, in words, naming the deciding variable (`off: DO_NOT_TRACK=1`).
    pub reason: String,
}

/// The observability layer as resolved: whether it is on and what it sends where.
#[derive(Debug, Clone)]
pub struct Observability {
    /// Whether observability is on, and why.
    pub switch: Switch,
    /// Every provider of the preset table, configured or not, active or not.
    pub providers: Vec<ProviderConfig>,
    /// `AUTOMAGIK_OBSERVABILITY_PROVIDERS`, when set.
    pub filter: Option<Sourced<Vec<String>>>,
    /// `AUTOMAGIK_SAMPLE_RATE`, the share of traces kept (`0.0` to `1.0`).
    pub sample_rate: Sourced<f64>,
    /// `AUTOMAGIK_SLOW_THRESHOLD_MS`: spans at least this long are kept, sampled or not.
    pub slow_threshold_ms: Sourced<u64>,
    /// `AUTOMAGIK_MASK` and `AUTOMAGIK_MASK_KEEP` (each provider's mode is in its config).
    pub mask: MaskSettings,
}

impl Observability {
    /// The providers that will receive traces.
    pub fn active(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().filter(|p| p.active)
    }

    /// The provider of that name (`otlp`, `langfuse`, ...), configured or not.
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// Which mask mode each provider's exporter gets, for the engine.
    pub fn mask_plan(&self) -> MaskPlan {
        MaskPlan {
            default: self.mask.mode.value,
            providers: self
                .providers
                .iter()
                .map(|p| (p.name.to_string(), p.mask.value))
                .collect(),
            keep: self.mask.keep.value.clone(),
        }
    }
}

/// One provider as configured: its keys, where it sends, and whether it is active.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider's name in the preset table (`langfuse`, `otlp`, `local`, ...).
    pub name: &'static str,
    /// Its display name (`Langfuse`).
    pub title: &'static str,
    /// All required keys are present.
    pub configured: bool,
    /// It will receive traces: observability is on, it is configured (or is `local` by
    /// default) and the provider filter lets it through.
    pub active: bool,
    /// Why it is (in)active, in words.
    pub note: String,
    /// The traces URL; for `local`, the store directory.
    pub endpoint: Option<String>,
    /// Where the provider's configuration came from (its primary key's source).
    pub source: Option<Source>,
    /// Each of the provider's keys, in the preset's order, with its value when set.
    pub keys: Vec<ProviderKey>,
    /// What of the spans' content it receives (`AUTOMAGIK_MASK_<PROVIDER>`, else
    /// `AUTOMAGIK_MASK`).
    pub mask: Sourced<MaskMode>,
}

impl ProviderConfig {
    /// The value of the key with this short name, if set.
    pub fn value(&self, short: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.spec.short == short)
            .and_then(|k| k.value.as_ref())
            .map(|v| v.value.as_str())
    }
}

/// One of a provider's keys and its value.
#[derive(Debug, Clone)]
pub struct ProviderKey {
    /// The key's row in the preset table (its variable, short name, whether it is secret).
    pub spec: &'static KeySpec,
    /// Its value and source; `None` when unset or a placeholder.
    pub value: Option<Sourced<String>>,
}

/// The telemetry layer as resolved.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// Whether telemetry is on, and why.
    pub switch: Switch,
    /// `AUTOMAGIK_TELEMETRY_ENDPOINT`, where the events are posted.
    pub endpoint: Sourced<String>,
    /// `AUTOMAGIK_TELEMETRY_DEBUG`: print events instead of sending them.
    pub debug: Sourced<bool>,
    /// Why telemetry counts as off when one of its settings cannot be read: a warning
    /// for every command that would have recorded events.
    pub unreadable: Option<String>,
}

/// The bounds on what the tool holds in memory and on disk, and how long it waits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `AUTOMAGIK_QUEUE_MAX_SPANS`: spans the engine holds in memory at most.
    pub queue_max_spans: Sourced<u64>,
    /// `AUTOMAGIK_QUEUE_MAX_BYTES`: bytes of spans the engine holds in memory at most.
    pub queue_max_bytes: Sourced<u64>,
    /// `AUTOMAGIK_FLUSH_TIMEOUT`: seconds allowed for delivery at exit.
    pub flush_timeout_secs: Sourced<u64>,
    /// `AUTOMAGIK_SPOOL_MAX_BYTES`: the spool's cap per exporter, in bytes.
    pub spool_max_bytes: Sourced<u64>,
    /// `AUTOMAGIK_STORE_MAX_BYTES`: the local trace store's cap, in bytes.
    pub store_max_bytes: Sourced<u64>,
    /// `AUTOMAGIK_STORE_MAX_AGE_DAYS`: days a local store file is kept.
    pub store_max_age_days: Sourced<u64>,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, in bytes.
    pub attribute_value_length_limit: Sourced<u64>,
}

const MIB: u64 = 1024 * 1024;

impl Settings {
    /// Resolves every setting from `layers`; the first malformed value is an error
    /// naming it, where it was set and what is accepted.
    pub fn resolve(layers: &Layers, paths: Paths) -> Result<Settings> {
        let settings = Settings::resolve_all(layers, paths);
        match settings.invalid.first() {
            Some(invalid) => Err(invalid.to_error()),
            None => Ok(settings),
        }
    }

    /// Resolves every setting, never stopping at a bad value: each is listed in
    /// [`Settings::invalid`] and replaced by its safe fallback (for `status`).
    pub fn resolve_all(layers: &Layers, paths: Paths) -> Settings {
        let mut warnings = layers
            .toml
            .as_ref()
            .map(|t| t.warnings.clone())
            .unwrap_or_default();
        let mut r = Resolver::new(layers);
        let ci = detect_ci(layers);
        let disable_all = flag_value(&mut r, DISABLE_ALL);
        let in_ci = flag_value(&mut r, ENABLE_IN_CI);
        let common_off = common_reason_off(ci.as_deref(), &disable_all, &in_ci);
        let kill = flag_value(&mut r, OTEL_SDK_DISABLED);
        let enabled = flag_value(&mut r, OBSERVABILITY_ENABLED);
        let observability_switch = match unreadable_switch(&r) {
            // Off while a switch cannot be read: an error never widens what leaves.
            Some(error) => Switch {
                enabled: false,
                reason: format!("off: {error}"),
            },
            None => decide(common_off.clone(), kill, enabled, ci.as_deref()),
        };
        let telemetry = resolve_telemetry(layers, common_off, ci.as_deref(), &mut warnings);

        // An unreadable list names no provider: nothing goes where it was not meant to.
        let filter = layers.lookup(OBSERVABILITY_PROVIDERS).map(|_| {
            r.or_default(
                OBSERVABILITY_PROVIDERS,
                Vec::new(),
                Vec::new(),
                parse_provider_list,
            )
        });
        let mask = MaskSettings::resolve(&mut r);
        let mut found = Found::default();
        let providers = resolve_providers(
            &mut r,
            &paths,
            observability_switch.enabled,
            filter.as_ref(),
            &mask,
            &mut found,
        );
        warnings.append(&mut found.warnings);
        // An unreadable rate keeps every trace: sampling is not a privacy control.
        let sample_rate = r.or_default(SAMPLE_RATE, 1.0, 1.0, parse_rate);
        let limits = Limits::resolve(&mut r);
        let slow_threshold_ms = number(&mut r, SLOW_THRESHOLD_MS, 1000);
        Settings {
            ci,
            observability: Observability {
                switch: observability_switch,
                providers,
                filter,
                sample_rate,
                slow_threshold_ms,
                mask,
            },
            telemetry,
            limits,
            paths,
            warnings,
            invalid: r.invalid,
            placeholders: found.placeholders,
        }
    }
}

impl Limits {
    fn resolve(r: &mut Resolver) -> Limits {
        Limits {
            queue_max_spans: number(r, QUEUE_MAX_SPANS, 100_000),
            queue_max_bytes: number(r, QUEUE_MAX_BYTES, 50 * MIB),
            flush_timeout_secs: number(r, FLUSH_TIMEOUT, 5),
            spool_max_bytes: number(r, SPOOL_MAX_BYTES, 200 * MIB),
            store_max_bytes: number(r, STORE_MAX_BYTES, 100 * MIB),
            store_max_age_days: number(r, STORE_MAX_AGE_DAYS, 14),
            attribute_value_length_limit: number(r, ATTRIBUTE_VALUE_LENGTH_LIMIT, 64 * 1024),
        }
    }
}

/// A whole-number setting; an unreadable one counts as its default while reported.
fn number(r: &mut Resolver, var: &str, default: u64) -> Sourced<u64> {
    r.or_default(var, default, default, parse_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths {
            env_file: ".env".into(),
            env_file_exists: false,
            config_dir: Sourced::default("/c".into()),
            data_dir: Sourced::default("/d".into()),
        }
    }

    #[test]
    fn unreadable_values_never_widen_what_leaves() {
        let mut layers = Layers::default();
        for (var, value) in [
            ("LANGFUSE_PUBLIC_KEY", "pk-lf-1234567890"),
            ("LANGFUSE_SECRET_KEY", "sk-lf-1234567890"),
            (OBSERVABILITY_PROVIDERS, "langfuse,datadog"),
            (MASK, "contents"),
        ] {
            layers.env.insert(var.into(), value.into());
        }
        let settings = Settings::resolve_all(&layers, paths());
        assert_eq!(settings.invalid.len(), 2, "{:?}", settings.invalid);
        let obs = &settings.observability;
        assert_eq!(obs.mask.mode.value, MaskMode::Content);
        let active: Vec<_> = obs.active().map(|p| p.name).collect();
        assert_eq!(active, ["local"], "a bad provider list names none");
        assert!(Settings::resolve(&layers, paths()).is_err());

        layers
            .env
            .insert(OBSERVABILITY_ENABLED.into(), "perhaps".into());
        let settings = Settings::resolve_all(&layers, paths());
        assert!(!settings.observability.switch.enabled);
        assert!(
            settings.telemetry.switch.enabled,
            "telemetry has its own switches"
        );
    }

    #[test]
    fn an_unreadable_telemetry_switch_is_a_warning_not_an_error() {
        let mut layers = Layers::default();
        layers.env.insert(DO_NOT_TRACK.into(), "maybe".into());
        let settings = Settings::resolve(&layers, paths()).unwrap();
        assert!(!settings.telemetry.switch.enabled);
        assert!(
            settings
                .telemetry
                .switch
                .reason
                .contains("`DO_NOT_TRACK` is `maybe`")
        );
        assert!(settings.telemetry.unreadable.is_some());
        assert!(settings.observability.switch.enabled);
    }
}
