//! `configure`: turn flags (or the wizard's answers) into changes, and write them to
//! `.env` (project scope) or `tracing.toml` (user scope) without disturbing either file.

mod layers;
mod wizard;

use clap::CommandFactory;

use crate::cli::{Cli, ConfigureArgs, Scope};
use crate::commands::Context;
use crate::config::dotenv::DotEnvEditor;
use crate::config::files;
use crate::config::keys::{self, Kind, Known, mask};
use crate::config::placeholder::is_placeholder;
use crate::config::toml_file::{TomlEditor, TomlSettings};
use crate::config::values::{
    parse_bool, parse_key_list, parse_mask_mode, parse_provider_list, parse_rate, parse_u64,
    parse_url,
};
use crate::config::{Config, Raw, Source};
use crate::error::{EXIT_OK, EXIT_USAGE, Error, Result};
use crate::presets;

/// One setting to write (`Some`) or remove (`None`), and where.
#[derive(Debug, Clone)]
pub struct Change {
    pub known: Known,
    pub value: Option<String>,
    pub scope: Scope,
    /// `--scope` was given: the change goes there even when another file decides.
    pub explicit_scope: bool,
}

impl Change {
    /// Provider keys belong to the project, switches and tunables to the user.
    pub fn new(known: Known, value: Option<String>, scope: Option<Scope>) -> Change {
        let default = match known {
            Known::ProviderKey(..) => Scope::Project,
            Known::Setting(_) => Scope::User,
        };
        Change {
            known,
            value,
            scope: scope.unwrap_or(default),
            explicit_scope: scope.is_some(),
        }
    }
}

/// Whether `configure` with these flags runs the wizard: no change is given as a flag.
pub(super) fn runs_wizard(args: &ConfigureArgs) -> bool {
    changes_from_flags(args).is_ok_and(|changes| changes.is_empty())
}

pub fn run(args: &ConfigureArgs, ctx: &Context) -> Result<u8> {
    let config = ctx.load_allowing_new_env_file()?;
    let changes = changes_from_flags(args)?;
    if changes.is_empty() {
        if args.scope.is_some() || args.dry_run {
            return Err(
                Error::usage("nothing to change: --scope and --dry-run go with a change")
                    .with_hint(
                        "add --telemetry, --no-telemetry, --mask MODE, --provider NAME --set KEY=VALUE, ...",
                    ),
            );
        }
        if !ctx.ui.interactive {
            let mut cli = Cli::command();
            let help = cli
                .find_subcommand_mut("configure")
                .map(|c| c.render_long_help().to_string())
                .unwrap_or_default();
            eprintln!("{help}");
            eprintln!(
                "error: no terminal for the interactive wizard: give the changes as flags (above)"
            );
            return Ok(EXIT_USAGE);
        }
        return match wizard::run(&config, ctx)? {
            Some(changes) => {
                apply(&changes, &config, false, ctx)?;
                Ok(EXIT_OK)
            }
            None => {
                ctx.ui.note("nothing written");
                Ok(EXIT_OK)
            }
        };
    }
    apply(&changes, &config, args.dry_run, ctx)?;
    Ok(EXIT_OK)
}

fn changes_from_flags(args: &ConfigureArgs) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let switch = |var: &str, on: bool| {
        Change::new(
            Known::by_var(var).expect("switch is in the table"),
            Some(on.to_string()),
            args.scope,
        )
    };
    if args.telemetry || args.no_telemetry {
        changes.push(switch(keys::TELEMETRY_ENABLED, args.telemetry));
    }
    if args.observability || args.no_observability {
        changes.push(switch(keys::OBSERVABILITY_ENABLED, args.observability));
    }
    changes.extend(mask_change(args));
    if args.provider.is_some()
        && args.set.is_empty()
        && args.unset.is_empty()
        && args.mask.is_none()
    {
        return Err(Error::usage(
            "--provider names whose keys --set and --unset change, or whose mode --mask sets, and none was given",
        )
        .with_hint("for example: configure --provider langfuse --set public_key=pk-lf-..."));
    }
    for item in &args.set {
        let (key, value) = item.split_once('=').ok_or_else(|| {
            // Not echoed: the argument may be a secret with a mistyped separator.
            Error::usage("a --set argument has no `=`").with_hint("write --set KEY=VALUE")
        })?;
        let known = resolve_key(args.provider.as_deref(), key.trim())?;
        let value = validate(&known, value.trim())?;
        changes.push(Change::new(known, Some(value), args.scope));
    }
    for key in &args.unset {
        let known = resolve_key(args.provider.as_deref(), key.trim())?;
        changes.push(Change::new(known, None, args.scope));
    }
    for change in &changes {
        if change.scope == Scope::User && change.known.toml_key().is_none() {
            return Err(Error::usage(format!(
                "`{}` has no tracing.toml key: it belongs in the environment",
                change.known.var()
            ))
            .with_hint("use --scope project to write it to .env"));
        }
    }
    Ok(changes)
}

/// `--mask MODE`: `AUTOMAGIK_MASK`, or with `--provider NAME` that provider's own mode.
fn mask_change(args: &ConfigureArgs) -> Option<Change> {
    let mode = args.mask.as_ref()?;
    let var = match args.provider.as_deref() {
        Some(name) => keys::provider_mask_var(name).expect("clap only accepts providers"),
        None => keys::MASK,
    };
    let known = Known::by_var(var).expect("mask settings are in the table");
    Some(Change::new(known, Some(mode.clone()), args.scope))
}

/// A key named on the command line: a provider's short key, a variable, or a TOML key.
fn resolve_key(provider: Option<&str>, key: &str) -> Result<Known> {
    if let Some(name) = provider {
        let Some(preset) = presets::preset(name) else {
            return Err(Error::usage(format!("`{name}` has no keys"))
                .with_hint(format!("--provider {name} goes with --mask MODE")));
        };
        return preset
            .key(key)
            .or_else(|| preset.keys.iter().find(|k| k.var == key))
            .map(|spec| Known::ProviderKey(preset, spec))
            .ok_or_else(|| {
                let shorts: Vec<_> = preset.keys.iter().map(|k| k.short).collect();
                Error::usage(format!("`{key}` is not a key of {name}"))
                    .with_hint(format!("{name} keys: {}", shorts.join(", ")))
            });
    }
    Known::by_var(key)
        .or_else(|| Known::by_toml_key(key))
        .ok_or_else(|| {
            let hint = if key.contains('_') && key.to_ascii_lowercase() == key {
                "provider keys need --provider NAME, e.g. --provider langfuse --set secret_key=..."
                    .to_string()
            } else {
                let names: Vec<_> = keys::SETTINGS.iter().filter_map(|s| s.toml).collect();
                format!("settings are: {}", names.join(", "))
            };
            Error::usage(format!("`{key}` is not a setting")).with_hint(hint)
        })
}

/// Checks a value with the loader's own parsers (so nothing written is refused when read
/// back) and returns it as it will be written. Errors never echo a secret value.
pub(super) fn validate(known: &Known, value: &str) -> Result<String> {
    let var = known.var();
    if value.is_empty() {
        return Err(Error::usage(format!("--set gives {var} an empty value"))
            .with_hint("use --unset KEY to remove a key"));
    }
    if known.secret() && is_placeholder(value) {
        // Written, it would count as unset: say so now rather than leave a dead line.
        return Err(Error::usage(format!(
            "--set gives {var} a value that looks like a placeholder"
        ))
        .with_hint("paste the real key from the provider's settings page"));
    }
    let raw = Raw {
        var: var.to_string(),
        value: value.to_string(),
        source: Source::Flag("--set".into()),
    };
    let is_url = matches!(known, Known::ProviderKey(p, k) if k.short == p.base_key || k.short == "traces_endpoint")
        || var == keys::TELEMETRY_ENDPOINT;
    if keys::is_mask_mode(var) {
        return parse_mask_mode(&raw).map(|mode| mode.to_string());
    }
    if var == keys::MASK_KEEP {
        return Ok(parse_key_list(&raw)?.join(","));
    }
    match known.kind() {
        Kind::Bool => parse_bool(&raw).map(|b| b.to_string()),
        Kind::Int => parse_u64(&raw).map(|n| n.to_string()),
        Kind::Float => parse_rate(&raw).map(|_| value.to_string()),
        Kind::List => Ok(parse_provider_list(&raw)?.join(",")),
        Kind::Text if is_url => parse_url(&raw),
        Kind::Text => Ok(value.to_string()),
    }
}

/// Writes (or with `dry_run`, shows) the changes, one file per scope, each where it
/// decides; then checks that they are in force.
pub fn apply(changes: &[Change], config: &Config, dry_run: bool, ctx: &Context) -> Result<()> {
    let mut changes = changes.to_vec();
    layers::route(&mut changes, config);
    let changes = changes.as_slice();
    for scope in [Scope::Project, Scope::User] {
        let mine: Vec<&Change> = changes.iter().filter(|c| c.scope == scope).collect();
        if mine.is_empty() {
            continue;
        }
        let path = match scope {
            Scope::Project => config.paths.env_file.clone(),
            Scope::User => config.paths.config_file(),
        };
        let edit = |old: Option<&str>| edit_text(scope, &path, old.unwrap_or(""), &mine);
        if dry_run {
            let old = files::read_settings_text(&path)?;
            let new = edit(old.as_deref())?;
            ctx.ui.out(&diff(
                scope,
                &path.display().to_string(),
                old.as_deref().unwrap_or(""),
                &new,
            ))?;
            continue;
        }
        let (old, new) = files::update(&path, edit)?;
        if old.as_deref().unwrap_or_default() == new {
            ctx.ui.out(&format!(
                "{} already says so: nothing to change\n",
                path.display()
            ))?;
            continue;
        }
        let mut summary = format!("updated {}\n", path.display());
        for change in &mine {
            let line = match &change.value {
                Some(v) if change.known.secret() => {
                    format!("  set {} = {}\n", change.known.var(), mask(v))
                }
                Some(v) => format!("  set {} = {v}\n", change.known.var()),
                None => format!("  removed {}\n", change.known.var()),
            };
            summary.push_str(&line);
        }
        ctx.ui.out(&summary)?;
    }
    if dry_run {
        return Ok(());
    }
    layers::verify(changes, ctx)
}

fn edit_text(
    scope: Scope,
    path: &std::path::Path,
    old: &str,
    changes: &[&Change],
) -> Result<String> {
    match scope {
        Scope::Project => {
            let mut editor = DotEnvEditor::parse(path, old)?;
            for change in changes {
                match &change.value {
                    Some(value) => editor.set(change.known.var(), value),
                    None => {
                        editor.unset(change.known.var());
                    }
                }
            }
            Ok(editor.render())
        }
        Scope::User => {
            let mut editor = TomlEditor::parse(path, old)?;
            for change in changes {
                let key = change
                    .known
                    .toml_key()
                    .expect("checked when the change was made");
                match &change.value {
                    Some(value) => editor.set(&key, value, change.known.kind())?,
                    None => {
                        editor.unset(&key);
                    }
                }
            }
            let text = editor.render();
            // Refuse to write what the loader would refuse to read.
            TomlSettings::parse(path, &text)?;
            Ok(text)
        }
    }
}

/// A unified diff of the change, with every secret value masked on both sides by key
/// (never by searching the text, which may hold the value quoted or escaped).
fn diff(scope: Scope, name: &str, old: &str, new: &str) -> String {
    let path = std::path::Path::new(name);
    let mask = |text: &str| -> String {
        match scope {
            Scope::Project => DotEnvEditor::parse(path, text)
                .map(|e| e.render_masked(keys::looks_secret))
                .unwrap_or_default(),
            Scope::User => TomlEditor::parse(path, text)
                .map(|e| e.render_masked())
                .unwrap_or_default(),
        }
    };
    let (old, new) = (mask(old), mask(new));
    if old == new {
        return format!("{name}: no change\n");
    }
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .header(name, name)
        .to_string()
}
