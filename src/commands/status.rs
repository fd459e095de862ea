//! `status`: every effective setting with its source, and why each layer is on or off.
//!
//! Read-only: it never creates the anonymous ID or any other file. The JSON form is the
//! [`Report`] struct, which tests and scripts read. It never stops at the first bad
//! value: every setting is shown, each unreadable one marked with its error, and the
//! exit code is 2 when there was any.

mod model_calls;
mod render;

use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::config::keys::{
    ATTRIBUTE_VALUE_LENGTH_LIMIT, FLUSH_TIMEOUT, QUEUE_MAX_BYTES, QUEUE_MAX_SPANS, SPOOL_MAX_BYTES,
    STORE_MAX_AGE_DAYS, STORE_MAX_BYTES, mask,
};
use crate::config::placeholder::Placeholder;
use crate::config::resolver::Invalid;
use crate::config::{Config, Settings, Source, Sourced};
use crate::engine::RunMetrics;
use crate::engine::spool::{self, Pending};
use crate::error::{EXIT_OK, EXIT_USAGE, Error, Result};
use crate::mask::{MaskMode, url};
use crate::telemetry::events::EventType;
use crate::telemetry::{identity, outbox};

#[derive(Debug, Serialize)]
pub struct Report {
    pub observability: ObservabilityReport,
    pub telemetry: TelemetryReport,
    pub limits: Vec<LimitReport>,
    pub files: FilesReport,
    /// The figures of the last run that exported anything, from the data dir.
    pub last_run: Option<RunMetrics>,
    /// What waits in the spool for `flush`, per provider (only those with something).
    pub spool: Vec<SpoolReport>,
    /// The CI variable that was detected, if any.
    pub ci: Option<String>,
    pub warnings: Vec<String>,
    /// Settings whose value cannot be read, each with its error; `status` exits 2.
    pub invalid: Vec<Invalid>,
    /// Files and directories the tool cannot use (an unreadable `.env`, a data dir that
    /// is a file), each with its error; `status` exits 2.
    pub problems: Vec<Problem>,
    /// Provider keys set to a placeholder or left empty: they count as unset.
    pub placeholders: Vec<Placeholder>,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    pub error: String,
    pub hint: Option<String>,
}

impl Problem {
    fn new(err: &Error) -> Problem {
        Problem {
            error: err.one_line(),
            hint: err.hint().map(str::to_string),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ObservabilityReport {
    pub enabled: bool,
    pub reason: String,
    pub providers: Vec<ProviderReport>,
    pub sample_rate: Sourced<f64>,
    pub slow_threshold_ms: Sourced<u64>,
    /// `AUTOMAGIK_MASK`: the mode of every provider without its own.
    pub mask: Sourced<MaskMode>,
    pub mask_keep: Sourced<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct ProviderReport {
    pub name: String,
    pub active: bool,
    pub configured: bool,
    pub note: String,
    pub endpoint: String,
    /// Where the provider's configuration came from; empty when it has none.
    pub source: String,
    pub keys: Vec<KeyReport>,
    /// Its mask mode, from `AUTOMAGIK_MASK_<PROVIDER>` or `AUTOMAGIK_MASK`.
    pub mask: Sourced<MaskMode>,
    /// What it receives of the spans' content, in words.
    pub receives: &'static str,
    /// The OTLP signals it receives (`traces`, `logs`, `metrics`); a wrapped command's
    /// other signals are not sent to it.
    pub signals: Vec<&'static str>,
}

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

#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub name: String,
    /// Masked when the key is secret.
    pub value: String,
    pub source: Source,
}

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

#[derive(Debug, Serialize)]
pub struct LimitReport {
    pub name: &'static str,
    /// The environment variable that sets it.
    pub var: &'static str,
    pub value: u64,
    pub source: Source,
}

#[derive(Debug, Serialize)]
pub struct FilesReport {
    pub env_file: Option<String>,
    pub config_file: String,
    pub config_file_exists: bool,
    pub config_dir: Sourced<String>,
    pub data_dir: String,
    pub data_dir_source: Source,
}

pub fn run(args: &StatusArgs, ctx: &Context) -> Result<u8> {
    let (config, unreadable) = Config::load_all(ctx.options.clone())?;
    let settings = config.settings_all();
    let mut report = Report::new(&settings);
    report.problems = unreadable.iter().map(Problem::new).collect();
    report
        .problems
        .extend(data_dir_problem(&settings.paths.data_dir.value));
    if args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        ctx.ui.out(&format!("{text}\n"))?;
    } else {
        ctx.ui.out(&render::render(&report, &ctx.ui))?;
        for warning in &report.warnings {
            ctx.ui.warn(warning);
        }
        for problem in &report.problems {
            ctx.ui.warn(&problem.error);
        }
    }
    // Also on stderr, where scripts and `2>&1 | grep error` look for them.
    for invalid in &report.invalid {
        eprint!("{}", invalid.to_error().report());
    }
    let bad = !report.invalid.is_empty() || !report.problems.is_empty();
    Ok(if bad { EXIT_USAGE } else { EXIT_OK })
}

/// Why the data dir cannot hold the spool, the local store and the run metrics, if so.
/// A missing one is fine: it is created when first needed.
fn data_dir_problem(dir: &std::path::Path) -> Option<Problem> {
    let hint = "set AUTOMAGIK_DATA_DIR (or --data-dir) to a directory of yours";
    let err = match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => Error::io("cannot use the data dir", dir, e),
        Ok(meta) if !meta.is_dir() => Error::bad_input(format!(
            "the data dir `{}` is not a directory",
            dir.display()
        )),
        Ok(_) => match std::fs::read_dir(dir) {
            Ok(_) => return None,
            Err(e) => Error::io("cannot read the data dir", dir, e),
        },
    };
    Some(Problem::new(&err.with_hint(hint)))
}

impl Report {
    pub fn new(settings: &Settings) -> Report {
        let obs = &settings.observability;
        let paths = &settings.paths;
        Report {
            observability: ObservabilityReport {
                enabled: obs.switch.enabled,
                reason: obs.switch.reason.clone(),
                providers: obs.providers.iter().map(ProviderReport::new).collect(),
                sample_rate: obs.sample_rate.clone(),
                slow_threshold_ms: obs.slow_threshold_ms.clone(),
                mask: obs.mask.mode.clone(),
                mask_keep: obs.mask.keep.clone(),
            },
            telemetry: TelemetryReport::new(settings),
            limits: limits(&settings.limits),
            files: FilesReport::new(paths),
            last_run: RunMetrics::load(&paths.data_dir.value),
            spool: spool_report(settings),
            ci: settings.ci.clone(),
            warnings: settings
                .warnings
                .iter()
                .map(|w| url::display_in(w).into_owned())
                .collect(),
            invalid: settings.invalid.clone(),
            problems: Vec::new(),
            placeholders: settings.placeholders.clone(),
        }
    }
}

impl ProviderReport {
    fn new(p: &crate::config::ProviderConfig) -> ProviderReport {
        ProviderReport {
            name: p.name.to_string(),
            active: p.active,
            configured: p.configured,
            note: p.note.clone(),
            endpoint: p.endpoint.as_deref().map(url::display).unwrap_or_default(),
            source: p.source.as_ref().map(Source::to_string).unwrap_or_default(),
            keys: p
                .keys
                .iter()
                .filter_map(|k| {
                    let value = k.value.as_ref()?;
                    Some(KeyReport {
                        name: k.spec.var.to_string(),
                        value: if k.spec.secret {
                            mask(&value.value)
                        } else if url_key(p.name, k.spec.short) {
                            // A URL setting: a token in its query never shows.
                            url::display(&value.value)
                        } else {
                            // Any URL in another value (MLflow's `databricks://…`) neither.
                            url::display_in(&value.value).into_owned()
                        },
                        source: value.source.clone(),
                    })
                })
                .collect(),
            mask: p.mask.clone(),
            receives: p.mask.value.receives(),
            signals: signals(p),
        }
    }
}

/// The signals a provider receives: its preset's, less those it has no URL for (an
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` alone, of another shape than `…/v1/traces`).
fn signals(p: &crate::config::ProviderConfig) -> Vec<&'static str> {
    use crate::presets::{self, Signal, Signals};
    let preset = presets::signals(p.name).unwrap_or(presets::TRACES_ONLY);
    let has_url = |signal: Signal| match (&p.endpoint, p.name) {
        (_, presets::LOCAL) | (None, _) => true,
        (Some(traces), _) => crate::export::otlp_http::signal_url(p, traces, signal).is_some(),
    };
    Signals {
        traces: true,
        logs: preset.logs && has_url(Signal::Logs),
        metrics: preset.metrics && has_url(Signal::Metrics),
    }
    .names()
}

/// Whether a provider key holds a URL, even one without a scheme: its base key, or an
/// endpoint.
fn url_key(provider: &str, short: &str) -> bool {
    crate::presets::preset(provider).is_some_and(|p| p.base_key == short)
        || short.contains("endpoint")
}

impl TelemetryReport {
    fn new(settings: &Settings) -> TelemetryReport {
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

impl FilesReport {
    fn new(paths: &crate::config::Paths) -> FilesReport {
        FilesReport {
            env_file: paths
                .env_file_exists
                .then(|| paths.env_file.display().to_string()),
            config_file: paths.config_file().display().to_string(),
            config_file_exists: paths.config_file().is_file(),
            config_dir: Sourced::new(
                paths.config_dir.value.display().to_string(),
                paths.config_dir.source.clone(),
            ),
            data_dir: paths.data_dir.value.display().to_string(),
            data_dir_source: paths.data_dir.source.clone(),
        }
    }
}

fn limits(limits: &crate::config::Limits) -> Vec<LimitReport> {
    let limit = |name, var, v: &Sourced<u64>| LimitReport {
        name,
        var,
        value: v.value,
        source: v.source.clone(),
    };
    vec![
        limit("queue_max_spans", QUEUE_MAX_SPANS, &limits.queue_max_spans),
        limit("queue_max_bytes", QUEUE_MAX_BYTES, &limits.queue_max_bytes),
        limit(
            "flush_timeout_secs",
            FLUSH_TIMEOUT,
            &limits.flush_timeout_secs,
        ),
        limit("spool_max_bytes", SPOOL_MAX_BYTES, &limits.spool_max_bytes),
        limit("store_max_bytes", STORE_MAX_BYTES, &limits.store_max_bytes),
        limit(
            "store_max_age_days",
            STORE_MAX_AGE_DAYS,
            &limits.store_max_age_days,
        ),
        limit(
            "attribute_value_length_limit",
            ATTRIBUTE_VALUE_LENGTH_LIMIT,
            &limits.attribute_value_length_limit,
        ),
    ]
}

/// What the spool holds per provider; a spool that cannot be read shows as empty (status
/// never fails over it; `flush` names the problem).
fn spool_report(settings: &Settings) -> Vec<SpoolReport> {
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
