//! The command lines of the commands that send what was recorded: `test-export` (a test
//! trace to each provider) and `flush` (what the spool holds).

use clap::Args;

use super::{provider_names, seconds};

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
