//! The command line of `run`: wrapping a command, its run span's name and attributes, the
//! receiver, the agent and the export's deadline. `run_only` parses it alone.

use clap::Args;

use super::seconds;

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
