//! Which layer a change goes to, and whether it is in force once written.
//!
//! A change goes where it decides: a setting `.env` sets is changed in `.env` (every
//! other byte kept), not shadowed by a `tracing.toml` line nobody reads. After writing,
//! the settings are resolved again; when the process environment (or a flag-given file)
//! still decides otherwise, `configure` names the variable and fails (exit 1).

use crate::cli::Scope;
use crate::commands::Context;
use crate::config::keys::{self, Known};
use crate::config::values::parse_bool_text;
use crate::config::{Config, Raw, Settings, Source};
use crate::error::{Error, Result};

use super::Change;

/// Sends each change whose scope was not given to `.env` when `.env` sets the variable
/// (it would shadow `tracing.toml` otherwise).
pub(super) fn route(changes: &mut [Change], config: &Config) {
    for change in changes.iter_mut() {
        if change.explicit_scope || change.scope == Scope::Project {
            continue;
        }
        let in_dotenv = config
            .layers
            .candidates(change.known.var())
            .iter()
            .any(|raw| matches!(raw.source, Source::DotEnv { .. }) && !raw.value.is_empty());
        if in_dotenv {
            change.scope = Scope::Project;
        }
    }
}

/// Resolves the settings again and checks that every change is in force. What still
/// decides otherwise is named in the error (exit 1); a lower layer that still sets a
/// removed key, or a switch kept off by a file, is a warning.
pub(super) fn verify(changes: &[Change], ctx: &Context) -> Result<()> {
    let config = ctx.load()?;
    let mut overridden = Vec::new();
    for change in changes {
        let var = change.known.var();
        let Some(raw) = config.layers.lookup(var) else {
            if change.value.is_some() {
                overridden.push(format!("{var} was written but is not read back"));
            }
            continue;
        };
        let in_force = change
            .value
            .as_deref()
            .is_some_and(|want| same_value(&change.known, want, &raw.value));
        if in_force {
            continue;
        }
        let outranks = matches!(raw.source, Source::Env(_) | Source::Flag(_));
        if change.value.is_some() || outranks {
            overridden.push(describe_winner(&change.known, &raw));
        } else {
            ctx.ui.warn(&format!(
                "{var} is still set by {}, below the line that was removed",
                raw.source
            ));
        }
    }
    overridden.extend(switches_kept_off(changes, &config.settings_all(), ctx));
    match overridden.is_empty() {
        true => Ok(()),
        false => Err(Error::failed(format!(
            "written, but not in force: {}",
            overridden.join("; ")
        ))
        .with_hint(
            "unset those variables in your shell (or where they are exported), then check with `automagik-tracing status`",
        )),
    }
}

/// Whether two texts are the same value of this setting (`true` and `1` are).
fn same_value(known: &Known, want: &str, found: &str) -> bool {
    let var = known.var();
    match known.kind() {
        keys::Kind::Bool => parse_bool_text(want) == parse_bool_text(found),
        _ if keys::is_mask_mode(var) => want.eq_ignore_ascii_case(found.trim()),
        _ => want == found.trim(),
    }
}

/// `the environment variable DO_NOT_TRACK=1 decides`; a secret's value is never shown.
fn describe_winner(known: &Known, raw: &Raw) -> String {
    let shown = if known.secret() {
        keys::mask(&raw.value)
    } else {
        raw.value.clone()
    };
    match &raw.source {
        Source::Env(var) => format!("the environment variable {var}={shown} decides"),
        other => format!("{}={shown} in {other} decides", raw.var),
    }
}

/// A layer switched on by this change that is still off because of the process
/// environment (`DO_NOT_TRACK=1`, `OTEL_SDK_DISABLED=true`, CI); a file's reason only
/// warns, since the user can see and edit it.
fn switches_kept_off(changes: &[Change], settings: &Settings, ctx: &Context) -> Vec<String> {
    let mut overridden = Vec::new();
    for change in changes {
        let (layer, switch, kill) = match change.known.var() {
            keys::TELEMETRY_ENABLED => {
                ("telemetry", &settings.telemetry.switch, keys::DO_NOT_TRACK)
            }
            keys::OBSERVABILITY_ENABLED => (
                "observability",
                &settings.observability.switch,
                keys::OTEL_SDK_DISABLED,
            ),
            _ => continue,
        };
        let wanted = change.value.as_deref().and_then(parse_bool_text) == Some(true);
        if !wanted || switch.enabled {
            continue;
        }
        let from_env = [kill, keys::DISABLE_ALL]
            .iter()
            .any(|var| env_sets(ctx, var))
            || settings.ci.is_some();
        if from_env {
            overridden.push(format!("{layer} is still {}", switch.reason));
        } else {
            ctx.ui.warn(&format!("{layer} is still {}", switch.reason));
        }
    }
    overridden
}

/// Whether the process environment gives `var` a value (it outranks every file).
fn env_sets(ctx: &Context, var: &str) -> bool {
    ctx.options.env.get(var).is_some_and(|v| !v.is_empty())
}
