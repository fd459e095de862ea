//! `flush`: deliver what the spool holds, provider by provider, with a progress bar on a
//! terminal, and say per provider what was delivered, what failed (with a hint), what was
//! skipped or quarantined, and what waits for another destination.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::FlushArgs;
use crate::commands::Context;
use crate::config::Settings;
use crate::engine::flush::{FlushReport, Step, Target, flush_spool};
use crate::engine::spool::{self, DestinationKey, DestinationPending, Pending};
use crate::error::{EXIT_FAILED, EXIT_OK, Error, Result};
use crate::export::{self, Outcome};

#[derive(Debug, Serialize)]
struct Report {
    /// Nothing deliverable is left.
    ok: bool,
    providers: Vec<ProviderRow>,
}

#[derive(Debug, Serialize)]
struct ProviderRow {
    #[serde(flatten)]
    flush: FlushReport,
    /// What is still in the spool afterwards.
    left: Pending,
    /// Of that, what was spooled for another destination (or an unknown one: spooled by
    /// a version that did not record it), per destination.
    elsewhere: Vec<DestinationPending>,
    error: Option<String>,
    status: Option<u16>,
    hint: Option<String>,
    /// Why the provider was not flushed at all (not configured).
    not_flushed: Option<String>,
}

pub fn run(args: &FlushArgs, ctx: &Context) -> Result<u8> {
    let settings = ctx.load()?.settings()?;
    let data_dir = settings.paths.data_dir.value.clone();
    let waiting = waiting(args, &data_dir)?;
    if waiting.is_empty() {
        let summary = match &args.provider {
            Some(name) => format!("nothing to flush for {name}: its spool is empty"),
            None => "nothing to flush: the spool is empty".to_string(),
        };
        return finish(args, ctx, Vec::new(), &summary);
    }
    if !settings.observability.switch.enabled {
        return Err(Error::failed(format!(
            "observability is {}: the spool is kept",
            settings.observability.switch.reason
        ))
        .with_hint("turn it on (automagik-tracing status says how), then flush again"));
    }

    let total: u64 = waiting.iter().map(|(_, p)| p.records).sum();
    let bar = ctx.ui.progress(total, "records");
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the flush: {e}")))?;
    let mut rows = Vec::new();
    for (name, pending) in waiting {
        bar.set_message(name.clone());
        if bar.is_hidden() {
            ctx.ui.note(&format!(
                "flushing {name}: {} records ({} spans)",
                pending.records, pending.spans
            ));
        }
        let flushing = Flushing {
            args,
            ctx,
            settings: &settings,
            runtime: &runtime,
            bar: &bar,
            deadline,
        };
        rows.push(flushing.provider(&name, pending)?);
    }
    bar.finish_and_clear();
    // Nothing may outlive the timeout (a DNS lookup on the blocking pool, say).
    runtime.shutdown_background();
    let summary = summary(&rows);
    finish(args, ctx, rows, &summary)
}

/// The providers whose spool holds something, with what it holds (empty segments, left
/// by a crash before their first record, are removed on the way).
fn waiting(args: &FlushArgs, data_dir: &std::path::Path) -> Result<Vec<(String, Pending)>> {
    let names = match &args.provider {
        Some(name) => vec![name.clone()],
        None => spool::providers(data_dir)?,
    };
    let mut waiting = Vec::new();
    for name in names {
        let dir = spool::provider_dir(data_dir, &name);
        spool::remove_empty(&dir);
        let pending = spool::pending(&dir)?;
        if !pending.is_empty() {
            waiting.push((name, pending));
        }
    }
    Ok(waiting)
}

/// What one flush shares across its providers.
struct Flushing<'a> {
    args: &'a FlushArgs,
    ctx: &'a Context,
    settings: &'a crate::config::Settings,
    runtime: &'a tokio::runtime::Runtime,
    bar: &'a indicatif::ProgressBar,
    deadline: Instant,
}

impl Flushing<'_> {
    /// Flushes one provider's spool and says how it went.
    fn provider(&self, name: &str, pending: Pending) -> Result<ProviderRow> {
        let data_dir = &self.settings.paths.data_dir.value;
        let dir = spool::provider_dir(data_dir, name);
        let (provider, exporter) = match exporter_for(self.settings, name) {
            Ok(found) => found,
            Err(why) => {
                self.bar.inc(pending.records);
                return Ok(ProviderRow {
                    flush: FlushReport {
                        provider: name.to_string(),
                        skipped_records: pending.records,
                        ..Default::default()
                    },
                    left: pending,
                    elsewhere: Vec::new(),
                    error: None,
                    status: None,
                    hint: Some(format!(
                        "configure it (automagik-tracing configure --provider {name}), or delete `{}` to discard these spans",
                        dir.display()
                    )),
                    not_flushed: Some(why),
                });
            }
        };
        let target = Target {
            destination: spool::destination_of(data_dir, &DestinationKey::of(&provider))?,
            to_current: self.args.to_current,
        };
        let mut on_step = |step: &Step| match step {
            Step::Warning(text) => self.bar.suspend(|| self.ctx.ui.warn(text)),
            _ => self.bar.inc(1),
        };
        // Masked as the provider's mode says now, whatever it was when spooled.
        let masker = self.settings.observability.mask_plan().masker_for(name);
        let flush = self.runtime.block_on(flush_spool(
            &dir,
            data_dir,
            exporter.as_ref(),
            &masker,
            &target,
            self.deadline,
            &mut on_step,
        ));
        let failure = flush.failure.clone();
        let elsewhere = spool::pending_by_destination(&dir)?
            .into_iter()
            .filter(|d| {
                d.destination.as_ref().map(|d| &d.fingerprint)
                    != Some(&target.destination.fingerprint)
            })
            .collect();
        Ok(ProviderRow {
            left: spool::pending(&dir)?,
            elsewhere,
            error: failure
                .as_ref()
                .and_then(Outcome::message)
                .map(str::to_string),
            status: failure.as_ref().and_then(Outcome::status),
            hint: failure.as_ref().and_then(|f| export::hint(&provider, f)),
            not_flushed: None,
            flush,
        })
    }
}

/// The closing line: all delivered, what waits for another destination, or what is left.
fn summary(rows: &[ProviderRow]) -> String {
    let left: u64 = rows.iter().map(|r| r.left.records).sum();
    let elsewhere: u64 = rows
        .iter()
        .flat_map(|r| &r.elsewhere)
        .map(|d| d.pending.records)
        .sum();
    if left == 0 {
        "everything pending was delivered".to_string()
    } else if left == elsewhere {
        format!(
            "{left} records stay in the spool for another destination: run `automagik-tracing flush` where those settings are (the project whose .env holds that key), or pass --to-current to send them with the current settings"
        )
    } else {
        format!(
            "{left} records stay in the spool; run `automagik-tracing flush` again once the cause is fixed"
        )
    }
}

/// The provider's settings and an exporter for it, or why it cannot be flushed.
fn exporter_for(
    settings: &Settings,
    name: &str,
) -> std::result::Result<
    (
        crate::config::ProviderConfig,
        std::sync::Arc<dyn export::Exporter>,
    ),
    String,
> {
    let Some(provider) = settings.observability.provider(name) else {
        return Err(format!("`{name}` is not a provider this version knows"));
    };
    if !provider.configured {
        return Err(format!("{name} is {}", provider.note));
    }
    let exporter = export::build(settings, provider).map_err(|e| e.one_line())?;
    Ok((provider.clone(), exporter))
}

fn finish(args: &FlushArgs, ctx: &Context, rows: Vec<ProviderRow>, summary: &str) -> Result<u8> {
    // What decides is what is left (records another flush delivered meanwhile are not),
    // and whether anything was damaged.
    let ok = rows
        .iter()
        .all(|r| r.left.is_empty() && r.flush.quarantined_records == 0);
    if args.json {
        let report = Report {
            ok,
            providers: rows,
        };
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        ctx.ui.out(&format!("{text}\n"))?;
    } else {
        ctx.ui.out(&render(&rows, summary, ctx))?;
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}

fn render(rows: &[ProviderRow], summary: &str, ctx: &Context) -> String {
    let ui = &ctx.ui;
    let mut out = String::new();
    for row in rows {
        let f = &row.flush;
        let name = ui.bold(&format!("{:<10}", f.provider));
        if let Some(why) = &row.not_flushed {
            out.push_str(&format!(
                "{name} {} {} records ({} spans): {why}\n",
                ui.bad("not flushed:"),
                row.left.records,
                row.left.spans
            ));
        } else {
            let mut held = vec![format!("{} spans", f.delivered_spans)];
            held.extend(
                f.delivered_by_signal
                    .iter()
                    .map(|(signal, n)| format!("{n} {signal}")),
            );
            let delivered = format!(
                "delivered {} records ({})",
                f.delivered_records,
                held.join(", ")
            );
            let delivered = if row.left.is_empty() {
                ui.good(&delivered)
            } else {
                delivered
            };
            out.push_str(&format!(
                "{name} {delivered}, failed {}, skipped {}, quarantined {}  {}\n",
                f.failed_records,
                f.skipped_records,
                f.quarantined_records,
                ui.dim(&f.endpoint)
            ));
            if f.busy_segments > 0 {
                out.push_str(&format!(
                    "  {} segments were in use by another process (a run still writing, or another flush): skipped\n",
                    f.busy_segments
                ));
            }
            for d in &row.elsewhere {
                out.push_str(&format!(
                    "  {} records ({} spans) wait for {}\n",
                    d.pending.records,
                    d.pending.spans,
                    describe(d)
                ));
            }
            if f.dropped_spans > 0 {
                out.push_str(&format!(
                    "  {} spans were left out: too large for the provider even alone, or not maskable\n",
                    f.dropped_spans
                ));
            }
        }
        if let Some(error) = &row.error {
            out.push_str(&format!("  {} {error}\n", ui.bad("error:")));
        }
        if !row.elsewhere.is_empty() {
            out.push_str(&format!(
                "  hint: run `automagik-tracing flush` where those settings are, or pass --to-current to send them to {}\n",
                ui.dim(&f.endpoint)
            ));
        }
        if let Some(hint) = &row.hint {
            out.push_str(&format!("  hint: {hint}\n"));
        }
    }
    out.push_str(summary);
    out.push('\n');
    out
}

/// Another destination, in words.
pub fn describe(pending: &DestinationPending) -> String {
    describe_destination(pending.destination.as_ref())
}

/// A destination records were spooled for, in words (`None`: not recorded).
pub fn describe_destination(destination: Option<&spool::Destination>) -> String {
    match destination {
        Some(d) => format!("another destination: {}", d.describe()),
        None => "an unknown destination (spooled by an earlier version, which did not record it)"
            .to_string(),
    }
}
