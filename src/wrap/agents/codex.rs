//! Codex CLI: recognised, and its spans passed through unchanged. Its telemetry is
//! switched on only through its `config.toml` `[otel]` section or `-c key=value` overrides
//! on its command line ([`Setup::args`]); filling [`setup`] and the translator is the next
//! step (see the Codex item of issue 18).

use std::collections::HashMap;

use super::{LogEvent, RunIds, Setup, Tally, Translator};
use crate::span::Span;

/// Nothing yet: Codex's telemetry is left as the user configured it, and `-v` says so.
pub fn setup(_receiver: &str, _env: &HashMap<String, String>) -> Setup {
    Setup {
        notes: vec!["Codex's telemetry is not switched on by the wrapper yet".into()],
        ..Setup::default()
    }
}

/// The translator of one Codex run: passes its spans through.
pub struct Codex {
    tally: Tally,
}

impl Codex {
    /// A translator for a run under `run`.
    pub fn new(_run: RunIds) -> Codex {
        Codex {
            tally: Tally::default(),
        }
    }
}

impl Translator for Codex {
    fn spans(&mut self, spans: Vec<Span>) -> Vec<Span> {
        spans
    }

    fn logs(&mut self, _events: &[LogEvent]) -> Vec<Span> {
        Vec::new()
    }

    fn finish(&mut self) -> Vec<Span> {
        Vec::new()
    }

    fn tally(&self) -> Tally {
        self.tally
    }
}
