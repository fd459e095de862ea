//! The command line, as clap derive types and nothing else. Handlers live in `commands/`;
//! the library below them never sees these types. The top level is here; each group of
//! subcommands has its arguments in a file of `cli/`, re-exported here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::telemetry::sender::SENDER_ARG as TELEMETRY_SENDER;

mod delivery;
mod docs;
mod run;
mod run_only;
mod senders;
mod settings;
mod traces;

pub use self::delivery::{FlushArgs, TestExportArgs};
pub use self::docs::{CompletionsArgs, ManArgs};
pub use self::run::{RUN_USAGE, RunArgs};
pub use self::senders::{SpoolSenderCli, TelemetrySendArgs};
pub use self::settings::{ConfigureArgs, IdArgs, Scope, StatusArgs};
pub use self::traces::{TracesArgs, TracesCommand, TracesListArgs, TracesShowArgs, TracesTailArgs};

/// The first argument of the binary that makes it the background spool sender a wrapped
/// run starts (kept out of `--help`, completions and man pages, as the telemetry sender).
pub const SPOOL_SENDER: &str = "spool-send";

const ABOUT: &str = "Tracing and usage telemetry for AI agents";

const LONG_ABOUT: &str = "\
Tracing and usage telemetry for AI agents.

Observability: traces of agent runs, LLM calls and tool calls go over OTLP/HTTP to the \
providers you configure (Langfuse, LangWatch, LangSmith, Honeycomb, Logfire, any OTLP \
endpoint), or to a local trace store when none is configured.

Usage telemetry: anonymous feature-usage counters, no content and no personal data; \
switch it off with `configure --no-telemetry` or DO_NOT_TRACK=1.

Settings are read from, highest first: flags, the environment, `.env` in the working \
directory, `tracing.toml` in the config dir, defaults. `status` shows each value and where \
it came from.";

const EXAMPLES: &str = "\
Examples:
  automagik-tracing status                 what is on, where traces go, and why
  automagik-tracing configure              interactive setup
  automagik-tracing configure --provider langfuse --set public_key=pk-lf-... --set secret_key=sk-lf-...
  automagik-tracing configure --no-telemetry
  automagik-tracing run --wrap -- python agent.py
  automagik-tracing traces show last       the run just traced, as a tree
  automagik-tracing id                     show the anonymous telemetry ID";

#[derive(Debug, Parser)]
#[command(
    name = "automagik-tracing",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = EXAMPLES,
    propagate_version = true,
    disable_help_subcommand = true
)]
/// A user's command line: the global flags and one subcommand.
pub struct Cli {
    /// Flags every subcommand accepts.
    /// The global flags, as the run that started it had them.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The subcommand and its arguments.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read variables from this file instead of `.env` in the working directory
    ///
    /// Its values never override the environment. `configure --scope project` writes here.
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Never colour the output (NO_COLOR=1 does the same)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Print errors only, no warnings or notes
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail on stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

// These docs are `concat!` because clap's derive reads only literal ones: a `///` comment
// on a variant would become that subcommand's help, replacing its Args struct's doc.
#[doc = concat!("The subcommands, one handler each in `commands/`.")]
#[derive(Debug, Subcommand)]
pub enum Command {
    #[doc = concat!("`status`: what is on, where traces go, and why.")]
    Status(StatusArgs),
    #[doc = concat!("`configure`: change settings, by flags or with the wizard.")]
    Configure(ConfigureArgs),
    #[doc = concat!("`test-export`: send a small test trace to each active provider.")]
    TestExport(TestExportArgs),
    #[doc = concat!("`flush`: deliver what the spool holds.")]
    Flush(FlushArgs),
    #[doc = concat!("`run --wrap`: trace a command.")]
    Run(RunArgs),
    #[doc = concat!("`traces`: read the local trace store.")]
    Traces(TracesArgs),
    #[doc = concat!("`id`: show the anonymous telemetry ID.")]
    Id(IdArgs),
    #[doc = concat!("`completions`: print a shell completion script.")]
    Completions(CompletionsArgs),
    #[doc = concat!("`man`: print a man page, or write all of them.")]
    Man(ManArgs),
}

/// What the binary was asked to do: a user's command line, or (started by the tool itself
/// in the background) the telemetry sender, which is kept out of `--help`, completions and
/// man pages by being a separate parser.
#[derive(Debug)]
pub enum Invocation {
    /// A command line a user typed.
    User(Cli),
    /// The hidden telemetry sender, started in the background by another command.
    TelemetrySender(TelemetrySendArgs),
    /// The hidden spool sender a run starts for what waited for a destination it reached.
    SpoolSender(SpoolSenderCli),
}

/// Parses this process's arguments (exiting with clap's message on a mistake).
pub fn parse() -> Invocation {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == TELEMETRY_SENDER)
    {
        let sender = SenderCli::parse_from(std::env::args_os().skip(1));
        return Invocation::TelemetrySender(sender.args);
    }
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == SPOOL_SENDER)
    {
        return Invocation::SpoolSender(SpoolSenderCli::parse_from(std::env::args_os().skip(1)));
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(cli) = run_only::parse(&args) {
        return Invocation::User(cli);
    }
    Invocation::User(Cli::parse_from(args))
}
#[derive(Debug, Parser)]
#[command(name = TELEMETRY_SENDER)]
struct SenderCli {
    #[command(flatten)]
    args: TelemetrySendArgs,
}

/// A number of seconds for a timeout: more than 0, at most a day.
fn seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(secs)
    } else {
        Err(format!(
            "`{text}` is out of range: give more than 0 and at most 86400 seconds"
        ))
    }
}

/// Every provider name, the local store included (from the provider table).
fn provider_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::presets::provider_names())
}
