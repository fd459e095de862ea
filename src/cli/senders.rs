//! The command lines of the two hidden senders the tool starts in the background: the spool
//! sender (a run's older records to their destination) and the telemetry sender (the
//! outbox). Kept out of `--help`, completions and man pages.

use std::path::PathBuf;

use clap::{Args, Parser};

use super::{GlobalArgs, SPOOL_SENDER, provider_names, seconds};

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
