//! `traces`: the local trace store in the terminal. `list`, `show` and `tail` have a file
//! each; this module dispatches and holds what they share: opening the store (read-only),
//! the answer for an empty store, and corrupt-line warnings.

mod json_out;
mod list;
mod show;
mod tail;
pub(crate) mod text;

use std::path::Path;

use crate::cli::{TracesArgs, TracesCommand};
use crate::commands::Context;
use crate::error::Result;
use crate::traces::Store;

pub fn run(args: &TracesArgs, ctx: &Context) -> Result<u8> {
    // Only the data dir is needed: a bad value of an unrelated setting must not stop a
    // look at the store.
    let dir = ctx.load()?.paths.store_dir();
    match &args.command {
        TracesCommand::List(args) => list::run(args, ctx, &dir),
        TracesCommand::Show(args) => show::run(args, ctx, &dir),
        TracesCommand::Tail(args) => tail::run(args, ctx, &dir),
    }
}

/// The store, or `None` after telling the user it holds nothing yet (exit 0).
fn open(ctx: &Context, dir: &Path, json_on_stdout: bool) -> Result<Option<Store>> {
    let store = Store::open(dir)?;
    if !store.is_empty() {
        // Each command prices the spans it shows: the price data loads while it reads.
        // (Without a thread to spare, the first price loads it instead.)
        crate::semantic::load_prices_beside(0);
        return Ok(Some(store));
    }
    if let Some(elsewhere) = last_run_elsewhere(dir) {
        ctx.ui.note(&elsewhere);
    }
    let text = format!(
        "no traces yet in {}\n\
         hint: trace a command with `automagik-tracing run -- CMD`: with no other \
         provider configured (or with AUTOMAGIK_LOCAL_COPY=true) its spans land here\n",
        dir.display()
    );
    if json_on_stdout {
        ctx.ui.note(text.trim_end());
    } else {
        ctx.ui.out(&text)?;
    }
    Ok(None)
}

/// When the last traced run sent nothing to the local store, where it went instead (the
/// run's figures are saved beside the store): what `traces show last` says first.
fn last_run_elsewhere(store_dir: &Path) -> Option<String> {
    let data_dir = store_dir.parent()?;
    let run = crate::engine::RunMetrics::load(data_dir)?;
    let local = crate::presets::LOCAL;
    if run
        .exporters
        .iter()
        .any(|e| e.name == local && e.exported > 0)
    {
        return None;
    }
    let places: Vec<String> = run
        .exporters
        .iter()
        .filter(|e| e.name != local && (e.exported > 0 || e.spooled > 0))
        .map(|e| match (e.exported, e.spooled) {
            (_, 0) => e.name.clone(),
            (0, _) => format!("{} (spooled, for `automagik-tracing flush`)", e.name),
            (_, spooled) => format!("{} ({spooled} spans spooled)", e.name),
        })
        .collect();
    if places.is_empty() {
        return None;
    }
    Some(format!(
        "the last run's spans went to {}, not to the local store: look there, or set {}=true to keep a copy here too",
        places.join(", "),
        crate::config::keys::LOCAL_COPY
    ))
}

/// Where the store's warnings go: stderr, unless `--quiet`.
fn warn(ctx: &Context) -> impl FnMut(String) + '_ {
    |message| ctx.ui.warn(&message)
}
