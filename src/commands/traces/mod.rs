//! `traces`: the local trace store in the terminal. `list`, `show` and `tail` have a file
//! each; this module dispatches and holds what they share: opening the store (read-only),
//! the answer for an empty store, and corrupt-line warnings.

mod list;
mod show;
mod tail;
mod text;

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
        return Ok(Some(store));
    }
    let text = format!(
        "no traces yet in {}\n\
         hint: trace a command with `automagik-tracing run --wrap -- CMD`: with no other \
         provider configured (or with `local` in AUTOMAGIK_OBSERVABILITY_PROVIDERS) its \
         spans land here\n",
        dir.display()
    );
    if json_on_stdout {
        ctx.ui.note(text.trim_end());
    } else {
        ctx.ui.out(&text)?;
    }
    Ok(None)
}

/// Where the store's warnings go: stderr, unless `--quiet`.
fn warn(ctx: &Context) -> impl FnMut(String) + '_ {
    |message| ctx.ui.warn(&message)
}
