//! `id`: print the anonymous telemetry ID, creating it on first use; `--reset` replaces it
//! (and forgets the events not yet sent under the old one).

use crate::cli::IdArgs;
use crate::commands::Context;
use crate::error::{EXIT_OK, Result};
use crate::telemetry::{identity, outbox};

pub fn run(args: &IdArgs, ctx: &Context) -> Result<u8> {
    let config = ctx.load()?;
    let dir = &config.paths.config_dir.value;
    let id = if args.reset {
        let id = identity::reset(dir)?;
        // Events recorded under the old ID are not sent with it any more.
        outbox::clear(&config.paths.data_dir.value)?;
        ctx.ui
            .note("made a new anonymous ID; the old one is forgotten");
        id
    } else {
        let ensured = identity::ensure(dir)?;
        if ensured.replaced_corrupt {
            ctx.ui.warn(&format!(
                "`{}` did not hold a valid ID and was replaced",
                identity::id_path(dir).display()
            ));
        }
        ensured.id
    };
    ctx.ui.out(&format!("{id}\n"))?;
    Ok(EXIT_OK)
}
