//! `status`: every effective setting with its source, and why each layer is on or off.
//!
//! Read-only: it never creates the anonymous ID or any other file. The JSON form is the
//! [`Report`] struct, which tests and scripts read.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::config::keys::mask;
use crate::config::{Settings, Source, Sourced};
use crate::engine::RunMetrics;
use crate::engine::spool::{self, Pending};
use crate::error::{EXIT_OK, Result};
use crate::mask::MaskMode;
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
    let config = ctx.load()?;
    let settings = config.settings()?;
    let report = Report::new(&settings);
    if args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        ctx.ui.out(&format!("{text}\n"))?;
    } else {
        ctx.ui.out(&render(&report, ctx))?;
        for warning in &report.warnings {
            ctx.ui.warn(warning);
        }
    }
    Ok(EXIT_OK)
}

impl Report {
    pub fn new(settings: &Settings) -> Report {
        let obs = &settings.observability;
        let providers = obs
            .providers
            .iter()
            .map(|p| ProviderReport {
                name: p.name.to_string(),
                active: p.active,
                configured: p.configured,
                note: p.note.clone(),
                endpoint: p.endpoint.clone().unwrap_or_default(),
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
                            } else {
                                value.value.clone()
                            },
                            source: value.source.clone(),
                        })
                    })
                    .collect(),
                mask: p.mask.clone(),
                receives: p.mask.value.receives(),
            })
            .collect();
        let limits = &settings.limits;
        let paths = &settings.paths;
        let limit = |name, v: &Sourced<u64>| LimitReport {
            name,
            value: v.value,
            source: v.source.clone(),
        };
        Report {
            observability: ObservabilityReport {
                enabled: obs.switch.enabled,
                reason: obs.switch.reason.clone(),
                providers,
                sample_rate: obs.sample_rate.clone(),
                slow_threshold_ms: obs.slow_threshold_ms.clone(),
                mask: obs.mask.mode.clone(),
                mask_keep: obs.mask.keep.clone(),
            },
            telemetry: TelemetryReport {
                enabled: settings.telemetry.switch.enabled,
                reason: settings.telemetry.switch.reason.clone(),
                endpoint: settings.telemetry.endpoint.value.clone(),
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
            },
            limits: vec![
                limit("queue_max_spans", &limits.queue_max_spans),
                limit("queue_max_bytes", &limits.queue_max_bytes),
                limit("flush_timeout_secs", &limits.flush_timeout_secs),
                limit("spool_max_bytes", &limits.spool_max_bytes),
                limit("store_max_bytes", &limits.store_max_bytes),
                limit("store_max_age_days", &limits.store_max_age_days),
                limit(
                    "attribute_value_length_limit",
                    &limits.attribute_value_length_limit,
                ),
            ],
            files: FilesReport {
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
            },
            last_run: RunMetrics::load(&paths.data_dir.value),
            spool: spool_report(settings),
            ci: settings.ci.clone(),
            warnings: settings.warnings.clone(),
        }
    }
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

/// `90 s`, `12 min`, `5 h`, `3 days`.
fn age(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

fn render(report: &Report, ctx: &Context) -> String {
    let ui = &ctx.ui;
    let onoff = |enabled: bool, reason: &str| {
        if enabled {
            ui.good(reason)
        } else {
            ui.bad(reason)
        }
    };
    let mut out = String::new();
    let obs = &report.observability;
    let _ = writeln!(
        out,
        "{}  {}",
        ui.bold("Observability"),
        onoff(obs.enabled, &obs.reason)
    );
    for p in &obs.providers {
        if p.active {
            let _ = writeln!(
                out,
                "  {:<10} {}  → {}",
                p.name,
                ui.good("active  "),
                p.endpoint
            );
            let _ = writeln!(
                out,
                "  {:<10} {:<8}  receives {}  {}",
                "",
                "",
                p.receives,
                ui.dim(&format!("(mask {}: {})", p.mask.value, p.mask.source))
            );
        } else {
            let _ = writeln!(out, "  {:<10} {}  {}", p.name, ui.dim("inactive"), p.note);
        }
        for key in &p.keys {
            let _ = writeln!(
                out,
                "  {:<10} {:<8}  {} = {}  {}",
                "",
                "",
                key.name,
                key.value,
                ui.dim(&format!("({})", key.source))
            );
        }
    }
    let _ = writeln!(
        out,
        "  sample rate       {:?}  {}",
        obs.sample_rate.value,
        ui.dim(&format!("({})", obs.sample_rate.source))
    );
    let _ = writeln!(
        out,
        "  slow threshold    {} ms  {}",
        obs.slow_threshold_ms.value,
        ui.dim(&format!("({})", obs.slow_threshold_ms.source))
    );
    let _ = writeln!(
        out,
        "  mask              {}  {}",
        obs.mask.value,
        ui.dim(&format!("({})", obs.mask.source))
    );
    if !obs.mask_keep.value.is_empty() {
        let _ = writeln!(
            out,
            "  mask keeps also   {}  {}",
            obs.mask_keep.value.join(", "),
            ui.dim(&format!("({})", obs.mask_keep.source))
        );
    }

    let tel = &report.telemetry;
    let _ = writeln!(
        out,
        "\n{}      {}",
        ui.bold("Telemetry"),
        onoff(tel.enabled, &tel.reason)
    );
    let _ = writeln!(
        out,
        "  endpoint          {}  {}",
        tel.endpoint,
        ui.dim(&format!("({})", tel.endpoint_source))
    );
    let id = tel.anonymous_id.clone().unwrap_or_else(|| {
        "none yet (created by the first event, or by `automagik-tracing id`)".into()
    });
    let _ = writeln!(out, "  anonymous id      {id}");
    if tel.enabled {
        let events: Vec<&str> = tel.would_send.iter().map(|e| e.event).collect();
        let _ = writeln!(
            out,
            "  would send        {} (allowlisted keys only: TELEMETRY.md, or status --json)",
            events.join(", ")
        );
        if tel.debug.value {
            let _ = writeln!(
                out,
                "  debug             on: events are printed on stderr, nothing is sent  {}",
                ui.dim(&format!("({})", tel.debug.source))
            );
        }
        if tel.pending_events > 0 {
            let _ = writeln!(
                out,
                "  pending           {} events not sent yet",
                tel.pending_events
            );
        }
        let _ = writeln!(
            out,
            "  switch off with   automagik-tracing configure --no-telemetry, or DO_NOT_TRACK=1"
        );
    }

    let _ = writeln!(out, "\n{}", ui.bold("Limits"));
    for l in &report.limits {
        let _ = writeln!(
            out,
            "  {:<20}{}  {}",
            l.name,
            l.value,
            ui.dim(&format!("({})", l.source))
        );
    }

    if let Some(run) = &report.last_run {
        let verdict = if run.healthy {
            ui.good("healthy")
        } else {
            ui.bad("unhealthy")
        };
        let _ = writeln!(
            out,
            "\n{}       {verdict}: {} spans queued, {:.2} % dropped, {} spooled, mean export latency {:.1} ms",
            ui.bold("Last run"),
            run.queued,
            run.drop_rate * 100.0,
            run.exporters.iter().map(|e| e.spooled).sum::<u64>(),
            run.mean_latency_ms
        );
        for e in &run.exporters {
            let dropped: Vec<String> = e.dropped.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let dropped = if dropped.is_empty() {
                "none dropped".to_string()
            } else {
                format!("dropped: {}", dropped.join(", "))
            };
            let _ = writeln!(
                out,
                "  {:<10} {} exported, {} spooled, {} retries, {dropped}, p50 {:.1} ms, p99 {:.1} ms",
                e.name, e.exported, e.spooled, e.retries, e.latency_p50_ms, e.latency_p99_ms
            );
            if let Some(error) = &e.spool_error {
                let _ = writeln!(out, "  {:<10} {} {error}", "", ui.bad("spool failed:"));
            }
        }
    }

    if !report.spool.is_empty() {
        let _ = writeln!(
            out,
            "\n{}          waiting for `automagik-tracing flush`",
            ui.bold("Spool")
        );
        for s in &report.spool {
            let _ = writeln!(
                out,
                "  {:<10} {} records, {} spans, {:.1} MiB, oldest {} ago",
                s.provider,
                s.pending.records,
                s.pending.spans,
                s.pending.bytes as f64 / (1024.0 * 1024.0),
                age(s.oldest_age_secs.unwrap_or(0))
            );
            for d in s.destinations.iter().filter(|d| !d.current) {
                let _ = writeln!(
                    out,
                    "  {:<10} {} records for {}, oldest {} ago: flush them where those settings are, or with --to-current",
                    "",
                    d.pending.records,
                    crate::commands::flush::describe_destination(d.destination.as_ref()),
                    age(d.oldest_age_secs.unwrap_or(0))
                );
            }
        }
    }

    let files = &report.files;
    let _ = writeln!(out, "\n{}", ui.bold("Files"));
    let env_file = files.env_file.clone().unwrap_or_else(|| "none".into());
    let _ = writeln!(out, "  .env              {env_file}");
    let missing = if files.config_file_exists {
        ""
    } else {
        "  (not created yet)"
    };
    let _ = writeln!(out, "  settings          {}{missing}", files.config_file);
    let _ = writeln!(
        out,
        "  data dir          {}  {}",
        files.data_dir,
        ui.dim(&format!("({})", files.data_dir_source))
    );
    out
}
