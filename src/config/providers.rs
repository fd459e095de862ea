//! Resolving the providers: each preset's keys (placeholders count as unset), its traces
//! URL, whether it is active and why, and its mask mode; then the local store.

use super::Paths;
use super::keys::{LOCAL_COPY, OBSERVABILITY_PROVIDERS};
use super::masking::MaskSettings;
use super::placeholder::{Placeholder, first_real};
use super::resolver::Resolver;
use super::settings::{ProviderConfig, ProviderKey};
use super::source::{Raw, Source, Sourced};
use super::values::parse_url;
use crate::error::Error;
use crate::mask::MaskMode;
use crate::presets::{self, PRESETS, Preset};

const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

/// What the providers' resolution found besides the providers.
#[derive(Default)]
pub struct Found {
    pub warnings: Vec<String>,
    pub placeholders: Vec<Placeholder>,
}

pub fn resolve_providers(
    r: &mut Resolver,
    paths: &Paths,
    enabled: bool,
    filter: Option<&Sourced<Vec<String>>>,
    mask: &MaskSettings,
    found: &mut Found,
) -> Vec<ProviderConfig> {
    let mut providers = Vec::new();
    for preset in PRESETS {
        let mut raws = Vec::new();
        let keys: Vec<ProviderKey> = preset
            .keys
            .iter()
            .map(|spec| {
                let (raw, skipped) =
                    first_real(r.layers.candidates(spec.var), spec.default.is_none());
                found.placeholders.extend(skipped);
                let value = raw.as_ref().map(|raw| raw.sourced(raw.value.clone()));
                raws.push(raw);
                ProviderKey { spec, value }
            })
            .collect();
        let raw_of = |var: &str| {
            preset
                .keys
                .iter()
                .position(|k| k.var == var)
                .and_then(|i| raws[i].clone())
        };
        let endpoint = endpoint(r, preset, &raw_of, &mut found.warnings);
        let config = provider(preset, keys, endpoint, enabled, filter, &mut found.warnings);
        providers.push(ProviderConfig {
            mask: mask.for_provider(r, preset.name),
            ..config
        });
    }
    let local_mask = mask.for_provider(r, presets::LOCAL);
    let local_copy = r
        .parsed(LOCAL_COPY, super::values::parse_bool)
        .filter(|(on, _)| *on)
        .map(|(on, raw)| raw.sourced(on));
    providers.push(local_provider(
        paths,
        enabled,
        filter,
        local_copy.as_ref(),
        &providers,
        local_mask,
    ));
    providers
}

/// One preset's configuration, active or not and why (its mask is set by the caller).
fn provider(
    preset: &'static Preset,
    keys: Vec<ProviderKey>,
    endpoint: Option<String>,
    enabled: bool,
    filter: Option<&Sourced<Vec<String>>>,
    warnings: &mut Vec<String>,
) -> ProviderConfig {
    let named = |name: &str| filter.is_none_or(|f| f.value.iter().any(|n| n == name));
    let missing: Vec<&str> = keys
        .iter()
        .filter(|k| k.spec.required && k.value.is_none())
        .map(|k| k.spec.var)
        .collect();
    let configured = missing.is_empty() && endpoint.is_some();
    let value_of = |var: &str| {
        keys.iter()
            .find(|k| k.spec.var == var)
            .and_then(|k| k.value.as_ref())
    };
    let source_var = match preset.name {
        "otlp" if value_of(TRACES_ENDPOINT).is_some() => TRACES_ENDPOINT,
        _ => preset.primary_key().var,
    };
    let source = value_of(source_var).map(|v| v.source.clone());
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
    ProviderConfig {
        name: preset.name,
        title: preset.title,
        configured,
        active,
        note,
        endpoint,
        source,
        keys,
        mask: Sourced::default(MaskMode::None),
    }
}

fn local_provider(
    paths: &Paths,
    enabled: bool,
    filter: Option<&Sourced<Vec<String>>>,
    local_copy: Option<&Sourced<bool>>,
    remotes: &[ProviderConfig],
    mask: Sourced<MaskMode>,
) -> ProviderConfig {
    let named = filter.filter(|f| f.value.iter().any(|n| n == presets::LOCAL));
    let no_remote = !remotes.iter().any(|p| p.active);
    if let (true, None, false, Some(copy)) = (enabled, named, no_remote, local_copy) {
        return ProviderConfig {
            note: "active: a copy of what goes to the other providers".to_string(),
            active: true,
            source: Some(copy.source.clone()),
            ..local(paths, mask)
        };
    }
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
            Some(Source::Default),
        ),
        (true, None, false) => (
            false,
            format!("another provider is active; set {LOCAL_COPY}=true to keep a copy here too"),
            None,
        ),
    };
    ProviderConfig {
        active,
        note,
        source,
        ..local(paths, mask)
    }
}

/// The local store as a provider, inactive (the caller says whether and why it is on).
fn local(paths: &Paths, mask: Sourced<MaskMode>) -> ProviderConfig {
    ProviderConfig {
        name: presets::LOCAL,
        title: "Local trace store",
        configured: true,
        active: false,
        note: String::new(),
        endpoint: Some(paths.store_dir().display().to_string()),
        source: None,
        keys: Vec::new(),
        mask,
    }
}

fn is_http(value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    value.starts_with("http://") || value.starts_with("https://")
}

/// The traces URL of a preset, `None` when it cannot have one (otlp without endpoint, or
/// an unreadable URL, which is recorded).
fn endpoint(
    r: &mut Resolver,
    preset: &Preset,
    raw_of: &dyn Fn(&str) -> Option<Raw>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if preset.name == "otlp"
        && let Some(raw) = raw_of(TRACES_ENDPOINT)
    {
        return r.parse_raw(raw, parse_url).map(|(url, _)| url);
    }
    let spec = preset
        .key(preset.base_key)
        .expect("preset table lists its base key");
    let raw = raw_of(spec.var);
    let value = match (&raw, spec.default) {
        (Some(raw), _) => raw.value.clone(),
        (None, Some(default)) => default.to_string(),
        (None, None) => return None,
    };
    if preset.shared_base && !is_http(&value) {
        if let Some(raw) = &raw {
            warnings.push(format!(
                "{} is not an http(s) URL, so the {} provider is off; set it to your server's URL (e.g. http://localhost:5000) to send traces there",
                raw.describe(),
                preset.name
            ));
        }
        return None;
    }
    let base = match presets::normalize_base_url(&value) {
        Ok(base) => base,
        Err(why) => {
            let raw = raw.unwrap_or_else(|| Raw {
                var: spec.var.to_string(),
                value,
                source: Source::Default,
            });
            let err = Error::bad_input(format!("{}: {why}", raw.describe()));
            r.parse_raw(raw, |_| Err::<(), _>(err));
            return None;
        }
    };
    if let (Some(original), Some(raw)) = (&base.reduced_from, &raw) {
        warnings.push(format!(
            "{} is `{original}`, which carries an ingestion path; using its origin. Write {}={} instead",
            raw.describe(),
            spec.var,
            base.url
        ));
    }
    Some(format!("{}{}", base.url, preset.traces_path))
}
