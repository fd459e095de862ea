//! The interactive side of `configure`: providers, their keys (hidden input), telemetry,
//! a preview of the change, and a confirmation. It returns changes; writing them is the
//! same code path as the flags.

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect, Password};

use super::{Change, apply};
use crate::cli::Scope;
use crate::commands::Context;
use crate::config::Config;
use crate::config::keys::{self, Known, mask};
use crate::config::values::parse_bool_text;
use crate::error::{Error, Result};
use crate::presets::{KeySpec, PRESETS, Preset};

/// Asks the questions; `None` when the user declined to write.
pub fn run(config: &Config, ctx: &Context) -> Result<Option<Vec<Change>>> {
    let colorful = ColorfulTheme::default();
    let theme: &dyn Theme = if ctx.ui.color_stderr {
        &colorful
    } else {
        &SimpleTheme
    };
    let current = |var: &str| config.layers.lookup(var).map(|raw| raw.value);

    eprintln!(
        "Set up automagik-tracing. Provider keys go to {}, the telemetry choice to {}.\n",
        config.paths.env_file.display(),
        config.paths.config_file().display()
    );
    let picked = pick_providers(theme, &current)?;

    let mut changes = Vec::new();
    if !picked.is_empty() {
        // Configuring a provider would otherwise quietly end the local copy that
        // `traces show` reads.
        let keep_now = current(keys::LOCAL_COPY)
            .and_then(|v| parse_bool_text(&v))
            .unwrap_or(true);
        let keep = Confirm::with_theme(theme)
            .with_prompt("Keep a copy of every trace on this machine too (for `traces show`)?")
            .default(keep_now)
            .interact()
            .map_err(prompt_error)?;
        changes.push(Change::new(
            Known::by_var(keys::LOCAL_COPY).expect("in the table"),
            Some(keep.to_string()),
            Some(Scope::Project),
        ));
    }
    for index in picked {
        let preset = &PRESETS[index];
        for spec in preset.keys {
            if let Some(value) = ask_key(theme, preset, spec, current(spec.var))? {
                changes.push(Change::new(
                    Known::ProviderKey(preset, spec),
                    Some(value),
                    Some(Scope::Project),
                ));
            }
        }
    }

    let telemetry_now = current(keys::TELEMETRY_ENABLED)
        .and_then(|v| parse_bool_text(&v))
        .unwrap_or(true);
    let telemetry = Confirm::with_theme(theme)
        .with_prompt(
            "Send anonymous usage telemetry (feature counts, no content, no personal data)?",
        )
        .default(telemetry_now)
        .interact()
        .map_err(prompt_error)?;
    let telemetry_known = Known::by_var(keys::TELEMETRY_ENABLED).expect("in the table");
    changes.push(Change::new(
        telemetry_known,
        Some(telemetry.to_string()),
        Some(Scope::User),
    ));

    eprintln!("\nThe change:");
    apply(&changes, config, true, ctx)?;
    let write = Confirm::with_theme(theme)
        .with_prompt("Write these changes?")
        .default(true)
        .interact()
        .map_err(prompt_error)?;
    Ok(write.then_some(changes))
}

/// Asks which providers traces go to, those already configured ticked; their indexes in
/// the provider table.
fn pick_providers(
    theme: &dyn Theme,
    current: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<usize>> {
    let titles: Vec<String> = PRESETS
        .iter()
        .map(|p| format!("{} ({})", p.title, p.name))
        .collect();
    let configured: Vec<bool> = PRESETS
        .iter()
        .map(|p| {
            p.keys
                .iter()
                .filter(|k| k.required)
                .all(|k| current(k.var).is_some())
                && p.keys.iter().any(|k| current(k.var).is_some())
        })
        .collect();
    MultiSelect::with_theme(theme)
        .with_prompt("Where should traces go? (space selects, enter confirms; none keeps them on this machine)")
        .items(&titles)
        .defaults(&configured)
        .interact()
        .map_err(prompt_error)
}

/// Asks for one key; `None` keeps what is there (or leaves an optional key unset).
fn ask_key(
    theme: &dyn Theme,
    preset: &'static Preset,
    spec: &'static KeySpec,
    current: Option<String>,
) -> Result<Option<String>> {
    let prompt = format!("{} {} ({})", preset.title, spec.short, spec.help);
    loop {
        let answer = if spec.secret {
            let hint = match &current {
                Some(v) => format!("{prompt} [enter keeps {}]", mask(v)),
                None => prompt.clone(),
            };
            Password::with_theme(theme)
                .with_prompt(hint)
                .allow_empty_password(true)
                .interact()
                .map_err(prompt_error)?
        } else {
            let mut input = Input::<String>::with_theme(theme)
                .with_prompt(&prompt)
                .allow_empty(true);
            if let Some(default) = current.as_deref().or(spec.default) {
                input = input.default(default.to_string());
            }
            input.interact_text().map_err(prompt_error)?
        };
        let answer = answer.trim().to_string();
        if answer.is_empty()
            || Some(answer.as_str()) == current.as_deref()
            || Some(answer.as_str()) == spec.default && current.is_none()
        {
            if spec.required && current.is_none() {
                eprintln!("{} needs a value", spec.var);
                continue;
            }
            return Ok(None);
        }
        match super::validate(&Known::ProviderKey(preset, spec), &answer) {
            Ok(value) => return Ok(Some(value)),
            Err(err) => {
                eprintln!("{err}");
                if let Some(hint) = err.hint() {
                    eprintln!("hint: {hint}");
                }
            }
        }
    }
}

fn prompt_error(err: dialoguer::Error) -> Error {
    Error::failed(format!("the wizard stopped: {err}"))
        .with_hint("nothing was written; run `configure` again, or use flags")
}
