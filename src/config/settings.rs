//! The resolved settings: both layers' on/off decision with its reason, every provider
//! with its endpoint and keys, and the tunables, each value carrying its source.

use super::Paths;
use super::keys::*;
use super::masking::MaskSettings;
use super::source::{Layers, Raw, Sourced};
use super::values::{
    parse_bool, parse_bool_text, parse_provider_list, parse_rate, parse_u64, parse_url,
    setting_text,
};
use crate::error::Result;
use crate::mask::{MaskMode, MaskPlan};
use crate::presets::{self, KeySpec, PRESETS, Preset};

/// Variables whose presence means "running in CI" (`CI=false` means not).
pub const CI_VARS: &[&str] = &[
    "CI",
    "GITHUB_ACTIONS",
    "BUILD_ID",
    "BUILD_NUMBER",
    "CONTINUOUS_INTEGRATION",
    "RUN_ID",
    "CI_NAME",
    "TF_BUILD",
    "JENKINS_URL",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "TRAVIS",
];

pub const DEFAULT_TELEMETRY_ENDPOINT: &str = "https://telemetry.namastex.ai/v1/traces";

/// Everything the tool needs to know, resolved once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub paths: Paths,
    /// The CI variable that was detected, if any.
    pub ci: Option<String>,
    pub observability: Observability,
    pub telemetry: Telemetry,
    pub limits: Limits,
    /// Things the user should know: reduced URLs, unknown TOML keys, providers named but
    /// not configured.
    pub warnings: Vec<String>,
}

/// A layer's on/off decision and the reason, in words (`off: DO_NOT_TRACK=1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    pub enabled: bool,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Observability {
    pub switch: Switch,
    pub providers: Vec<ProviderConfig>,
    /// `AUTOMAGIK_OBSERVABILITY_PROVIDERS`, when set.
    pub filter: Option<Sourced<Vec<String>>>,
    pub sample_rate: Sourced<f64>,
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
    pub name: &'static str,
    pub title: &'static str,
    /// All required keys are present.
    pub configured: bool,
    pub active: bool,
    /// Why it is (in)active, in words.
    pub note: String,
    /// The traces URL; for `local`, the store directory.
    pub endpoint: Option<String>,
    /// Where the provider's configuration came from (its primary key's source).
    pub source: Option<super::source::Source>,
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

#[derive(Debug, Clone)]
pub struct ProviderKey {
    pub spec: &'static KeySpec,
    pub value: Option<Sourced<String>>,
}

#[derive(Debug, Clone)]
pub struct Telemetry {
    pub switch: Switch,
    pub endpoint: Sourced<String>,
    /// `AUTOMAGIK_TELEMETRY_DEBUG`: print events instead of sending them.
    pub debug: Sourced<bool>,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub queue_max_spans: Sourced<u64>,
    pub queue_max_bytes: Sourced<u64>,
    pub flush_timeout_secs: Sourced<u64>,
    pub spool_max_bytes: Sourced<u64>,
    pub store_max_bytes: Sourced<u64>,
    pub store_max_age_days: Sourced<u64>,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, in bytes.
    pub attribute_value_length_limit: Sourced<u64>,
}

const MIB: u64 = 1024 * 1024;

impl Settings {
    /// Resolves every setting from `layers`; a malformed value is an error naming it.
    pub fn resolve(layers: &Layers, paths: Paths) -> Result<Settings> {
        let mut warnings = layers
            .toml
            .as_ref()
            .map(|t| t.warnings.clone())
            .unwrap_or_default();
        let ci = detect_ci(layers);
        let disable_all = flag_value(layers, DISABLE_ALL)?;
        let in_ci = flag_value(layers, ENABLE_IN_CI)?;
        let common_off = common_reason_off(ci.as_deref(), &disable_all, &in_ci);

        let observability_switch = decide(
            common_off.clone(),
            flag_value(layers, OTEL_SDK_DISABLED)?,
            flag_value(layers, OBSERVABILITY_ENABLED)?,
            ci.as_deref(),
        );
        let telemetry_switch = decide(
            common_off,
            flag_value(layers, DO_NOT_TRACK)?,
            flag_value(layers, TELEMETRY_ENABLED)?,
            ci.as_deref(),
        );

        let filter = match layers.lookup(OBSERVABILITY_PROVIDERS) {
            Some(raw) => Some(raw.sourced(parse_provider_list(&raw)?)),
            None => None,
        };
        let mask = MaskSettings::resolve(layers)?;
        let providers = resolve_providers(
            layers,
            &paths,
            observability_switch.enabled,
            filter.as_ref(),
            &mask,
            &mut warnings,
        )?;

        let telemetry_endpoint = match layers.lookup(TELEMETRY_ENDPOINT) {
            Some(raw) => raw.sourced(parse_url(&raw)?),
            None => Sourced::default(DEFAULT_TELEMETRY_ENDPOINT.to_string()),
        };
        let sample_rate = match layers.lookup(SAMPLE_RATE) {
            Some(raw) => raw.sourced(parse_rate(&raw)?),
            None => Sourced::default(1.0),
        };
        let number = |var: &str, default: u64| -> Result<Sourced<u64>> {
            match layers.lookup(var) {
                Some(raw) => Ok(raw.sourced(parse_u64(&raw)?)),
                None => Ok(Sourced::default(default)),
            }
        };
        let limits = Limits {
            queue_max_spans: number(QUEUE_MAX_SPANS, 100_000)?,
            queue_max_bytes: number(QUEUE_MAX_BYTES, 50 * MIB)?,
            flush_timeout_secs: number(FLUSH_TIMEOUT, 5)?,
            spool_max_bytes: number(SPOOL_MAX_BYTES, 200 * MIB)?,
            store_max_bytes: number(STORE_MAX_BYTES, 100 * MIB)?,
            store_max_age_days: number(STORE_MAX_AGE_DAYS, 14)?,
            attribute_value_length_limit: number(ATTRIBUTE_VALUE_LENGTH_LIMIT, 64 * 1024)?,
        };
        Ok(Settings {
            ci,
            observability: Observability {
                switch: observability_switch,
                providers,
                filter,
                sample_rate,
                slow_threshold_ms: number(SLOW_THRESHOLD_MS, 1000)?,
                mask,
            },
            telemetry: Telemetry {
                switch: telemetry_switch,
                endpoint: telemetry_endpoint,
                debug: match flag_value(layers, TELEMETRY_DEBUG)? {
                    Some((value, raw)) => raw.sourced(value),
                    None => Sourced::default(false),
                },
            },
            limits,
            paths,
            warnings,
        })
    }
}

/// A boolean setting with the raw value it came from, so reasons can quote it.
fn flag_value(layers: &Layers, var: &str) -> Result<Option<(bool, Raw)>> {
    match layers.lookup(var) {
        Some(raw) => Ok(Some((parse_bool(&raw)?, raw))),
        None => Ok(None),
    }
}

/// The CI variable that is set, if any; `CI=false` (or 0/no/off) means not CI.
///
/// Only the process environment counts: a project's `.env` describes the project, not
/// the machine it runs on. Only `CI` itself has the "false means not CI" reading; any
/// value of the other markers (`BUILD_ID=0` included) means CI.
pub fn detect_ci(layers: &Layers) -> Option<String> {
    CI_VARS.iter().find_map(|var| {
        let value = layers.env.get(*var).filter(|v| !v.is_empty())?;
        let not_ci = *var == "CI" && parse_bool_text(value) == Some(false);
        (!not_ci).then(|| var.to_string())
    })
}

/// Why both layers are off, if something turns both off.
fn common_reason_off(
    ci: Option<&str>,
    disable_all: &Option<(bool, Raw)>,
    in_ci: &Option<(bool, Raw)>,
) -> Option<String> {
    if let Some((true, raw)) = disable_all {
        return Some(format!("off: {}", setting_text(raw)));
    }
    let allowed_in_ci = matches!(in_ci, Some((true, _)));
    match ci {
        Some(var) if !allowed_in_ci => Some(format!(
            "off: CI detected ({var}); set {ENABLE_IN_CI}=true to keep it on"
        )),
        _ => None,
    }
}

/// One layer's decision: the common switches, then its own kill switch (`DO_NOT_TRACK` or
/// `OTEL_SDK_DISABLED`), then its `enabled` setting, then on by default.
fn decide(
    common_off: Option<String>,
    kill: Option<(bool, Raw)>,
    enabled: Option<(bool, Raw)>,
    ci: Option<&str>,
) -> Switch {
    let off = |reason: String| Switch {
        enabled: false,
        reason,
    };
    if let Some(reason) = common_off {
        return off(reason);
    }
    if let Some((true, raw)) = &kill {
        return off(format!("off: {}", setting_text(raw)));
    }
    let ci_note = ci
        .map(|var| format!(" (CI detected: {var}, kept on by {ENABLE_IN_CI})"))
        .unwrap_or_default();
    match enabled {
        Some((false, raw)) => off(format!("off: {}", setting_text(&raw))),
        Some((true, raw)) => Switch {
            enabled: true,
            reason: format!("on: {}{ci_note}", setting_text(&raw)),
        },
        None => Switch {
            enabled: true,
            reason: format!("on: default{ci_note}"),
        },
    }
}

fn resolve_providers(
    layers: &Layers,
    paths: &Paths,
    enabled: bool,
    filter: Option<&Sourced<Vec<String>>>,
    mask: &MaskSettings,
    warnings: &mut Vec<String>,
) -> Result<Vec<ProviderConfig>> {
    let named = |name: &str| filter.is_none_or(|f| f.value.iter().any(|n| n == name));
    let mut providers = Vec::new();
    for preset in PRESETS {
        let keys: Vec<ProviderKey> = preset
            .keys
            .iter()
            .map(|spec| ProviderKey {
                spec,
                value: layers
                    .lookup(spec.var)
                    .map(|raw| raw.sourced(raw.value.clone())),
            })
            .collect();
        let missing: Vec<&str> = keys
            .iter()
            .filter(|k| k.spec.required && k.value.is_none())
            .map(|k| k.spec.var)
            .collect();
        let endpoint = endpoint(preset, layers, warnings)?;
        let configured = missing.is_empty() && endpoint.is_some();
        let source_var = match preset.name {
            "otlp"
                if layers
                    .lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                    .is_some() =>
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
            }
            _ => preset.primary_key().var,
        };
        let source = keys
            .iter()
            .find(|k| k.spec.var == source_var)
            .and_then(|k| k.value.as_ref())
            .map(|v| v.source.clone());
        let (active, note) = match (configured, named(preset.name), enabled) {
            (true, true, true) => (true, "active".to_string()),
            (true, true, false) => (false, "configured; observability is off".to_string()),
            (true, false, _) => (
                false,
                format!("configured, but not named in {OBSERVABILITY_PROVIDERS}"),
            ),
            (false, _, _) => {
                let what = if missing.is_empty() {
                    match preset.endpoint_hint {
                        Some(hint) => hint.to_string(),
                        None => preset
                            .key(preset.base_key)
                            .map_or("", |k| k.var)
                            .to_string(),
                    }
                } else {
                    missing.join(", ")
                };
                if filter.is_some() && named(preset.name) {
                    warnings.push(format!(
                        "{OBSERVABILITY_PROVIDERS} names `{}`, but {what} is not set",
                        preset.name
                    ));
                }
                (false, format!("not configured: set {what}"))
            }
        };
        providers.push(ProviderConfig {
            name: preset.name,
            title: preset.title,
            configured,
            active,
            note,
            endpoint,
            source,
            keys,
            mask: mask.for_provider(layers, preset.name)?,
        });
    }
    let local_mask = mask.for_provider(layers, presets::LOCAL)?;
    providers.push(local_provider(
        paths, enabled, filter, &providers, local_mask,
    ));
    Ok(providers)
}

fn local_provider(
    paths: &Paths,
    enabled: bool,
    filter: Option<&Sourced<Vec<String>>>,
    remotes: &[ProviderConfig],
    mask: Sourced<MaskMode>,
) -> ProviderConfig {
    let named = filter.filter(|f| f.value.iter().any(|n| n == presets::LOCAL));
    let no_remote = !remotes.iter().any(|p| p.active);
    let (active, note, source) = match (enabled, named, no_remote) {
        (false, _, _) => (false, "observability is off".to_string(), None),
        (true, Some(f), _) => (
            true,
            format!("active: named in {OBSERVABILITY_PROVIDERS}"),
            Some(f.source.clone()),
        ),
        (true, None, true) => (
            true,
            "active: no other provider is configured, traces stay on this machine".to_string(),
            Some(super::source::Source::Default),
        ),
        (true, None, false) => (
            false,
            format!(
                "another provider is active; add `local` to {OBSERVABILITY_PROVIDERS} to keep a copy"
            ),
            None,
        ),
    };
    ProviderConfig {
        name: presets::LOCAL,
        title: "Local trace store",
        configured: true,
        active,
        note,
        endpoint: Some(paths.store_dir().display().to_string()),
        source,
        keys: Vec::new(),
        mask,
    }
}

fn is_http(value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    value.starts_with("http://") || value.starts_with("https://")
}

/// The traces URL of a preset, `None` when it cannot have one (otlp without endpoint).
fn endpoint(
    preset: &Preset,
    layers: &Layers,
    warnings: &mut Vec<String>,
) -> Result<Option<String>> {
    if preset.name == "otlp"
        && let Some(raw) = layers.lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    {
        return parse_url(&raw).map(Some);
    }
    let spec = preset
        .key(preset.base_key)
        .expect("preset table lists its base key");
    let (value, raw) = match layers.lookup(spec.var) {
        Some(raw) => (raw.value.clone(), Some(raw)),
        None => match spec.default {
            Some(default) => (default.to_string(), None),
            None => return Ok(None),
        },
    };
    if preset.shared_base && !is_http(&value) {
        if let Some(raw) = &raw {
            warnings.push(format!(
                "{} is not an http(s) URL, so the {} provider is off; set it to your server's URL (e.g. http://localhost:5000) to send traces there",
                raw.describe(),
                preset.name
            ));
        }
        return Ok(None);
    }
    let base = presets::normalize_base_url(&value).map_err(|why| {
        let name = raw
            .as_ref()
            .map_or_else(|| format!("`{}`", spec.var), Raw::describe);
        crate::error::Error::bad_input(format!("{name}: {why}"))
    })?;
    if let (Some(original), Some(raw)) = (&base.reduced_from, &raw) {
        warnings.push(format!(
            "{} is `{original}`, which carries an ingestion path; using its origin. Write {}={} instead",
            raw.describe(),
            spec.var,
            base.url
        ));
    }
    Ok(Some(format!("{}{}", base.url, preset.traces_path)))
}
