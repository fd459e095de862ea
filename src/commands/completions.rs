//! `completions SHELL`: the shell completion script, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::commands::Context;
use crate::error::{EXIT_OK, Error, Result};

pub const BIN_NAME: &str = "automagik-tracing";

pub fn run(args: &CompletionsArgs, ctx: &Context) -> Result<u8> {
    let mut command = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io("cannot create directory", dir, e))?;
            let path = clap_complete::generate_to(args.shell, &mut command, BIN_NAME, dir)
                .map_err(|e| Error::io("cannot write completions into", dir, e))?;
            ctx.ui.note(&format!("wrote {}", path.display()));
        }
        None => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, BIN_NAME, &mut script);
            ctx.ui.out(&String::from_utf8_lossy(&script))?;
        }
    }
    Ok(EXIT_OK)
}
