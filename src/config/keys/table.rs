//! The table of the tool's own settings, in the order `status` and `.env.example` present
//! them: the general ones, each provider's mask mode (from the provider table), the rest.

use std::sync::LazyLock;

use super::*;
use crate::presets;

const fn provider_mask(var: &'static str, toml: &'static str) -> SettingKey {
    setting(
        var,
        toml,
        Kind::Text,
        "this provider's mask mode, over AUTOMAGIK_MASK",
    )
}

/// The tool's own settings, in the order `status` and `.env.example` present them: the
/// general ones, each provider's mask mode (from the provider table), then the rest.
pub static SETTINGS: LazyLock<Vec<SettingKey>> = LazyLock::new(|| {
    GENERAL
        .iter()
        .copied()
        .chain(presets::mask_vars().map(|(_, var, toml)| provider_mask(var, toml)))
        .chain(REST.iter().copied())
        .collect()
});

const GENERAL: &[SettingKey] = &[
    setting(
        DISABLE_ALL,
        "general.disable_all_tracing",
        Kind::Bool,
        "true turns both layers off",
    ),
    setting(
        ENABLE_IN_CI,
        "general.enable_tracing_in_ci",
        Kind::Bool,
        "true keeps both layers on in CI",
    ),
    setting(
        OBSERVABILITY_ENABLED,
        "observability.enabled",
        Kind::Bool,
        "traces to your providers",
    ),
    setting(
        OBSERVABILITY_PROVIDERS,
        "observability.providers",
        Kind::List,
        "limit the active providers, e.g. langfuse,honeycomb",
    ),
    setting(
        LOCAL_COPY,
        "observability.local_copy",
        Kind::Bool,
        "true keeps a copy of every trace in the local store beside your providers",
    ),
    setting(
        SAMPLE_RATE,
        "observability.sample_rate",
        Kind::Float,
        "share of traces kept, 0.0 to 1.0",
    ),
    setting(
        SLOW_THRESHOLD_MS,
        "observability.slow_threshold_ms",
        Kind::Int,
        "spans at least this long are kept even when not sampled",
    ),
    setting(
        MASK,
        "observability.mask",
        Kind::Text,
        "what of spans' content leaves the machine: none, patterns or content",
    ),
    setting(
        MASK_KEEP,
        "observability.mask_keep",
        Kind::List,
        "keys whose strings `content` keeps besides the structural ones (prefix.* too)",
    ),
];

const REST: &[SettingKey] = &[
    setting(
        TELEMETRY_ENABLED,
        "telemetry.enabled",
        Kind::Bool,
        "anonymous usage telemetry",
    ),
    setting(
        TELEMETRY_ENDPOINT,
        "telemetry.endpoint",
        Kind::Text,
        "where telemetry goes",
    ),
    setting(
        TELEMETRY_DEBUG,
        "telemetry.debug",
        Kind::Bool,
        "true prints each telemetry event on stderr and sends nothing",
    ),
    env_only(DO_NOT_TRACK, Kind::Bool, "1 or true turns telemetry off"),
    env_only(
        OTEL_SDK_DISABLED,
        Kind::Bool,
        "true turns observability off",
    ),
    env_only(
        CONFIG_DIR,
        Kind::Text,
        "where tracing.toml and the anonymous id live",
    ),
    setting(
        DATA_DIR,
        "paths.data_dir",
        Kind::Text,
        "spool, local trace store and run metrics",
    ),
    setting(
        QUEUE_MAX_SPANS,
        "limits.queue_max_spans",
        Kind::Int,
        "spans held in memory at most",
    ),
    setting(
        QUEUE_MAX_BYTES,
        "limits.queue_max_bytes",
        Kind::Int,
        "bytes held in memory at most",
    ),
    setting(
        FLUSH_TIMEOUT,
        "limits.flush_timeout_secs",
        Kind::Int,
        "seconds to deliver at exit",
    ),
    setting(
        SPOOL_MAX_BYTES,
        "limits.spool_max_bytes",
        Kind::Int,
        "on-disk spool cap",
    ),
    setting(
        STORE_MAX_BYTES,
        "limits.store_max_bytes",
        Kind::Int,
        "local trace store cap",
    ),
    setting(
        STORE_MAX_AGE_DAYS,
        "limits.store_max_age_days",
        Kind::Int,
        "local trace store age cap",
    ),
    setting(
        ATTRIBUTE_VALUE_LENGTH_LIMIT,
        "limits.attribute_value_length_limit",
        Kind::Int,
        "longer attribute values are truncated on the way in",
    ),
];
