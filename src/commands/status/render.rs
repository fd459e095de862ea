//! The text form of `status`: one section per topic, every unreadable value marked on
//! its own line with the error, placeholders named under their provider.

use std::fmt::Write as _;

use super::{LimitReport, ProviderReport, Report};
use crate::config::keys;
use crate::config::resolver::Invalid;
use crate::config::{Source, Sourced};
use crate::presets;
use crate::ui::Ui;

/// The width of the label column (`attribute_value_length_limit` and a space fit).
const LABEL: usize = 30;

pub fn render(report: &Report, ui: &Ui) -> String {
    let mut out = String::new();
    observability(&mut out, report, ui);
    telemetry(&mut out, report, ui);
    limits(&mut out, report, ui);
    last_run(&mut out, report, ui);
    spool(&mut out, report, ui);
    files(&mut out, report, ui);
    invalid_summary(&mut out, report, ui);
    out
}

fn onoff(ui: &Ui, enabled: bool, reason: &str) -> String {
    if enabled {
        ui.good(reason)
    } else {
        ui.bad(reason)
    }
}

fn invalid<'a>(report: &'a Report, var: &str) -> Option<&'a Invalid> {
    report.invalid.iter().find(|i| i.var == var)
}

/// `  label   value  (source)`, or the error in place of the value when it is unreadable.
fn setting(
    out: &mut String,
    ui: &Ui,
    label: &str,
    value: &str,
    source: &Source,
    bad: Option<&Invalid>,
) {
    let shown = match bad {
        Some(bad) => ui.bad(&format!("invalid: {}", bad.error)),
        None => value.to_string(),
    };
    let _ = writeln!(
        out,
        "  {label:<LABEL$}{shown}  {}",
        ui.dim(&format!("({source})"))
    );
}

fn observability(out: &mut String, report: &Report, ui: &Ui) {
    let obs = &report.observability;
    let _ = writeln!(
        out,
        "{}  {}",
        ui.bold("Observability"),
        onoff(ui, obs.enabled, &obs.reason)
    );
    for p in &obs.providers {
        provider(out, report, p, ui);
    }
    let rate = &obs.sample_rate;
    let bad = invalid(report, keys::SAMPLE_RATE);
    setting(
        out,
        ui,
        "sample rate",
        &format!("{:?}", rate.value),
        &rate.source,
        bad,
    );
    let slow = &obs.slow_threshold_ms;
    let bad = invalid(report, keys::SLOW_THRESHOLD_MS);
    setting(
        out,
        ui,
        "slow threshold",
        &format!("{} ms", slow.value),
        &slow.source,
        bad,
    );
    let bad = invalid(report, keys::MASK);
    setting(
        out,
        ui,
        "mask",
        &obs.mask.value.to_string(),
        &obs.mask.source,
        bad,
    );
    let keep = &obs.mask_keep;
    let bad = invalid(report, keys::MASK_KEEP);
    if !keep.value.is_empty() || bad.is_some() {
        setting(
            out,
            ui,
            "mask keeps also",
            &keep.value.join(", "),
            &keep.source,
            bad,
        );
    }
}

fn provider(out: &mut String, report: &Report, p: &ProviderReport, ui: &Ui) {
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
        let _ = writeln!(
            out,
            "  {:<10} {:<8}  signals {}",
            "",
            "",
            p.signals.join(", ")
        );
    } else {
        let _ = writeln!(out, "  {:<10} {}  {}", p.name, ui.dim("inactive"), p.note);
    }
    for key in &p.keys {
        let source = ui.dim(&format!("({})", key.source));
        let _ = writeln!(out, "  {:<21}{} = {}  {source}", "", key.name, key.value);
    }
    let vars: Vec<&str> = presets::preset(&p.name)
        .map(|preset| preset.keys.iter().map(|k| k.var).collect())
        .unwrap_or_default();
    let mask_var = keys::provider_mask_var(&p.name);
    for bad in report
        .invalid
        .iter()
        .filter(|i| vars.contains(&i.var.as_str()) || Some(i.var.as_str()) == mask_var)
    {
        let _ = writeln!(
            out,
            "  {:<21}{}",
            "",
            ui.bad(&format!("invalid: {}", bad.error))
        );
    }
    for placeholder in report
        .placeholders
        .iter()
        .filter(|ph| vars.contains(&ph.var.as_str()))
    {
        // An empty line in a copied template is expected; a placeholder value is a slip.
        let text = format!("{}: counts as unset", placeholder.describe());
        let text = match placeholder.kind {
            "empty" => ui.dim(&text),
            _ => ui.bad(&text),
        };
        let _ = writeln!(out, "  {:<21}{text}", "");
    }
}

fn telemetry(out: &mut String, report: &Report, ui: &Ui) {
    let tel = &report.telemetry;
    let _ = writeln!(
        out,
        "\n{}      {}",
        ui.bold("Telemetry"),
        onoff(ui, tel.enabled, &tel.reason)
    );
    setting(
        out,
        ui,
        "endpoint",
        &tel.endpoint,
        &tel.endpoint_source,
        None,
    );
    let id = tel.anonymous_id.clone().unwrap_or_else(|| {
        "none yet (created by the first event, or by `automagik-tracing id`)".into()
    });
    let _ = writeln!(out, "  {:<LABEL$}{id}", "anonymous id");
    if !tel.enabled {
        return;
    }
    let events: Vec<&str> = tel.would_send.iter().map(|e| e.event).collect();
    let _ = writeln!(
        out,
        "  {:<LABEL$}{} (allowlisted keys only: TELEMETRY.md, or status --json)",
        "would send",
        events.join(", ")
    );
    if tel.debug.value {
        let text = "on: events are printed on stderr, nothing is sent";
        setting(out, ui, "debug", text, &tel.debug.source, None);
    }
    if tel.pending_events > 0 {
        let text = format!("{} events not sent yet", tel.pending_events);
        let _ = writeln!(out, "  {:<LABEL$}{text}", "pending");
    }
    let _ = writeln!(
        out,
        "  {:<LABEL$}automagik-tracing configure --no-telemetry, or DO_NOT_TRACK=1",
        "switch off with"
    );
}

fn limits(out: &mut String, report: &Report, ui: &Ui) {
    let _ = writeln!(out, "\n{}", ui.bold("Limits"));
    for LimitReport {
        name,
        var,
        value,
        source,
    } in &report.limits
    {
        setting(
            out,
            ui,
            name,
            &value.to_string(),
            source,
            invalid(report, var),
        );
    }
}

fn last_run(out: &mut String, report: &Report, ui: &Ui) {
    let Some(run) = &report.last_run else {
        return;
    };
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
        for (signal, s) in &e.signals {
            let mut figures = vec![format!("{} exported", s.exported)];
            for (n, what) in [(s.spooled, "spooled"), (s.dropped, "dropped")] {
                if n > 0 {
                    figures.push(format!("{n} {what}"));
                }
            }
            if s.not_accepted > 0 {
                figures.push(format!(
                    "{} not sent (the provider takes none)",
                    s.not_accepted
                ));
            }
            let _ = writeln!(out, "  {:<10} {signal}: {}", "", figures.join(", "));
        }
    }
    if let Some(refused) = crate::wrap::receiver::describe_refused(&run.refused_requests) {
        let _ = writeln!(out, "  {}", ui.bad(&refused));
    }
    if let Some(sampling) = crate::commands::run::describe_sampling(run) {
        let _ = writeln!(out, "  {:<10} {sampling}", "sampling");
    }
    if let Some(gen_ai) = &run.gen_ai {
        let _ = writeln!(
            out,
            "  model calls: {}",
            super::model_calls::describe(gen_ai)
        );
    }
}

fn spool(out: &mut String, report: &Report, ui: &Ui) {
    if report.spool.is_empty() {
        return;
    }
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

fn files(out: &mut String, report: &Report, ui: &Ui) {
    let files = &report.files;
    let _ = writeln!(out, "\n{}", ui.bold("Files"));
    let env_file = files.env_file.clone().unwrap_or_else(|| "none".into());
    let _ = writeln!(out, "  {:<LABEL$}{env_file}", ".env");
    let missing = if files.config_file_exists {
        ""
    } else {
        "  (not created yet)"
    };
    let _ = writeln!(
        out,
        "  {:<LABEL$}{}{missing}",
        "settings", files.config_file
    );
    let data_dir = Sourced::new(files.data_dir.clone(), files.data_dir_source.clone());
    setting(out, ui, "data dir", &data_dir.value, &data_dir.source, None);
    for problem in &report.problems {
        let _ = writeln!(out, "  {:<LABEL$}{}", "", ui.bad(&problem.error));
    }
}

/// One closing line when anything was unreadable, so the exit code 2 is explained.
fn invalid_summary(out: &mut String, report: &Report, ui: &Ui) {
    let count = report.invalid.len() + report.problems.len();
    if count == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        ui.bad(&format!(
            "{count} setting(s) or file(s) cannot be used (marked above): fix them; other commands stop at the first"
        ))
    );
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
