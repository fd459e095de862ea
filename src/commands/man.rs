//! `man`: man pages generated from the clap definitions, one per subcommand.

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::commands::Context;
use crate::error::{EXIT_OK, Error, Result};

pub fn run(args: &ManArgs, ctx: &Context) -> Result<u8> {
    let command = Cli::command();
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
        clap_mangen::generate_to(command, dir)
            .map_err(|e| Error::io("cannot write man pages into", dir, e))?;
        ctx.ui
            .note(&format!("wrote man pages into {}", dir.display()));
        return Ok(EXIT_OK);
    }
    let page = match &args.command {
        None => command,
        Some(name) => {
            let mut command = command;
            command.build();
            // After `build`, a subcommand's display name is `automagik-tracing-NAME`, the
            // same page `--out-dir` writes.
            command.find_subcommand(name).cloned().ok_or_else(|| {
                let names: Vec<_> = command
                    .get_subcommands()
                    .map(|s| s.get_name().to_string())
                    .collect();
                Error::usage(format!("`{name}` is not a subcommand"))
                    .with_hint(format!("pages exist for: {}", names.join(", ")))
            })?
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| Error::failed(format!("cannot render the man page: {e}")))?;
    ctx.ui.out(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}
