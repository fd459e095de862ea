//! The command lines of `completions` and `man`: the shell completion scripts and man
//! pages the binary prints about itself.

use std::path::PathBuf;

use clap::Args;

/// Print a shell completion script
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing completions bash > ~/.local/share/bash-completion/completions/automagik-tracing
  automagik-tracing completions zsh > ~/.zfunc/_automagik-tracing
  automagik-tracing completions fish > ~/.config/fish/completions/automagik-tracing.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,

    /// Write the script into this directory instead of printing it
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Print a man page, or write all of them
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing man | man -l -
  automagik-tracing man configure | man -l -
  automagik-tracing man --out-dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// The subcommand whose page to print (default: the main page)
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,

    /// Write every page (one per subcommand) into this directory
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out_dir: Option<PathBuf>,
}
