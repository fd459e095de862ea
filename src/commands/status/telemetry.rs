//! The telemetry layer in `status`: on or off and why, where it sends, the anonymous ID if
//! there is one, what waits to be sent, and every event type with the only keys it may carry.

use serde::Serialize;

use crate::config::{Settings, Source, Sourced};
use crate::mask::url;
use crate::telemetry::events::EventType;
use crate::telemetry::{identity, outbox};

#[derive(Debug, Serialize)]
pub struct TelemetryReport {
    pub enabled: bool,
    pub reason: String,
    pub endpoint: String,
    pub endpoint_source: Source,
    pub anonymous_id: Option<String>,
    /// `AUTOMAGIK_TELEMETRY_DEBUG`: events are printed, never sent.
    pub debug: Sourced<bool>,
    /// Events recorded and not sent yet.
    pub pending_events: usize,
    /// What would be sent: each event type and the only keys it may carry.
    pub would_send: Vec<EventReport>,
}

#[derive(Debug, Serialize)]
pub struct EventReport {
    pub event: &'static str,
    pub keys: &'static [&'static str],
}

impl TelemetryReport {
    pub(super) fn new(settings: &Settings) -> TelemetryReport {
        let paths = &settings.paths;
        TelemetryReport {
            enabled: settings.telemetry.switch.enabled,
            reason: settings.telemetry.switch.reason.clone(),
            endpoint: url::display(&settings.telemetry.endpoint.value),
            endpoint_source: settings.telemetry.endpoint.source.clone(),
            anonymous_id: match identity::read(&paths.config_dir.value) {
                identity::Stored::Valid(id) => Some(id),
                _ => None,
            },
            debug: settings.telemetry.debug.clone(),
            pending_events: outbox::count(&paths.data_dir.value),
            would_send: EventType::ALL
                .iter()
                .map(|t| EventReport {
                    event: t.name(),
                    keys: t.allowed_keys(),
                })
                .collect(),
        }
    }
}
