//! The OTLP signals (traces, logs, metrics): what a request carries, where it is sent, and
//! which of them a provider accepts.

/// The OTLP signals a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// Spans (every provider takes them).
    pub traces: bool,
    /// Log records.
    pub logs: bool,
    /// Metrics.
    pub metrics: bool,
}

/// One OTLP signal: what a request carries and where it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records (and events).
    Logs,
    /// Metrics.
    Metrics,
}

impl Signal {
    /// Every signal, traces first.
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

    /// `traces`, `logs` or `metrics`: the last segment of its OTLP/HTTP path, and its name
    /// in `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// The signal's URL from the traces URL of the same receiver: `.../v1/traces` becomes
    /// `.../v1/logs` (the OTLP/HTTP paths differ only there). `None` when the traces URL
    /// does not end that way (an `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` used as is).
    pub fn url_beside(self, traces_url: &str) -> Option<String> {
        let base = traces_url
            .trim_end_matches('/')
            .strip_suffix("/v1/traces")?;
        Some(format!("{base}/v1/{}", self.as_str()))
    }
}

impl Signals {
    /// Whether it accepts `signal`.
    pub fn accepts(self, signal: Signal) -> bool {
        match signal {
            Signal::Traces => self.traces,
            Signal::Logs => self.logs,
            Signal::Metrics => self.metrics,
        }
    }

    /// The signals it accepts, traces first.
    pub fn names(self) -> Vec<&'static str> {
        Signal::ALL
            .into_iter()
            .filter(|s| self.accepts(*s))
            .map(Signal::as_str)
            .collect()
    }
}

/// Traces alone: what an exporter takes unless it says otherwise.
pub const TRACES_ONLY: Signals = Signals {
    traces: true,
    logs: false,
    metrics: false,
};
/// Every signal.
pub const ALL_SIGNALS: Signals = Signals {
    traces: true,
    logs: true,
    metrics: true,
};
