//! The GenAI figures of a span (model, tokens, cost, tool, error) and of a whole trace
//! (its root, duration, span and error counts, tokens by model).
//!
//! Tokens and cost are counted once: a span's figures count only when none of its
//! descendants carries figures of its own, so an agent span that sums its LLM calls (as
//! PydanticAI's does) is not added to them again.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Trace;
use crate::span::{Span, SpanId, StatusCode, TraceId, Value};

pub const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
pub const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
pub const COST: &str = "gen_ai.usage.cost";
/// The model name used for tokens of a span that names none.
pub const NO_MODEL: &str = "(no model)";

/// The GenAI figures of one span, as `traces show` puts them inline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// `gen_ai.response.model`, else `gen_ai.request.model`.
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost: Option<f64>,
    /// `gen_ai.tool.name`.
    pub tool: Option<String>,
    /// Set when the status is ERROR: its message, else the exception event's
    /// `exception.message`, else `error.type` (empty when none is known).
    pub error: Option<String>,
}

impl Details {
    fn has_tokens(&self) -> bool {
        self.input_tokens.is_some() || self.output_tokens.is_some()
    }
}

pub fn details(span: &Span) -> Details {
    let text = |key| match span.attribute(key) {
        Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    Details {
        model: text("gen_ai.response.model").or_else(|| text("gen_ai.request.model")),
        input_tokens: span.attribute(INPUT_TOKENS).and_then(integer),
        output_tokens: span.attribute(OUTPUT_TOKENS).and_then(integer),
        cost: span.attribute(COST).and_then(number),
        tool: text("gen_ai.tool.name"),
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

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::Double(d) if d.is_finite() => Some(*d as i64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) if d.is_finite() => Some(*d),
        Value::Str(s) => s.trim().parse().ok().filter(|d: &f64| d.is_finite()),
        _ => None,
    }
}

/// Tokens used with one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTokens {
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// One trace in figures: what `traces list` shows in a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub trace_id: TraceId,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    /// The name of the root span (the earliest span without a parent), `None` when the
    /// store holds no root for this trace.
    pub root_name: Option<String>,
    /// The root's name, else the earliest span's: what names the trace.
    pub name: String,
    pub spans: usize,
    pub errors: usize,
    /// Spans whose parent is not in the store.
    pub orphans: usize,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// `None` when no span carries a cost.
    pub cost: Option<f64>,
    /// By model name, sorted.
    pub models: Vec<ModelTokens>,
}

impl Summary {
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
        let counts_tokens = innermost(spans, |i| details[i].has_tokens());
        let counts_cost = innermost(spans, |i| details[i].cost.is_some());
        let mut models: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut cost = None;
        for (i, d) in details.iter().enumerate() {
            if counts_tokens[i] {
                let model = d.model.clone().unwrap_or_else(|| NO_MODEL.to_string());
                let entry = models.entry(model).or_default();
                entry.0 = add_tokens(entry.0, d.input_tokens);
                entry.1 = add_tokens(entry.1, d.output_tokens);
            }
            if counts_cost[i] {
                cost = Some(cost.unwrap_or(0.0) + d.cost.unwrap_or(0.0));
            }
        }
        let models: Vec<ModelTokens> = models
            .into_iter()
            .map(|(model, (input_tokens, output_tokens))| ModelTokens {
                model,
                input_tokens,
                output_tokens,
            })
            .collect();
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
            input_tokens: models
                .iter()
                .fold(0, |sum, m| add_tokens(sum, Some(m.input_tokens))),
            output_tokens: models
                .iter()
                .fold(0, |sum, m| add_tokens(sum, Some(m.output_tokens))),
            cost,
            models,
        }
    }

    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nanos.saturating_sub(self.start_unix_nanos)
    }
}

/// A running token total: a count a span got wrong (negative, or summing past `i64::MAX`)
/// never turns the total negative; it stops at the largest count.
fn add_tokens(total: i64, count: Option<i64>) -> i64 {
    total.saturating_add(count.unwrap_or(0).max(0))
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
        agent.set(INPUT_TOKENS, 30i64).set(OUTPUT_TOKENS, 3i64);
        let mut a = span("chat a", Some(&agent));
        a.set(INPUT_TOKENS, 10i64)
            .set(OUTPUT_TOKENS, 1i64)
            .set("gen_ai.request.model", "m1")
            .set(COST, 0.5);
        let mut b = span("chat b", Some(&agent));
        b.set(INPUT_TOKENS, "20")
            .set(OUTPUT_TOKENS, 2.0)
            .set("gen_ai.request.model", "m2")
            .set("gen_ai.response.model", "m2-2024");
        let summary = Summary::of(&trace(vec![agent, a, b]));
        assert_eq!((summary.input_tokens, summary.output_tokens), (30, 3));
        assert_eq!(summary.cost, Some(0.5));
        let models: Vec<_> = summary.models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(models, ["m1", "m2-2024"]);
    }

    #[test]
    fn token_totals_saturate_instead_of_turning_negative() {
        let root = span("root", None);
        let mut a = span("chat a", Some(&root));
        a.set(INPUT_TOKENS, i64::MAX)
            .set("gen_ai.request.model", "m1");
        let mut b = span("chat b", Some(&root));
        b.set(INPUT_TOKENS, i64::MAX)
            .set(OUTPUT_TOKENS, -5i64)
            .set("gen_ai.request.model", "m2");
        let mut c = span("chat c", Some(&root));
        c.set(INPUT_TOKENS, 7i64).set("gen_ai.request.model", "m2");
        let summary = Summary::of(&trace(vec![root, a, b, c]));
        assert_eq!(summary.input_tokens, i64::MAX);
        assert_eq!(summary.output_tokens, 0);
        assert!(summary.models.iter().all(|m| m.input_tokens > 0));
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
