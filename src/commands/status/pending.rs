//! What waits in the spool for `flush`, per provider and per destination, with the age of
//! the oldest record; a spool that cannot be read shows as empty.

use serde::Serialize;

use crate::config::Settings;
use crate::engine::spool::{self, Pending};

#[derive(Debug, Serialize)]
pub struct SpoolReport {
    pub provider: String,
    #[serde(flatten)]
    pub pending: Pending,
    /// Seconds since the oldest pending segment was written.
    pub oldest_age_secs: Option<u64>,
    /// What waits per destination: `flush` here sends only the current one's.
    pub destinations: Vec<SpoolDestination>,
}

#[derive(Debug, Serialize)]
pub struct SpoolDestination {
    /// `None`: spooled by an earlier version, which did not record where to.
    pub destination: Option<spool::Destination>,
    /// Where the current settings of this provider send.
    pub current: bool,
    #[serde(flatten)]
    pub pending: Pending,
    pub oldest_age_secs: Option<u64>,
}

/// What the spool holds per provider; a spool that cannot be read shows as empty (status
/// never fails over it; `flush` names the problem).
pub(super) fn spool_report(settings: &Settings) -> Vec<SpoolReport> {
    let data_dir = &settings.paths.data_dir.value;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let age_secs = |pending: &Pending| pending.oldest_ms.map(|t| now_ms.saturating_sub(t) / 1000);
    spool::providers(data_dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|provider| {
            let dir = spool::provider_dir(data_dir, &provider);
            let pending = spool::pending(&dir).ok()?;
            let current = settings
                .observability
                .provider(&provider)
                .filter(|p| p.configured)
                .and_then(|p| {
                    spool::DestinationKey::of(p).resolve_existing(&spool::root(data_dir))
                });
            let destinations = spool::pending_by_destination(&dir)
                .unwrap_or_default()
                .into_iter()
                .map(|d| SpoolDestination {
                    current: d.destination.is_some() && d.destination == current,
                    oldest_age_secs: age_secs(&d.pending),
                    destination: d.destination,
                    pending: d.pending,
                })
                .collect();
            (!pending.is_empty()).then(|| SpoolReport {
                provider,
                oldest_age_secs: age_secs(&pending),
                pending,
                destinations,
            })
        })
        .collect()
}
