//! `traces show ID|last`: one trace as a tree with a timing bar a span, its GenAI details
//! inline, the log records of each span under it, and a summary; or the same as JSON.

use std::fmt::Write as _;
use std::path::Path;

use console::Style;

use super::json_out;
use super::text::{self, SHORT_ID, cost, duration, fit, one_line, tokens};
use crate::cli::TracesShowArgs;
use crate::commands::Context;
use crate::error::{EXIT_OK, Error, Result};
use crate::span::{Span, Value};
use crate::traces::{Details, LogEvent, Lookup, Row, Store, Summary, Trace, TraceJson};
use crate::traces::{details, id_prefix, logs_of, rows, utc_date_time};
use crate::ui::Ui;

/// What `ID` may be besides an id prefix.
const LAST: &str = "last";
/// Candidates named when a prefix is ambiguous.
const MAX_CANDIDATES: usize = 10;
/// An error message inline is cut to this many characters (the summary has it whole).
const MAX_INLINE_ERROR: usize = 60;

pub fn run(args: &TracesShowArgs, ctx: &Context, dir: &Path) -> Result<u8> {
    let Some(store) = super::open(ctx, dir, args.json)? else {
        return Ok(EXIT_OK);
    };
    let trace = find(&store, &args.id, ctx)?;
    let logs = logs_of(store.dir(), &trace, &mut super::warn(ctx))?;
    if args.json {
        json_out::print_pretty(&TraceJson::with_logs(&trace, &logs))?;
    } else {
        ctx.ui.out(&render(&trace, &logs, &ctx.ui))?;
    }
    // The process ends next: freeing a large trace span by span would cost more than the
    // rest of the command (a third of `show` of 10,000 spans), for nothing.
    std::mem::forget(trace);
    Ok(EXIT_OK)
}

fn find(store: &Store, id: &str, ctx: &Context) -> Result<Trace> {
    let mut warn = super::warn(ctx);
    let dir = store.dir().display();
    if id.trim().eq_ignore_ascii_case(LAST) {
        if let Some(elsewhere) = super::last_run_elsewhere(store.dir()) {
            ctx.ui.note(&elsewhere);
        }
        return store.recent(1, &mut warn)?.pop().ok_or_else(|| {
            Error::failed(format!("no readable trace in {dir}"))
                .with_hint("its lines are all corrupt or empty; the warnings above name them")
        });
    }
    let prefix = id_prefix(id)?;
    match store.find(&prefix, &mut warn)? {
        Lookup::Found(trace) => Ok(trace),
        Lookup::NotFound => Err(Error::failed(format!(
            "no trace id starts with `{prefix}` in {dir}"
        ))
        .with_hint("`automagik-tracing traces list` shows the recent traces")),
        Lookup::Ambiguous(traces) => {
            let mut message = format!("`{prefix}` starts {} trace ids:", traces.len());
            for trace in traces.iter().take(MAX_CANDIDATES) {
                let s = Summary::of(trace);
                let _ = write!(
                    message,
                    "\n  {}  {}  {}",
                    s.trace_id.to_hex(),
                    utc_date_time(s.start_unix_nanos),
                    one_line(&s.name)
                );
            }
            if traces.len() > MAX_CANDIDATES {
                let _ = write!(message, "\n  and {} more", traces.len() - MAX_CANDIDATES);
            }
            Err(Error::usage(message).with_hint("give more digits of the id"))
        }
    }
}

/// The trace's time axis, and the columns of a span line.
struct Layout {
    start: u64,
    total: u64,
    name: usize,
    bar: usize,
    /// Columns left for the details (0: no limit).
    details: usize,
}

fn render(trace: &Trace, logs: &[LogEvent], ui: &Ui) -> String {
    let spans = &trace.spans;
    let rows = rows(spans);
    let details: Vec<Details> = spans.iter().map(details).collect();
    let summary = Summary::with_details(trace, &details);
    let labels: Vec<String> = rows.iter().map(|r| label(r, &spans[r.index])).collect();
    let longest = labels.iter().map(|l| console::measure_text_width(l)).max();
    let bar = (ui.width / 7).clamp(10, 40);
    let name = longest
        .unwrap_or(0)
        .clamp(10, (ui.width * 35 / 100).max(10));
    let used = name + 2 + 8 + 2 + bar + 2;
    let layout = Layout {
        start: summary.start_unix_nanos,
        total: summary.duration_nanos(),
        name,
        bar,
        details: ui.width.saturating_sub(used),
    };
    let mut out = header(&summary, spans, ui);
    for (row, label) in rows.iter().zip(&labels) {
        let i = row.index;
        out.push_str(&line(&spans[i], &details[i], label, &layout, ui));
        let indent = "   ".repeat(row.depth + 1);
        for log in logs.iter().filter(|l| l.span_id == Some(spans[i].span_id)) {
            out.push_str(&log_line(&indent, log, ui));
        }
    }
    for log in logs
        .iter()
        .filter(|l| !spans.iter().any(|s| Some(s.span_id) == l.span_id))
    {
        out.push_str(&log_line("", log, ui));
    }
    out.push_str(&footer(&summary, spans, &details, ui));
    out
}

/// A log record under its span: `· log INFO body` (its event name when it has no body).
fn log_line(indent: &str, log: &LogEvent, ui: &Ui) -> String {
    let text = match &log.body {
        Some(Value::Str(s)) => one_line(s),
        Some(other) => one_line(&format!("{other:?}")),
        None => one_line(&log.event_name),
    };
    let head = ui.dim(&format!("{indent}· log {}", log.severity));
    format!("{head} {text}\n")
}

fn header(summary: &Summary, spans: &[Span], ui: &Ui) -> String {
    let mut head = format!(
        "{} {}  started {} UTC",
        ui.bold("trace"),
        summary.trace_id.to_hex(),
        utc_date_time(summary.start_unix_nanos)
    );
    let root = spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .min_by_key(|s| s.start_unix_nanos);
    let service = root.and_then(|r| {
        r.resource
            .attributes
            .iter()
            .find(|a| a.key == "service.name")
    });
    if let Some(Value::Str(name)) = service.map(|a| &a.value) {
        let _ = write!(head, "  service {}", one_line(name));
    }
    head + "\n"
}

/// The tree guides and the name: `│  ├─ chat`; `?─ name` for an orphan.
fn label(row: &Row, span: &Span) -> String {
    let mut label = String::new();
    for &more in &row.guides {
        label.push_str(if more { "│  " } else { "   " });
    }
    label.push_str(match (row.depth, row.orphan, row.last) {
        (0, true, _) => "?─ ",
        (0, false, _) => "",
        (_, _, true) => "└─ ",
        (_, _, false) => "├─ ",
    });
    label + &one_line(&span.name)
}

fn line(span: &Span, d: &Details, label: &str, layout: &Layout, ui: &Ui) -> String {
    let mut name = fit(label, layout.name);
    if d.error.is_some() {
        name = ui.bad(&name);
    }
    let mut out = format!(
        "{name}  {:>8}  {}",
        duration(span.end_unix_nanos.saturating_sub(span.start_unix_nanos)),
        bar(span, d, layout, ui)
    );
    // Too little room left is no reason to hide the figures: they go past the edge then.
    let room = match layout.details {
        0..10 => 0,
        room => room,
    };
    let text = text::details_within(ui, d, MAX_INLINE_ERROR, room);
    if !text.is_empty() {
        out.push_str("  ");
        out.push_str(&text);
    }
    out + "\n"
}

/// The span on the trace's time axis: `···████·····`, at least one cell wide.
fn bar(span: &Span, d: &Details, layout: &Layout, ui: &Ui) -> String {
    let width = layout.bar as u128;
    let total = u128::from(layout.total.max(1));
    let at = |t: u64| u128::from(t.saturating_sub(layout.start).min(layout.total));
    // The cell nearest to each end, rounded.
    let cell = |t: u64| (at(t) * width + total / 2) / total;
    let from = cell(span.start_unix_nanos).min(width - 1);
    let to = cell(span.end_unix_nanos).clamp(from + 1, width);
    let style = if d.error.is_some() {
        Style::new().red()
    } else if d.model.is_some() {
        Style::new().cyan()
    } else if d.tool.is_some() {
        Style::new().yellow()
    } else {
        Style::new().green()
    };
    let track = |n: u128| ui.dim(&"·".repeat(n as usize));
    format!(
        "{}{}{}",
        track(from),
        ui.paint(style, &"█".repeat((to - from) as usize)),
        track(width - to)
    )
}

fn footer(summary: &Summary, spans: &[Span], details: &[Details], ui: &Ui) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut figures = vec![
        duration(summary.duration_nanos()),
        plural(summary.spans, "span"),
        plural(summary.errors, "error"),
    ];
    if summary.orphans > 0 {
        figures.push(format!(
            "{} (?─: parent not in the store)",
            plural(summary.orphans, "orphan")
        ));
    }
    let mut out = format!("{}  {}\n", ui.bold("summary"), figures.join(" · "));
    if !summary.models.is_empty() {
        let models: Vec<String> = summary
            .models
            .iter()
            .map(|m| {
                let model = one_line(&m.model);
                match m.cost {
                    Some(_) => format!("{model} {} {}", tokens(&m.tokens), cost(m.cost)),
                    None => format!("{model} {}", tokens(&m.tokens)),
                }
            })
            .collect();
        let _ = writeln!(out, "{}   {}", ui.bold("tokens"), models.join(" · "));
    }
    if summary.cost.is_some() {
        let _ = writeln!(out, "{}     {}", ui.bold("cost"), cost(summary.cost));
    }
    for (span, message) in spans
        .iter()
        .zip(details)
        .filter_map(|(s, d)| Some((s, d.error.as_ref()?)))
    {
        let short = span.span_id.to_hex();
        let _ = writeln!(
            out,
            "{}    {} ({}): {}",
            ui.bad("error"),
            one_line(&span.name),
            &short[..SHORT_ID],
            if message.is_empty() {
                "no message".into()
            } else {
                one_line(message)
            }
        );
    }
    out
}
