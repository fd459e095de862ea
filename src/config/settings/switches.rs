//! The on/off decisions of both layers, each with its reason: CI detection, the switches
//! that turn both off, each layer's own kill switch and `enabled` setting, and the
//! telemetry layer, whose unreadable settings warn instead of failing.

use super::{DEFAULT_TELEMETRY_ENDPOINT, Switch, Telemetry};
use crate::config::keys::*;
use crate::config::resolver::Resolver;
use crate::config::source::{Layers, Raw, Sourced};
use crate::config::values::{parse_bool, parse_bool_text, parse_url, setting_text};

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

/// The error of the first on/off switch that could not be read, if any (called right
/// after the switches, before any other value is parsed).
pub(super) fn unreadable_switch(r: &Resolver) -> Option<String> {
    r.invalid.first().map(|i| i.error.clone())
}

/// A boolean setting with the raw value it came from, so reasons can quote it.
pub(super) fn flag_value(r: &mut Resolver, var: &str) -> Option<(bool, Raw)> {
    r.parsed(var, parse_bool)
}

/// The telemetry layer. An unreadable telemetry setting (`DO_NOT_TRACK=maybe`) is not an
/// error: it warns and counts as telemetry off, and never touches observability.
pub(super) fn resolve_telemetry(
    layers: &Layers,
    common_off: Option<String>,
    ci: Option<&str>,
    warnings: &mut Vec<String>,
) -> Telemetry {
    let mut r = Resolver::new(layers);
    let kill = flag_value(&mut r, DO_NOT_TRACK);
    let enabled = flag_value(&mut r, TELEMETRY_ENABLED);
    let debug = match flag_value(&mut r, TELEMETRY_DEBUG) {
        Some((value, raw)) => raw.sourced(value),
        None => Sourced::default(false),
    };
    let endpoint = r.or_default(
        TELEMETRY_ENDPOINT,
        DEFAULT_TELEMETRY_ENDPOINT.to_string(),
        DEFAULT_TELEMETRY_ENDPOINT.to_string(),
        parse_url,
    );
    // The common switches are reported as invalid for observability; an unreadable one
    // also turns telemetry off.
    let unreadable = [DISABLE_ALL, ENABLE_IN_CI]
        .iter()
        .find_map(|var| {
            let raw = layers.lookup(var)?;
            parse_bool(&raw).err()
        })
        .map(|err| err.to_string())
        .or_else(|| r.invalid.first().map(|i| i.error.clone()));
    let unreadable = unreadable.filter(|_| common_off.is_none());
    let switch = match &unreadable {
        Some(error) => Switch {
            enabled: false,
            reason: format!("off: {error}"),
        },
        None => decide(common_off, kill, enabled, ci),
    };
    let unreadable = unreadable.map(|error| {
        format!(
            "{error}: telemetry counts as off until it is fixed (your own traces are not affected)"
        )
    });
    warnings.extend(unreadable.clone());
    Telemetry {
        switch,
        endpoint,
        debug,
        unreadable,
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
pub(super) fn common_reason_off(
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
pub(super) fn decide(
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
