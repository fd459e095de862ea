//! What a flush is asked to send ([`Target`]), and what it tells as it goes ([`Step`])
//! and at the end ([`FlushReport`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::spool::Destination;
use crate::export::Outcome;

/// Which records a flush sends.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where the current settings send (records spooled for it are sent).
    pub destination: Destination,
    /// Send every record here, whatever destination it was spooled for (`--to-current`).
    pub to_current: bool,
}

impl Target {
    pub(super) fn takes(&self, spooled_for: Option<&Destination>) -> bool {
        self.to_current
            || spooled_for.is_some_and(|d| d.fingerprint == self.destination.fingerprint)
    }
}

/// What happened to one record, as it happens (for a progress bar).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A record the provider accepted.
    Delivered {
        /// How many spans it held.
        spans: u64,
    },
    /// A record the provider refused, or that could not be sent; it stays.
    Failed,
    /// Not attempted: after a failure, past the deadline, or held by another process.
    Skipped,
    /// Damaged bytes, copied to the quarantine folder (or left in place when even the
    /// copy failed).
    Quarantined,
    /// Spooled for another destination (or before records carried one): left for a
    /// flush where those settings are.
    Elsewhere,
    /// Something the user should read, naming the file.
    Warning(String),
}

/// One provider's flush, in figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlushReport {
    /// The provider flushed (`langfuse`, `otlp`...).
    pub provider: String,
    /// Where it went, without userinfo or query.
    pub endpoint: String,
    /// Records the provider accepted.
    pub delivered_records: u64,
    /// The spans those records held.
    pub delivered_spans: u64,
    /// Records refused or not sent (they stay in the spool).
    pub failed_records: u64,
    /// Records not attempted: after a failure, past the deadline, or busy.
    pub skipped_records: u64,
    /// Damaged records copied to the quarantine folder.
    pub quarantined_records: u64,
    /// Records spooled for another destination, or for an unknown one (left in place).
    pub elsewhere_records: u64,
    /// Spans left out of delivered records: too large even alone, or not maskable.
    pub dropped_spans: u64,
    /// Log records and metric data points delivered, by signal (`logs`, `metrics`); the
    /// records that held them are counted in `delivered_records`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub delivered_by_signal: BTreeMap<String, u64>,
    /// Segments another process held (a run still writing, another flush).
    pub busy_segments: u64,
    /// The failure that stopped this provider, if one did.
    #[serde(skip)]
    pub failure: Option<Outcome>,
    /// What the user should read, each naming its file.
    pub warnings: Vec<String>,
}
