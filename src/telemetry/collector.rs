//! The collector: the plan's calls (`track_agent_run`, `track_feature_usage`,
//! `track_error`, `track_event`) for the CLI and for Rust agents. Every event passes the
//! privacy filter as it is tracked; [`Collector::finish`] stamps the anonymous and session
//! ids on them and appends them to the outbox (or, in debug mode, only returns them).
//! Off, it does nothing at all: no ID, no salt, no file.
//!
//! ```no_run
//! use automagik_tracing::{Config, LoadOptions, telemetry::Collector};
//!
//! let settings = Config::load(LoadOptions::from_process())?.settings()?;
//! let telemetry = Collector::new(&settings);
//! telemetry.track_agent_run("simple", "pydantic-ai", true, 1250);
//! telemetry.track_feature_usage("memory.search");
//! telemetry.finish()?; // into the outbox; `send_pending` or the CLI's sender sends it
//! # Ok::<(), automagik_tracing::Error>(())
//! ```

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use super::events::{AttrValue, Event, EventType};
use super::{identity, outbox, privacy};
use crate::config::Settings;
use crate::error::Result;
use crate::span::now_unix_nanos;

/// The key whose value the collector hashes before anything else sees it.
const HASHED_KEY: &str = "agent.hash";

/// A filtered event waiting for [`Collector::finish`].
type Tracked = (
    EventType,
    u64,
    std::collections::BTreeMap<String, AttrValue>,
);

/// Records one process's telemetry events: each is filtered as it is tracked, and all are
/// stamped and kept by [`Collector::finish`]. Shared by reference between threads; off, it
/// does nothing at all.
pub struct Collector {
    enabled: bool,
    debug: bool,
    config_dir: PathBuf,
    data_dir: PathBuf,
    session_id: String,
    tracked: Mutex<Vec<Tracked>>,
    salt: OnceLock<Option<Vec<u8>>>,
}

/// What [`Collector::finish`] did.
#[derive(Debug, Default)]
pub struct Finished {
    /// The events recorded (in debug mode: printed, not kept).
    pub events: Vec<Event>,
    /// True when they went to the outbox (telemetry on, not debug).
    pub queued: bool,
}

impl Collector {
    /// A collector that follows the settings' telemetry switch and debug flag.
    pub fn new(settings: &Settings) -> Collector {
        Collector {
            enabled: settings.telemetry.switch.enabled,
            debug: settings.telemetry.debug.value,
            config_dir: settings.paths.config_dir.value.clone(),
            data_dir: settings.paths.data_dir.value.clone(),
            session_id: uuid::Uuid::new_v4().hyphenated().to_string(),
            tracked: Mutex::new(Vec::new()),
            salt: OnceLock::new(),
        }
    }

    /// Whether telemetry is on, so tracked events will be kept.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Records an event; attributes outside the type's allowlist are dropped, string
    /// values scrubbed and capped. `agent.hash` takes the agent's *name*: it is hashed
    /// here, with the install's salt, and never stored or sent as it was given.
    pub fn track_event<K: AsRef<str>>(
        &self,
        event_type: EventType,
        attributes: impl IntoIterator<Item = (K, AttrValue)>,
    ) {
        if !self.enabled {
            return;
        }
        let hashed = attributes.into_iter().filter_map(|(key, value)| {
            if key.as_ref() != HASHED_KEY {
                return Some((key.as_ref().to_string(), value));
            }
            match value {
                AttrValue::Str(name) => Some((HASHED_KEY.to_string(), self.hash(&name)?.into())),
                _ => None,
            }
        });
        let filtered = privacy::filter(event_type, hashed);
        crate::sync::lock(&self.tracked).push((event_type, now_unix_nanos(), filtered));
    }

    /// An agent ran: its type and framework (not its name), the outcome and duration.
    pub fn track_agent_run(
        &self,
        agent_type: &str,
        framework: &str,
        success: bool,
        duration_ms: u64,
    ) {
        self.track_event(
            EventType::AgentRun,
            [
                ("agent.type", agent_type.into()),
                ("agent.framework", framework.into()),
                ("success", success.into()),
                ("duration_ms", duration_ms.into()),
            ],
        );
    }

    /// A feature was used (`run.adopt`, `configure.wizard`, ...).
    pub fn track_feature_usage(&self, feature_name: &str) {
        self.track_event(
            EventType::FeatureUsed,
            [("feature.name", feature_name.into())],
        );
    }

    /// An error happened: its type and where, never its message.
    pub fn track_error(&self, error_type: &str, component: &str) {
        self.track_event(
            EventType::AgentError,
            [
                ("error.type", error_type.into()),
                ("component", component.into()),
            ],
        );
    }

    /// A value that must be countable but not readable (an agent's name), as
    /// `h:` + 16 hex digits of a salted SHA-256. The salt never leaves this machine;
    /// without one (an unwritable config dir) there is no hash, and the value is left out.
    pub fn hash(&self, value: &str) -> Option<String> {
        let salt = self
            .salt
            .get_or_init(|| identity::salt(&self.config_dir).ok());
        salt.as_deref().map(|salt| privacy::hash(salt, value))
    }

    /// Stamps the tracked events with the anonymous ID (created now if there is none) and
    /// this session's id, and appends them to the outbox; in debug mode only returns them.
    pub fn finish(self) -> Result<Finished> {
        let tracked = self
            .tracked
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !self.enabled || tracked.is_empty() {
            return Ok(Finished::default());
        }
        let anonymous_id = identity::ensure(&self.config_dir)?.id;
        let events: Vec<Event> = tracked
            .into_iter()
            .map(|(event_type, time_unix_nanos, attributes)| Event {
                id: format!("{:016x}", fastrand::u64(..)),
                event_type,
                time_unix_nanos,
                anonymous_id: anonymous_id.clone(),
                session_id: self.session_id.clone(),
                attributes,
            })
            .collect();
        if self.debug {
            return Ok(Finished {
                events,
                queued: false,
            });
        }
        outbox::append(&self.data_dir, &events)?;
        Ok(Finished {
            events,
            queued: true,
        })
    }
}
