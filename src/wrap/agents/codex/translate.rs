//! Codex's ~550 spans a prompt become the few worth reading: the turn, each model request
//! (with the usage its sibling `handle_responses` span or the `response.completed` log
//! reports, or as an error when its connection or HTTP log says it failed), and each tool
//! call (with its outcome from the `codex.tool_result` log). The rest are dropped and
//! counted (kept only when they ended in an error), and the kept spans are re-parented to
//! their nearest kept ancestor so the tree stays whole.
//!
//! Spans arrive in batches, children before their parents (a span is exported when it
//! ends), so a kept span is held until its chain of ancestors is known up to a kept span,
//! the run span or a root, and a model request or a tool call until its usage or outcome
//! is known (at most [`FACTS_WAIT_NANOS`] of Codex's time). [`Translator::finish`]
//! releases whatever is still held when the run ends, under the nearest ancestor known
//! (else the run span). Memory stays bounded: the spans held ([`HELD_MAX`]), the map of
//! spans seen and the facts waiting for their span are capped.

use std::collections::{HashMap, VecDeque};

use super::super::{LogEvent, RunIds, Translated, Translator};
use super::genai::{self, Failure, LogUsage, Role};
use crate::semantic::Tokens;
use crate::span::{Span, SpanId, StatusCode};

/// Spans remembered (id, parent, role, times) to re-parent the kept ones; past it the map
/// starts again, and spans whose ancestry was forgotten go under the run span at the end.
const SEEN_CAP: usize = 200_000;
/// Kept spans held for their ancestry or figures; past it the oldest go on as at the end.
pub(super) const HELD_MAX: usize = 4096;
/// Usage and tool outcomes waiting for their span; the oldest go first past it.
const FACTS_CAP: usize = 10_000;
/// How long (in Codex's own time: the latest span end seen) a model request or a tool
/// call waits for its usage or outcome before it is handed on without: logs come about a
/// second after the event, so this only bounds what a long session holds.
const FACTS_WAIT_NANOS: u64 = 30_000_000_000;

/// A span seen, as its descendants need it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    parent: Option<SpanId>,
    role: Role,
    kept: bool,
    start: u64,
    end: u64,
}

/// A kept span waiting to be handed on.
struct Held {
    span: Span,
    role: Role,
}

/// Where a held span's chain of ancestors leads.
enum Anchor {
    /// Its nearest kept ancestor (or the run span): the parent it gets.
    Parent(SpanId),
    /// A root of its own trace: it stays a root (the receiver adopts it under the run).
    Root,
}

/// The translator of one Codex run: its turns, model requests and tool calls kept, its
/// internals dropped (counted in [`Translated::dropped`]).
pub struct Codex {
    run: RunIds,
    seen: HashMap<SpanId, Seen>,
    held: Vec<Held>,
    /// Usage read off `handle_responses` spans: the span's parent and the usage.
    span_usages: VecDeque<(Option<SpanId>, u64, Tokens)>,
    log_usages: VecDeque<LogUsage>,
    tool_results: HashMap<String, bool>,
    /// Failed requests, by the span their log was written in.
    failures: VecDeque<Failure>,
    /// The latest end of a span seen: Codex's clock, for [`FACTS_WAIT_NANOS`].
    latest_end: u64,
    tally: Translated,
}

impl Codex {
    /// A translator for a run under `run`.
    pub fn new(run: RunIds) -> Codex {
        Codex {
            run,
            seen: HashMap::new(),
            held: Vec::new(),
            span_usages: VecDeque::new(),
            log_usages: VecDeque::new(),
            tool_results: HashMap::new(),
            failures: VecDeque::new(),
            latest_end: 0,
            tally: Translated::default(),
        }
    }

    /// Takes a batch of Codex's spans; returns those ready to be recorded.
    fn take_spans(&mut self, batch: Vec<Span>) -> Vec<Span> {
        if self.seen.len() + batch.len() > SEEN_CAP {
            self.seen.clear();
        }
        for span in batch {
            self.latest_end = self.latest_end.max(span.end_unix_nanos);
            let role = genai::role(&span);
            let kept = role.kept() || span.status.code == StatusCode::Error;
            self.seen.insert(
                span.span_id,
                Seen {
                    parent: span.parent_span_id,
                    role,
                    kept,
                    start: span.start_unix_nanos,
                    end: span.end_unix_nanos,
                },
            );
            if role == Role::Usage
                && let Some(tokens) = genai::span_usage(&span)
            {
                push_capped(
                    &mut self.span_usages,
                    (span.parent_span_id, span.end_unix_nanos, tokens),
                );
            }
            if kept {
                self.held.push(Held { span, role });
            } else {
                self.tally.dropped += 1;
            }
        }
        self.release(false)
    }

    /// Takes what Codex's log events tell; returns the spans it made ready.
    fn take_logs(&mut self, events: &[LogEvent]) -> Vec<Span> {
        let facts = genai::read_logs(events);
        for usage in facts.usages {
            push_capped(&mut self.log_usages, usage);
        }
        if self.tool_results.len() + facts.tool_results.len() > FACTS_CAP {
            self.tool_results.clear();
        }
        self.tool_results.extend(facts.tool_results);
        for failure in facts.failures {
            push_capped(&mut self.failures, failure);
        }
        self.release(false)
    }

    /// Hands on the held spans whose parent and facts are known (all of them when
    /// `finishing`, and the oldest past [`HELD_MAX`]).
    fn release(&mut self, finishing: bool) -> Vec<Span> {
        let mut ready = Vec::new();
        let mut waiting = Vec::new();
        let overflow = self.held.len().saturating_sub(HELD_MAX);
        for (at, mut held) in std::mem::take(&mut self.held).into_iter().enumerate() {
            let forced = finishing || at < overflow;
            let anchor = match self.anchor(held.span.parent_span_id) {
                Some(anchor) => anchor,
                None if forced => self.fallback_anchor(held.span.parent_span_id),
                None => {
                    waiting.push(held);
                    continue;
                }
            };
            if !self.complete(&mut held, forced) {
                waiting.push(held);
                continue;
            }
            let parent = match anchor {
                Anchor::Parent(parent) => {
                    if parent == self.run.run_span {
                        held.span.trace_id = self.run.trace_id;
                    }
                    Some(parent)
                }
                Anchor::Root => None,
            };
            if held.span.parent_span_id != parent {
                self.tally.reparented += 1;
                held.span.parent_span_id = parent;
            }
            ready.push(held.span);
        }
        self.held = waiting;
        ready
    }

    /// The nearest kept ancestor from `parent` up, or `None` while a link is unknown.
    fn anchor(&self, mut parent: Option<SpanId>) -> Option<Anchor> {
        for _ in 0..=self.seen.len() {
            let Some(id) = parent else {
                return Some(Anchor::Root);
            };
            if id == self.run.run_span {
                return Some(Anchor::Parent(id));
            }
            let seen = self.seen.get(&id)?;
            if seen.kept {
                return Some(Anchor::Parent(id));
            }
            parent = seen.parent;
        }
        None
    }

    /// At the end: the nearest kept ancestor among those known, else the run span.
    fn fallback_anchor(&self, mut parent: Option<SpanId>) -> Anchor {
        for _ in 0..=self.seen.len() {
            match parent.and_then(|id| self.seen.get(&id)) {
                Some(seen) if seen.kept => {
                    return Anchor::Parent(parent.unwrap_or(self.run.run_span));
                }
                Some(seen) => parent = seen.parent,
                None => break,
            }
        }
        Anchor::Parent(self.run.run_span)
    }

    /// Adds what the span's role needs (usage, outcome, GenAI attributes); `false` while
    /// that is not known yet, the run goes on and the span has not waited long enough.
    fn complete(&mut self, held: &mut Held, finishing: bool) -> bool {
        let waited_enough = finishing
            || self.latest_end > held.span.end_unix_nanos.saturating_add(FACTS_WAIT_NANOS);
        match held.role {
            Role::Turn => genai::mark_turn(&mut held.span),
            Role::Model => {
                let usage = self.model_usage(&held.span);
                let failure = match usage {
                    None => self.failure_under(held.span.span_id),
                    Some(_) => None,
                };
                if usage.is_none() && failure.is_none() && !waited_enough {
                    return false;
                }
                if usage.is_some() || failure.is_some() {
                    self.tally.joined += 1;
                }
                if let Some(failure) = failure {
                    genai::mark_failed(&mut held.span, &failure);
                }
                if let Some((end, _)) = usage {
                    // The request lasts until its response completed.
                    held.span.end_unix_nanos = held.span.end_unix_nanos.max(end);
                }
                genai::mark_model(&mut held.span, usage.as_ref().map(|(_, t)| t));
            }
            Role::Tool => {
                let call = held.span.attribute("call_id").and_then(|v| v.as_str());
                let success = call.and_then(|c| self.tool_results.get(c).copied());
                if success.is_none() && !waited_enough {
                    return false;
                }
                self.tally.joined += u64::from(success.is_some());
                genai::mark_tool(&mut held.span, success);
            }
            Role::Sampling | Role::Usage | Role::Other => {}
        }
        true
    }

    /// A model request's usage and when its response completed: from a `handle_responses`
    /// span under the same `try_run_sampling_request`, else from a `response.completed`
    /// log within that attempt's time.
    fn model_usage(&self, span: &Span) -> Option<(u64, Tokens)> {
        let attempt = self.sampling_ancestor(span.parent_span_id);
        if let Some(attempt) = attempt {
            let from_spans = self
                .span_usages
                .iter()
                .filter(|(parent, _, _)| self.sampling_ancestor(*parent) == Some(attempt))
                .max_by_key(|(_, end, _)| *end);
            if let Some((_, end, tokens)) = from_spans {
                return Some((*end, *tokens));
            }
        }
        let (start, end) = attempt
            .and_then(|id| self.seen.get(&id))
            .map_or((span.start_unix_nanos, span.end_unix_nanos), |s| {
                (s.start, s.end)
            });
        self.log_usages
            .iter()
            .filter(|u| (start..=end).contains(&u.at_unix_nanos))
            .max_by_key(|u| u.at_unix_nanos)
            .map(|u| (u.at_unix_nanos, u.tokens))
    }

    /// A failure logged in `request` or a span under it.
    fn failure_under(&self, request: SpanId) -> Option<Failure> {
        self.failures
            .iter()
            .find(|failure| {
                let mut at = Some(failure.span);
                for _ in 0..=self.seen.len() {
                    match at {
                        Some(id) if id == request => return true,
                        Some(id) => at = self.seen.get(&id).and_then(|s| s.parent),
                        None => return false,
                    }
                }
                false
            })
            .cloned()
    }

    /// The nearest `try_run_sampling_request` from `parent` up, among the spans seen.
    fn sampling_ancestor(&self, mut parent: Option<SpanId>) -> Option<SpanId> {
        for _ in 0..=self.seen.len() {
            let id = parent?;
            let seen = self.seen.get(&id)?;
            if seen.role == Role::Sampling {
                return Some(id);
            }
            parent = seen.parent;
        }
        None
    }
}

impl Translator for Codex {
    fn spans(&mut self, spans: Vec<Span>) -> Vec<Span> {
        self.take_spans(spans)
    }

    fn logs(&mut self, events: &[LogEvent]) -> Vec<Span> {
        self.take_logs(events)
    }

    fn finish(&mut self) -> Vec<Span> {
        self.release(true)
    }

    fn tally(&self) -> Translated {
        self.tally
    }
}

fn push_capped<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() >= FACTS_CAP {
        queue.pop_front();
    }
    queue.push_back(item);
}
