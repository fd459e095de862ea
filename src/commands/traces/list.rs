//! `traces list`: the recent traces, newest first, one row each (or `{"traces": [...]}`).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::text::{cost, duration, fit, one_line, short_len};
use crate::cli::TracesListArgs;
use crate::commands::Context;
use crate::error::{EXIT_OK, Result};
use crate::traces::{Summary, SummaryJson, utc_date_time};
use crate::ui::Ui;

#[derive(Serialize)]
struct ListJson {
    traces: Vec<SummaryJson>,
}

pub fn run(args: &TracesListArgs, ctx: &Context, dir: &Path) -> Result<u8> {
    let Some(store) = super::open(ctx, dir, args.json)? else {
        if args.json {
            ctx.ui.out("{\n  \"traces\": []\n}\n")?;
        }
        return Ok(EXIT_OK);
    };
    let traces = store.recent(args.limit, &mut super::warn(ctx))?;
    let summaries: Vec<Summary> = traces.iter().map(Summary::of).collect();
    if args.json {
        let list = ListJson {
            traces: summaries.iter().map(SummaryJson::new).collect(),
        };
        super::json_out::print_pretty(&list)?;
    } else {
        ctx.ui.out(&table(&summaries, &ctx.ui))?;
    }
    Ok(EXIT_OK)
}

/// Columns other than the root's name, with the two spaces before each.
const FIXED: usize = 19 + 2 + 2 + 8 + 2 + 5 + 2 + 6 + 2 + 9 + 2 + 10 + 2 + 9;
const MIN_NAME: usize = 12;

fn table(summaries: &[Summary], ui: &Ui) -> String {
    let ids: Vec<String> = summaries.iter().map(|s| s.trace_id.to_hex()).collect();
    let id_len = short_len(&ids);
    let names: Vec<String> = summaries
        .iter()
        .map(|s| match s.root_name {
            Some(_) => one_line(&s.name),
            None => format!("? {}", one_line(&s.name)),
        })
        .collect();
    let longest = names.iter().map(|n| console::measure_text_width(n)).max();
    let name_width = ui
        .width
        .saturating_sub(FIXED + id_len)
        .max(MIN_NAME)
        .min(longest.unwrap_or(0).max(4));
    let mut out = String::new();
    let header = format!(
        "{:<19}  {:<id_len$}  {}  {:>8}  {:>5}  {:>6}  {:>9}  {:>10}  {:>9}",
        "START (UTC)",
        "TRACE",
        fit("ROOT", name_width),
        "DURATION",
        "SPANS",
        "ERRORS",
        "IN TOKENS",
        "OUT TOKENS",
        "COST"
    );
    let _ = writeln!(out, "{}", ui.bold(&header));
    for ((s, id), name) in summaries.iter().zip(&ids).zip(&names) {
        let errors = format!("{:>6}", s.errors);
        let errors = if s.errors > 0 {
            ui.bad(&errors)
        } else {
            errors
        };
        let _ = writeln!(
            out,
            "{:<19}  {}  {}  {:>8}  {:>5}  {errors}  {:>9}  {:>10}  {:>9}",
            utc_date_time(s.start_unix_nanos),
            ui.dim(&id[..id_len]),
            fit(name, name_width),
            duration(s.duration_nanos()),
            s.spans,
            s.tokens.input.unwrap_or(0),
            s.tokens.output.unwrap_or(0),
            cost(s.cost),
        );
    }
    if summaries.iter().any(|s| s.root_name.is_none()) {
        let _ = writeln!(
            out,
            "{}",
            ui.dim("? the trace's root span is not in the store (yet): named by its earliest span")
        );
    }
    out
}
