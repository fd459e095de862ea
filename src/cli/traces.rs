//! The command lines of `traces list`, `traces show` and `traces tail`, which read the local
//! trace store.

use clap::{Args, Subcommand};

/// Look at the local trace store: recent traces, one trace as a tree, spans as they arrive
///
/// With no other provider configured (or with `local` in AUTOMAGIK_OBSERVABILITY_PROVIDERS)
/// spans go to the local store: OTLP-JSON lines in daily files under `traces/` in the data
/// dir. These commands only read it; they create no file. Times are UTC.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing run --wrap -- python agent.py && automagik-tracing traces show last
  automagik-tracing traces list --limit 5
  automagik-tracing traces show 4bf92f35
  automagik-tracing traces show last --json | jq '.spans[] | select(.status.code == \"error\")'
  automagik-tracing traces tail")]
pub struct TracesArgs {
    /// `list`, `show` or `tail`, and its arguments.
    #[command(subcommand)]
    pub command: TracesCommand,
}

// These docs are `concat!` because clap's derive reads only literal ones: a `///` comment
// on a variant would become that subcommand's help, replacing its Args struct's doc.
#[doc = concat!("The subcommands of `traces`.")]
#[derive(Debug, Subcommand)]
pub enum TracesCommand {
    #[doc = concat!("`traces list`: the recent traces, newest first.")]
    List(TracesListArgs),
    #[doc = concat!("`traces show`: one trace as a tree.")]
    Show(TracesShowArgs),
    #[doc = concat!("`traces tail`: spans as they are written.")]
    Tail(TracesTailArgs),
}

/// The recent traces, newest first: start, id, root span, duration, spans, errors, tokens
///
/// The store is read from its end, so this costs the same however large it is. A trace
/// whose root span is not in the store is named by its earliest span and marked `?`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces list
  automagik-tracing traces list --limit 100
  automagik-tracing traces list --json | jq -r '.traces[0].trace_id'")]
pub struct TracesListArgs {
    /// How many traces to show
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
    pub limit: usize,

    /// Print one JSON object (`{"traces": [...]}`) instead of the table
    #[arg(long)]
    pub json: bool,
}

/// One trace as a tree: each span with its duration, a timing bar and its GenAI details
///
/// Each parent stands above its children, siblings in start order. A span's line shows its
/// name, duration, a bar placed on the trace's time axis, and the model, tokens in and out,
/// cost (`gen_ai.usage.cost`), tool name and error message it carries. A span whose parent
/// is not in the store stands at the top, marked `?─`. Then a summary: total duration,
/// spans, errors, tokens by model.
///
/// ID is a trace id or a unique prefix of one (at least 4 hex digits), or `last` for the
/// trace that started last. A prefix two traces share is refused with both listed.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces show last
  automagik-tracing traces show 4bf92f35
  automagik-tracing traces show last --json | jq '.spans[].name'")]
pub struct TracesShowArgs {
    /// A trace id, a unique prefix of one, or `last`
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the trace as JSON (a summary and its spans in tree order)
    #[arg(long)]
    pub json: bool,
}

/// Follow the store and print spans as they are written, until Ctrl-C
///
/// Starts at the end of the store: only spans written from now on are printed, one line
/// each (time, trace id, name, duration, GenAI details). Moves on to the next day's file
/// by itself. Ctrl-C ends it with exit code 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  automagik-tracing traces tail
  automagik-tracing traces tail --json | jq -c '{name, duration_ms}'")]
pub struct TracesTailArgs {
    /// Print one JSON object a line for each span
    #[arg(long)]
    pub json: bool,
}
