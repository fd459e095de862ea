//! The command line, as clap derive types and nothing else. Handlers live in `commands/`;
//! the library below them never sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::telemetry::sender::SENDER_ARG as TELEMETRY_SENDER;

mod run_only;

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

/// Deliver older spooled records of one provider to its current destination, then exit
/// (started in the background by a wrapped run that delivered its own spans; not for
/// people).
#[derive(Debug, Parser)]
#[command(name = SPOOL_SENDER)]
pub struct SpoolSenderCli {
    /// The global flags, as the run that started it had them.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The provider whose spool to send
    #[arg(long, value_name = "NAME", value_parser = provider_names())]
    pub provider: String,

    /// Give up after this many seconds; what is left stays in the spool
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = seconds)]
    pub timeout: f64,
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

/// Show what is on, where traces go, and where each setting came from
///
/// Read-only: creates no file and records nothing. Secret keys are shown masked.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing status
  automagik-tracing status --json | jq .observability.providers
  DO_NOT_TRACK=1 automagik-tracing status     see the reason telemetry is off")]
pub struct StatusArgs {
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// Where `configure` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// tracing.toml in the config dir, for every project of this user
    User,
    /// `.env` in the working directory (or --env-file), for this project
    Project,
}

/// Change settings: flags for scripts, a wizard on a terminal
///
/// With no flags on a terminal, an interactive wizard asks which providers to use, their
/// keys (hidden input) and whether to send anonymous telemetry, then shows the change
/// before writing it.
///
/// Provider keys go to `.env` (--scope project) by default, on/off switches to
/// tracing.toml (--scope user). Files are written atomically; comments, order and the
/// quoting of untouched lines are kept; a file holding a secret is made 0600.
///
/// Provider keys (--provider NAME --set KEY=VALUE):
///   langfuse   public_key, secret_key, host
///   langwatch  api_key, endpoint
///   langsmith  api_key, project, endpoint
///   honeycomb  api_key, dataset, endpoint
///   logfire    token, base_url
///   otlp       endpoint, traces_endpoint, headers, certificate, compression
///
/// Without --provider, --set and --unset take a setting's variable name or its
/// tracing.toml key: `--set AUTOMAGIK_SAMPLE_RATE=0.5` or `--set observability.sample_rate=0.5`.
///
/// --mask sets what of the spans' content leaves the machine (AUTOMAGIK_MASK): none,
/// patterns (secrets and personal data redacted) or content (structure only); with
/// --provider NAME (local included), for that provider alone (`AUTOMAGIK_MASK_<NAME>`).
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing configure
  automagik-tracing configure --provider langfuse --set public_key=pk-lf-... --set secret_key=sk-lf-...
  automagik-tracing configure --provider honeycomb --set api_key=... --scope user
  automagik-tracing configure --no-telemetry
  automagik-tracing configure --set observability.sample_rate=0.25 --dry-run
  automagik-tracing configure --mask content
  automagik-tracing configure --mask none --provider langfuse
  automagik-tracing configure --provider langfuse --unset secret_key")]
pub struct ConfigureArgs {
    /// Turn anonymous usage telemetry on
    #[arg(long, overrides_with = "no_telemetry")]
    pub telemetry: bool,

    /// Turn anonymous usage telemetry off
    #[arg(long)]
    pub no_telemetry: bool,

    /// Turn traces to your providers on
    #[arg(long, overrides_with = "no_observability")]
    pub observability: bool,

    /// Turn traces to your providers off
    #[arg(long)]
    pub no_observability: bool,

    /// The provider whose keys --set and --unset name, or whose mode --mask sets
    #[arg(long, value_name = "NAME", value_parser = provider_names())]
    pub provider: Option<String>,

    /// What of the spans' content leaves the machine: none, patterns or content
    ///
    /// `patterns` redacts emails, keys, card numbers, SSNs and IP addresses; `content`
    /// keeps only structural values (names, models, token counts) and masks the rest.
    /// With --provider, for that provider only. See MASKING.md.
    #[arg(long, value_name = "MODE", value_parser = ["none", "patterns", "content"])]
    pub mask: Option<String>,

    /// Set a key (repeatable): a provider's short key with --provider, else a setting
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Remove a key (repeatable), named as for --set
    #[arg(long = "unset", value_name = "KEY")]
    pub unset: Vec<String>,

    /// Where to write: user (tracing.toml) or project (.env)
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,

    /// Print the change as a diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Send a small test trace to each active provider and report what happened
///
/// The trace is a root span `automagik-tracing test-export` and a child GenAI `chat` span
/// with a model and token counts. Each provider gets it once, now, without retries; the
/// table shows the endpoint, the result, the HTTP status and the latency, and a hint
/// naming what to check when it failed. Exits 0 only when every provider accepted it.
/// With no remote provider configured it tests the local store.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing test-export
  automagik-tracing test-export --provider langfuse --timeout 5
  automagik-tracing test-export --json | jq '.results[] | select(.ok | not)'")]
pub struct TestExportArgs {
    /// Test only this provider (even if AUTOMAGIK_OBSERVABILITY_PROVIDERS leaves it out)
    #[arg(long, value_name = "NAME", value_parser = provider_names())]
    pub provider: Option<String>,

    /// Print one JSON object instead of the table
    #[arg(long)]
    pub json: bool,

    /// Seconds to wait for each provider
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = seconds)]
    pub timeout: f64,
}

/// Deliver what the spool holds: spans that could not be sent when they were recorded
///
/// When a provider is down, refuses a key, or a run ends before everything was sent, the
/// batches are kept on disk, one spool per provider in the data dir (`status` shows what
/// is pending). `flush` sends them, oldest first, through the same exporters, and deletes
/// what was delivered. A provider stops at its first failure and keeps the rest (fix the
/// key or wait, then flush again). A damaged record is skipped with a warning and copied
/// to the data dir's `quarantine/` folder. Each record is sent only to the destination it
/// was spooled for (see --to-current). Each delivered record is marked at once, so a
/// flush stopped midway sends again at most the record that was in flight. Two flushes
/// never send the same records, and neither does a flush beside a run that is still
/// writing. Exits 0 when nothing is left and nothing was quarantined (an empty spool
/// included), 1 otherwise.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing flush
  automagik-tracing flush --provider langfuse --timeout 120
  automagik-tracing flush --to-current
  automagik-tracing flush --json | jq '.providers[] | {provider, delivered_records}'")]
pub struct FlushArgs {
    /// Flush only this provider's spool
    #[arg(long, value_name = "NAME", value_parser = provider_names())]
    pub provider: Option<String>,

    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// Give up after this many seconds in all; what is left stays in the spool
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = seconds)]
    pub timeout: f64,

    /// Send every record to the current destination, whatever it was spooled for
    ///
    /// Each record remembers the destination it was spooled for (the provider, its
    /// endpoint and a salted hash of its key), and flush sends it only there: spans of
    /// one project's Langfuse never land in another's because flush ran in the wrong
    /// directory. Records of another destination (or spooled by a version that did not
    /// record one) wait for a flush where their settings are; this flag sends them with
    /// the current settings instead.
    #[arg(long)]
    pub to_current: bool,
}

/// The one form `run` takes, shown when it is used without `--wrap`.
pub const RUN_USAGE: &str = "automagik-tracing run [OPTIONS] [--] CMD [ARGS...]";

/// Trace a command: a root span for its run, its own OpenTelemetry spans carried through
///
/// The command runs with stdin, stdout and stderr untouched. It gets TRACEPARENT for the run
/// span, and OTEL_EXPORTER_OTLP_ENDPOINT pointing at a loopback receiver, so an agent that
/// uses an OpenTelemetry SDK sends its spans through this tool (sampled, masked, exported to
/// your providers) without any change to its code. An OTEL_EXPORTER_OTLP_ENDPOINT already
/// set is where they go on to (the `otlp` provider).
///
/// Child root spans that ignore TRACEPARENT are moved under the run span (--no-adopt keeps
/// them apart). SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded. The wrapper exits with
/// the command's code (128+N for signal N, 127 when it is not found, 126 when it cannot be
/// run), whatever happens to the export, which is bounded by --flush-timeout; what is not
/// delivered by then is kept in the spool for `flush`.
///
/// Coding agents (Claude Code `claude`, Gemini CLI `gemini`, Codex `codex`, also through
/// npx) are recognised by the command's name, or named with --agent: their own telemetry
/// is switched on toward the receiver through their environment, or Codex's `-c otel.…`
/// arguments (never their config files), and their events become spans under the run span: a span per prompt, per
/// model request (tokens, cost) and per tool call. Telemetry the user configured for the
/// agent is left alone (-v says so); --agent none turns this off.
///
/// Everything from CMD on belongs to the command (`--` before it is optional, and needed
/// only when the command starts with a dash). `--wrap` is accepted and changes nothing.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing run -- python agent.py --verbose
  automagik-tracing run --name nightly-eval --attr team=search -- ./eval.sh
  automagik-tracing run --flush-timeout 2 node agent.js
  automagik-tracing run -- claude -p \"fix the failing test\"
  automagik-tracing run --agent gemini -- ./my-gemini-wrapper.sh -p \"summarise README.md\"
  automagik-tracing traces show last      # the run you just made")]
pub struct RunArgs {
    /// Accepted for scripts written for earlier versions; `run` wraps the command either way
    #[arg(long, hide_short_help = true)]
    pub wrap: bool,

    /// Name of the run span (default: the program's name)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Add an attribute to the run span (repeatable)
    #[arg(long = "attr", value_name = "KEY=VALUE")]
    pub attrs: Vec<String>,

    /// service.name of the run span (default: the program's name)
    #[arg(long, value_name = "NAME")]
    pub service_name: Option<String>,

    /// Do not start the loopback receiver or point the command at it
    #[arg(long)]
    pub no_receiver: bool,

    /// Keep the command's own root spans in their own traces
    #[arg(long)]
    pub no_adopt: bool,

    /// Session id on every span of the run (and to the command as W3C BAGGAGE)
    #[arg(long = "session", value_name = "ID", env = "AUTOMAGIK_SESSION_ID")]
    pub session: Option<String>,

    /// User id on every span of the run (and to the command as W3C BAGGAGE)
    #[arg(long = "user", value_name = "ID", env = "AUTOMAGIK_USER_ID")]
    pub user: Option<String>,

    /// The coding agent the command runs, when its name does not say (`none`: trace it as any command)
    ///
    /// Claude Code, Gemini CLI and Codex are recognised by the program's name (`claude`,
    /// `gemini`, `codex`, or their npm package run through npx); name the agent here when
    /// a script or alias starts it. `none` leaves the agent's telemetry as it is.
    #[arg(long, value_name = "NAME", value_parser = ["claude", "gemini", "codex", "none"])]
    pub agent: Option<String>,

    /// Seconds to deliver spans after the command exits; the rest is spooled [env: AUTOMAGIK_FLUSH_TIMEOUT] [default: 5]
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub flush_timeout: Option<f64>,

    /// The command and its arguments
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<std::ffi::OsString>,
}

/// Look at the local trace store: recent traces, one trace as a tree, spans as they arrive
///
/// With no other provider configured (or with `local` in AUTOMAGIK_OBSERVABILITY_PROVIDERS)
/// spans go to the local store: OTLP-JSON lines in daily files under `traces/` in the data
/// dir. These commands only read it; they create no file. Times are UTC.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing run --wrap -- python agent.py && automagik-tracing traces show last
  automagik-tracing traces list --limit 5
  automagik-tracing traces show 4bf92f35
  automagik-tracing traces show last --json | jq '.spans[] | select(.status.code == \"error\")'
  automagik-tracing traces tail")]
pub struct TracesArgs {
    /// `list`, `show` or `tail`, and its arguments.
    #[command(subcommand)]
    pub command: TracesCommand,
}

// These docs are `concat!` because clap's derive reads only literal ones: a `///` comment
// on a variant would become that subcommand's help, replacing its Args struct's doc.
#[doc = concat!("The subcommands of `traces`.")]
#[derive(Debug, Subcommand)]
pub enum TracesCommand {
    #[doc = concat!("`traces list`: the recent traces, newest first.")]
    List(TracesListArgs),
    #[doc = concat!("`traces show`: one trace as a tree.")]
    Show(TracesShowArgs),
    #[doc = concat!("`traces tail`: spans as they are written.")]
    Tail(TracesTailArgs),
}

/// The recent traces, newest first: start, id, root span, duration, spans, errors, tokens
///
/// The store is read from its end, so this costs the same however large it is. A trace
/// whose root span is not in the store is named by its earliest span and marked `?`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces list
  automagik-tracing traces list --limit 100
  automagik-tracing traces list --json | jq -r '.traces[0].trace_id'")]
pub struct TracesListArgs {
    /// How many traces to show
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
    pub limit: usize,

    /// Print one JSON object (`{"traces": [...]}`) instead of the table
    #[arg(long)]
    pub json: bool,
}

/// One trace as a tree: each span with its duration, a timing bar and its GenAI details
///
/// Each parent stands above its children, siblings in start order. A span's line shows its
/// name, duration, a bar placed on the trace's time axis, and the model, tokens in and out,
/// cost (`gen_ai.usage.cost`), tool name and error message it carries. A span whose parent
/// is not in the store stands at the top, marked `?─`. Then a summary: total duration,
/// spans, errors, tokens by model.
///
/// ID is a trace id or a unique prefix of one (at least 4 hex digits), or `last` for the
/// trace that started last. A prefix two traces share is refused with both listed.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces show last
  automagik-tracing traces show 4bf92f35
  automagik-tracing traces show last --json | jq '.spans[].name'")]
pub struct TracesShowArgs {
    /// A trace id, a unique prefix of one, or `last`
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the trace as JSON (a summary and its spans in tree order)
    #[arg(long)]
    pub json: bool,
}

/// Follow the store and print spans as they are written, until Ctrl-C
///
/// Starts at the end of the store: only spans written from now on are printed, one line
/// each (time, trace id, name, duration, GenAI details). Moves on to the next day's file
/// by itself. Ctrl-C ends it with exit code 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces tail
  automagik-tracing traces tail --json | jq -c '{name, duration_ms}'")]
pub struct TracesTailArgs {
    /// Print one JSON object a line for each span
    #[arg(long)]
    pub json: bool,
}

/// Show the anonymous telemetry ID, creating it on first use
///
/// The ID is random (UUID v4), kept in the config dir, and never derived from this
/// machine or its user. It is the only identity telemetry carries.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing id
  automagik-tracing id --reset     forget the old ID and make a new one")]
pub struct IdArgs {
    /// Replace the ID with a new random one (events not yet sent under the old one are dropped)
    #[arg(long)]
    pub reset: bool,
}

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

/// Send pending usage telemetry events, then exit (started in the background by other
/// commands; not for people).
#[derive(Debug, Args)]
pub struct TelemetrySendArgs {
    /// The data dir whose telemetry outbox to send
    #[arg(long, value_name = "DIR")]
    pub outbox_dir: PathBuf,

    /// The telemetry endpoint (an OTLP/HTTP traces URL)
    #[arg(long, value_name = "URL")]
    pub endpoint: String,

    /// Give up after this many milliseconds
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub deadline_ms: u64,
}
