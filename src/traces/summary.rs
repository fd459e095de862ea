//! The GenAI figures of a span (kind, model, tokens, cost, tool, error; read by
//! [`crate::semantic`]) and of a whole trace (its root, duration, span and error counts,
//! tokens and cost by model).
//!
//! Tokens and cost are counted once: a span's figures count only when none of its
//! descendants carries figures of its own, so an agent span that sums its LLM calls (as
//! PydanticAI's does) is not added to them again.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Trace;
use crate::semantic::{self, Kind, Tokens};
use crate::span::{Span, SpanId, StatusCode, TraceId, Value};

/// The model name used for tokens of a span that names none.
pub const NO_MODEL: &str = "(no model)";

/// The GenAI figures of one span, as `traces show` puts them inline: what the semantic
/// layer reads in it, whichever instrumentation made it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// What the span is (agent, LLM call, tool...).
    pub kind: Kind,
    /// The model that answered, else the one asked for.
    pub model: Option<String>,
    /// The token counts it reports itself.
    pub tokens: Tokens,
    /// In US dollars: the span's own, else its tokens priced (genai-prices); `None` for a
    /// model the price data does not know.
    pub cost: Option<f64>,
    /// The tool called, for a tool span.
    pub tool: Option<String>,
    /// The model's provider as the span names it (`openai`, ...).
    pub provider: Option<String>,
    /// The session or conversation it belongs to.
    pub session: Option<String>,
    /// The end user it ran for.
    pub user: Option<String>,
    /// Set when the status is ERROR: its message, else the exception event's
    /// `exception.message`, else `error.type` (empty when none is known).
    pub error: Option<String>,
}

/// What the semantic layer reads in `span`, with its cost priced at its start time.
pub fn details(span: &Span) -> Details {
    let meaning = semantic::read(span);
    Details {
        kind: meaning.kind,
        model: meaning.model().map(str::to_string),
        tokens: meaning.tokens,
        cost: semantic::price(&meaning, span.start_unix_nanos).map(|p| p.dollars),
        tool: meaning.tool,
        provider: meaning.provider,
        session: meaning.session,
        user: meaning.user,
        error: (span.status.code == StatusCode::Error).then(|| error_message(span)),
    }
}

fn error_message(span: &Span) -> String {
    if !span.status.message.is_empty() {
        return span.status.message.clone();
    }
    let from_event = span
        .events
        .iter()
        .filter(|e| e.name == "exception")
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == "exception.message");
    match (from_event, span.attribute("error.type")) {
        (Some(a), _) => value_text(&a.value),
        (None, Some(v)) => value_text(v),
        (None, None) => String::new(),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Tokens used with one model, and what they cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTokens {
    /// The model's name, or `(no model)` for tokens of spans that name none.
    pub model: String,
    /// Its tokens over the trace, each counted once.
    pub tokens: Tokens,
    /// `None` when none of its spans could be priced.
    pub cost: Option<f64>,
}

/// One trace in figures: what `traces list` shows in a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The trace's id.
    pub trace_id: TraceId,
    /// The earliest start of its spans, in nanoseconds since the Unix epoch.
    pub start_unix_nanos: u64,
    /// The latest end of its spans, in nanoseconds since the Unix epoch.
    pub end_unix_nanos: u64,
    /// The name of the root span (the earliest span without a parent), `None` when the
    /// store holds no root for this trace.
    pub root_name: Option<String>,
    /// The root's name, else the earliest span's: what names the trace.
    pub name: String,
    /// How many spans the store holds for it.
    pub spans: usize,
    /// How many of them have status ERROR.
    pub errors: usize,
    /// Spans whose parent is not in the store.
    pub orphans: usize,
    /// Every model's tokens added up (saturating).
    pub tokens: Tokens,
    /// `None` when no span has a cost.
    pub cost: Option<f64>,
    /// By model name, sorted.
    pub models: Vec<ModelTokens>,
}

impl Summary {
    /// The figures of `trace` (reads every span's details).
    pub fn of(trace: &Trace) -> Summary {
        let details: Vec<Details> = trace.spans.iter().map(details).collect();
        Summary::with_details(trace, &details)
    }

    /// Like [`Summary::of`], given the [`details`] of each span, in the trace's order.
    pub fn with_details(trace: &Trace, details: &[Details]) -> Summary {
        let spans = &trace.spans;
        let ids: HashSet<SpanId> = spans.iter().map(|s| s.span_id).collect();
        let earliest = |filter: &dyn Fn(&Span) -> bool| {
            spans
                .iter()
                .filter(|s| filter(s))
                .min_by_key(|s| (s.start_unix_nanos, s.span_id.0))
        };
        let root = earliest(&|s| s.parent_span_id.is_none());
        let counts_tokens = innermost(spans, |i| details[i].tokens.any());
        let counts_cost = innermost(spans, |i| details[i].cost.is_some());
        let mut models: BTreeMap<String, ModelTokens> = BTreeMap::new();
        let mut cost = None;
        for (i, d) in details.iter().enumerate() {
            let model = d.model.clone().unwrap_or_else(|| NO_MODEL.to_string());
            if counts_tokens[i] || (counts_cost[i] && d.model.is_some()) {
                let entry = models.entry(model.clone()).or_insert_with(|| ModelTokens {
                    model,
                    tokens: Tokens::default(),
                    cost: None,
                });
                if counts_tokens[i] {
                    entry.tokens.add(&d.tokens);
                }
                if counts_cost[i] {
                    entry.cost = Some(entry.cost.unwrap_or(0.0) + d.cost.unwrap_or(0.0));
                }
            }
            if counts_cost[i] {
                cost = Some(cost.unwrap_or(0.0) + d.cost.unwrap_or(0.0));
            }
        }
        let models: Vec<ModelTokens> = models.into_values().collect();
        let mut tokens = Tokens::default();
        models.iter().for_each(|m| tokens.add(&m.tokens));
        Summary {
            trace_id: trace.trace_id,
            start_unix_nanos: trace.start_unix_nanos(),
            end_unix_nanos: trace.end_unix_nanos(),
            root_name: root.map(|s| s.name.clone()),
            name: root
                .or_else(|| earliest(&|_| true))
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            spans: spans.len(),
            errors: details.iter().filter(|d| d.error.is_some()).count(),
            orphans: spans
                .iter()
                .filter(|s| s.parent_span_id.is_some_and(|p| !ids.contains(&p)))
                .count(),
            tokens,
            cost,
            models,
        }
    }

    /// From the earliest start to the latest end, in nanoseconds (`0` when the end is
    /// before the start).
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nanos.saturating_sub(self.start_unix_nanos)
    }
}

/// For each span, whether it carries a figure (`carries(index)`) that no descendant also
/// carries.
fn innermost(spans: &[Span], carries: impl Fn(usize) -> bool) -> Vec<bool> {
    let index: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id, i))
        .collect();
    let parent = |i: usize| spans[i].parent_span_id.and_then(|p| index.get(&p).copied());
    let mut covered = vec![false; spans.len()];
    for i in (0..spans.len()).filter(|&i| carries(i)) {
        let mut at = parent(i);
        while let Some(p) = at {
            if covered[p] {
                break;
            }
            covered[p] = true;
            at = parent(p);
        }
    }
    (0..spans.len())
        .map(|i| carries(i) && !covered[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Event, Resource, Scope, Status};
    use std::sync::Arc;

    const INPUT: &str = "gen_ai.usage.input_tokens";
    const OUTPUT: &str = "gen_ai.usage.output_tokens";

    fn span(name: &str, parent: Option<&Span>) -> Span {
        let resource = Arc::new(Resource::service("t"));
        let scope = Arc::new(Scope::default());
        let mut s = Span::start(
            name,
            parent.map(|p| (p.trace_id, p.span_id)),
            resource,
            scope,
        );
        if let Some(p) = parent {
            s.trace_id = p.trace_id;
        }
        s
    }

    fn trace(spans: Vec<Span>) -> Trace {
        let mut trace = Trace::new(spans[0].trace_id);
        spans.into_iter().for_each(|s| trace.add(s));
        trace
    }

    #[test]
    fn tokens_count_once_where_an_agent_sums_its_calls() {
        let mut agent = span("agent", None);
        agent.set(INPUT, 30i64).set(OUTPUT, 3i64);
        let mut a = span("chat a", Some(&agent));
        a.set(INPUT, 10i64)
            .set(OUTPUT, 1i64)
            .set("gen_ai.request.model", "m1")
            .set("gen_ai.usage.cost", 0.5);
        let mut b = span("chat b", Some(&agent));
        b.set(INPUT, "20")
            .set(OUTPUT, 2.0)
            .set("gen_ai.request.model", "m2")
            .set("gen_ai.response.model", "m2-2024");
        let summary = Summary::of(&trace(vec![agent, a, b]));
        assert_eq!(
            (summary.tokens.input, summary.tokens.output),
            (Some(30), Some(3))
        );
        assert_eq!(summary.cost, Some(0.5), "m2 is not in the price data");
        assert_eq!(summary.models[0].cost, Some(0.5));
        assert_eq!(summary.models[1].cost, None);
        let models: Vec<_> = summary.models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(models, ["m1", "m2-2024"]);
    }

    #[test]
    fn any_instrumentation_counts_and_totals_saturate() {
        let mut agent = span("agent", None);
        agent.set("openinference.span.kind", "AGENT");
        let mut a = span("ChatCompletion", Some(&agent));
        a.set("openinference.span.kind", "LLM")
            .set("llm.model_name", "m1")
            .set("llm.token_count.prompt", i64::MAX)
            .set("llm.token_count.completion", 1i64);
        let mut b = span("generation", Some(&agent));
        b.set("langfuse.observation.type", "generation")
            .set("langfuse.observation.model.name", "m1")
            .set(
                "langfuse.observation.usage_details",
                r#"{"input": 9223372036854775807}"#,
            );
        let mut c = b.clone();
        c.span_id = crate::span::SpanId::random();
        let summary = Summary::of(&trace(vec![agent, a, b, c]));
        assert_eq!(summary.models.len(), 1);
        assert_eq!(
            summary.tokens.input,
            Some(u64::MAX),
            "saturates, never negative"
        );
        assert_eq!(summary.tokens.output, Some(1));
    }

    #[test]
    fn a_trace_without_its_root_is_named_by_its_earliest_span() {
        let root = span("root", None);
        let mut child = span("child", Some(&root));
        child.status = Status {
            code: StatusCode::Error,
            message: String::new(),
        };
        child.events.push(Event {
            name: "exception".into(),
            time_unix_nanos: 1,
            attributes: vec![crate::span::Attribute::new("exception.message", "boom")],
        });
        let summary = Summary::of(&trace(vec![child.clone()]));
        assert_eq!(summary.root_name, None);
        assert_eq!(summary.name, "child");
        assert_eq!((summary.orphans, summary.errors), (1, 1));
        assert_eq!(details(&child).error.as_deref(), Some("boom"));
        assert_eq!(summary.cost, None);
    }
}
