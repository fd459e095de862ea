//! The command lines of the settings commands: `status` (what is on and why), `configure`
//! (change settings, with where it writes) and `id` (the anonymous telemetry ID).

use clap::{Args, ValueEnum};

use super::provider_names;

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
