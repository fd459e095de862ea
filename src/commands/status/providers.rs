//! Each provider in `status`: whether it is active and why, its endpoint, its keys (secret
//! ones masked, URLs without their tokens), its mask mode and the signals it receives.

use serde::Serialize;

use crate::config::keys::mask;
use crate::config::{Source, Sourced};
use crate::mask::{MaskMode, url};

#[derive(Debug, Serialize)]
pub struct ProviderReport {
    pub name: String,
    pub active: bool,
    pub configured: bool,
    pub note: String,
    pub endpoint: String,
    /// Where the provider's configuration came from; empty when it has none.
    pub source: String,
    pub keys: Vec<KeyReport>,
    /// Its mask mode, from `AUTOMAGIK_MASK_<PROVIDER>` or `AUTOMAGIK_MASK`.
    pub mask: Sourced<MaskMode>,
    /// What it receives of the spans' content, in words.
    pub receives: &'static str,
    /// The OTLP signals it receives (`traces`, `logs`, `metrics`); a wrapped command's
    /// other signals are not sent to it.
    pub signals: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub name: String,
    /// Masked when the key is secret.
    pub value: String,
    pub source: Source,
}

impl ProviderReport {
    pub(super) fn new(p: &crate::config::ProviderConfig) -> ProviderReport {
        ProviderReport {
            name: p.name.to_string(),
            active: p.active,
            configured: p.configured,
            note: p.note.clone(),
            endpoint: p.endpoint.as_deref().map(url::display).unwrap_or_default(),
            source: p.source.as_ref().map(Source::to_string).unwrap_or_default(),
            keys: p
                .keys
                .iter()
                .filter_map(|k| {
                    let value = k.value.as_ref()?;
                    Some(KeyReport {
                        name: k.spec.var.to_string(),
                        value: if k.spec.secret {
                            mask(&value.value)
                        } else if url_key(p.name, k.spec.short) {
                            // A URL setting: a token in its query never shows.
                            url::display(&value.value)
                        } else {
                            // Any URL in another value (MLflow's `databricks://…`) neither.
                            url::display_in(&value.value).into_owned()
                        },
                        source: value.source.clone(),
                    })
                })
                .collect(),
            mask: p.mask.clone(),
            receives: p.mask.value.receives(),
            signals: signals(p),
        }
    }
}

/// The signals a provider receives: its preset's, less those it has no URL for (an
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` alone, of another shape than `…/v1/traces`).
fn signals(p: &crate::config::ProviderConfig) -> Vec<&'static str> {
    use crate::presets::{self, Signal, Signals};
    let preset = presets::signals(p.name).unwrap_or(presets::TRACES_ONLY);
    let has_url = |signal: Signal| match (&p.endpoint, p.name) {
        (_, presets::LOCAL) | (None, _) => true,
        (Some(traces), _) => crate::export::otlp_http::signal_url(p, traces, signal).is_some(),
    };
    Signals {
        traces: true,
        logs: preset.logs && has_url(Signal::Logs),
        metrics: preset.metrics && has_url(Signal::Metrics),
    }
    .names()
}

/// Whether a provider key holds a URL, even one without a scheme: its base key, or an
/// endpoint.
fn url_key(provider: &str, short: &str) -> bool {
    crate::presets::preset(provider).is_some_and(|p| p.base_key == short)
        || short.contains("endpoint")
}
