//! What a wrapped run tells telemetry: the GenAI spans its receiver sees are counted (agent,
//! LLM and tool spans, workflows, errors) and their framework recognised from the
//! instrumentation scope; at the end of the run this becomes a handful of events. Counts,
//! durations and types only: no span name, no attribute value the user wrote, and an
//! agent's name only as a salted hash.

use std::collections::{BTreeMap, BTreeSet};

use super::events::{AttrValue, EventType};
use super::vocabulary;
use crate::semantic::{Kind, MeaningRef};
use crate::span::{Span, StatusCode};

/// Distinct agent names hashed per run at most (a run is one agent, or a few).
const MAX_AGENT_NAMES: usize = 16;
/// Workflow events per run at most.
const MAX_WORKFLOW_EVENTS: usize = 20;
/// Distinct error kinds per run at most (the rest count as `other`).
const MAX_ERROR_KINDS: usize = 8;

/// An event before the privacy filter: its type and raw attributes.
pub type RawEvent = (EventType, Vec<(String, AttrValue)>);

/// Counts over the spans of one run.
#[derive(Debug, Default)]
pub struct RunObserver {
    spans: u64,
    llm_calls: u64,
    agent_spans: u64,
    frameworks: BTreeSet<&'static str>,
    /// Tool type → (calls, failed calls); types and error kinds are the vocabulary's own
    /// words, so counting a span copies no text.
    tools: BTreeMap<&'static str, (u64, u64)>,
    /// (error type, component) → count.
    errors: BTreeMap<(&'static str, &'static str), u64>,
    agent_names: BTreeSet<String>,
    /// (duration ms, succeeded) per workflow span.
    workflows: Vec<(u64, bool)>,
}

impl RunObserver {
    /// Counts `spans` (a batch the receiver took in): LLM calls, tools by type, agents,
    /// workflows, errors and the framework each came from.
    pub fn observe(&mut self, spans: &[Span]) {
        let meanings: Vec<MeaningRef<'_>> = spans.iter().map(crate::semantic::read_ref).collect();
        self.observe_read(spans, &meanings);
    }

    /// [`RunObserver::observe`] of spans already read: `meanings[i]` is what `spans[i]`
    /// means (the wrapper reads each span once for everything that asks). An agent's name is
    /// the only text kept, copied the first time it is seen.
    pub fn observe_read(&mut self, spans: &[Span], meanings: &[MeaningRef<'_>]) {
        for (span, meaning) in spans.iter().zip(meanings) {
            self.spans += 1;
            let framework = framework_of(span);
            if let Some(framework) = framework {
                self.frameworks.insert(framework);
            }
            let failed = span.status.code == StatusCode::Error;
            let workflow = text(span, "gen_ai.operation.name") == Some("invoke_workflow");
            let component = match meaning.kind {
                _ if workflow => {
                    let ms = span.end_unix_nanos.saturating_sub(span.start_unix_nanos) / 1_000_000;
                    if self.workflows.len() < MAX_WORKFLOW_EVENTS {
                        self.workflows.push((ms, !failed));
                    }
                    "workflow"
                }
                Kind::Llm | Kind::Embedding => {
                    self.llm_calls += 1;
                    "llm"
                }
                Kind::Tool => {
                    let tool_type =
                        text(span, "gen_ai.tool.type").map_or("function", vocabulary::tool_type);
                    let entry = self.tools.entry(tool_type).or_default();
                    entry.0 += 1;
                    entry.1 += u64::from(failed);
                    "tool"
                }
                Kind::Agent => {
                    self.agent_spans += 1;
                    if let Some(name) = meaning.agent
                        && self.agent_names.len() < MAX_AGENT_NAMES
                        && !self.agent_names.contains(name)
                    {
                        self.agent_names.insert(name.to_string());
                    }
                    "agent"
                }
                _ => "span",
            };
            if failed {
                let named = text(span, "error.type").or_else(|| exception_type(span));
                let mut kind = named.map_or("error", vocabulary::error_type);
                if !self.errors.contains_key(&(kind, component))
                    && self.errors.len() >= MAX_ERROR_KINDS
                {
                    kind = "other";
                }
                *self.errors.entry((kind, component)).or_default() += 1;
            }
        }
    }

    /// The run's events; the command's own outcome (`success`, `duration_ms`) comes from
    /// the wrapper. `agent.hash` carries the agent's name: the collector hashes it with the
    /// install's salt before anything is kept.
    pub fn events(&self, duration_ms: u64, success: bool) -> Vec<RawEvent> {
        let framework = self.framework();
        let agent_type = self.agent_type();
        let tool_calls: u64 = self.tools.values().map(|(n, _)| n).sum();
        let mut run: Vec<(String, AttrValue)> = vec![
            ("agent.type".into(), agent_type.into()),
            ("agent.framework".into(), framework.into()),
            ("span.count".into(), self.spans.into()),
            ("llm.count".into(), self.llm_calls.into()),
            ("tool.count".into(), tool_calls.into()),
            ("duration_ms".into(), duration_ms.into()),
            ("success".into(), success.into()),
        ];
        if let Some(name) = self.agent_names.iter().next() {
            run.push(("agent.hash".into(), name.as_str().into()));
        }
        let mut events: Vec<RawEvent> = self
            .frameworks
            .iter()
            .map(|f| {
                (
                    EventType::FrameworkSelected,
                    vec![("framework.name".into(), (*f).into())],
                )
            })
            .collect();
        events.push((EventType::AgentRun, run));
        for (tool_type, (calls, failed)) in &self.tools {
            events.push((
                EventType::ToolExecuted,
                vec![
                    ("tool.type".into(), (*tool_type).into()),
                    ("tool.count".into(), (*calls).into()),
                    ("agent.framework".into(), framework.into()),
                    ("success".into(), (*failed == 0).into()),
                ],
            ));
        }
        for (error_type, component) in self.errors.keys() {
            events.push((
                EventType::AgentError,
                vec![
                    ("error.type".into(), (*error_type).into()),
                    ("component".into(), (*component).into()),
                    ("agent.framework".into(), framework.into()),
                ],
            ));
        }
        for (ms, ok) in &self.workflows {
            let kind: AttrValue = framework.into();
            events.push((
                EventType::WorkflowStarted,
                vec![("workflow.type".into(), kind.clone())],
            ));
            events.push((
                EventType::WorkflowCompleted,
                vec![
                    ("workflow.type".into(), kind),
                    ("duration_ms".into(), (*ms).into()),
                    ("success".into(), (*ok).into()),
                ],
            ));
        }
        events
    }

    /// The run's framework: `unknown` for GenAI spans of none we recognise, `none` for
    /// no GenAI span at all.
    fn framework(&self) -> &'static str {
        match self.frameworks.len() {
            0 if self.llm_calls + self.agent_spans + self.tools.len() as u64 > 0 => "unknown",
            0 => "none",
            // Several instrumentations in one run (an agent framework over an LLM client):
            // the agent framework is the one the user chose.
            _ => self
                .frameworks
                .iter()
                .find(|f| AGENT_FRAMEWORKS.contains(f))
                .or(self.frameworks.iter().next())
                .copied()
                .expect("not empty"),
        }
    }

    /// What the run was: an `agent` (agent spans), an `llm_app` (LLM calls) or a `command`.
    fn agent_type(&self) -> &'static str {
        if self.agent_spans > 0 {
            "agent"
        } else if self.llm_calls > 0 {
            "llm_app"
        } else {
            "command"
        }
    }
}

/// Frameworks an agent author picks (as opposed to the LLM client libraries under them).
const AGENT_FRAMEWORKS: [&str; 3] = ["pydantic-ai", "agno", "langchain"];

/// The framework that made the span, from its instrumentation scope or GenAI attributes.
fn framework_of(span: &Span) -> Option<&'static str> {
    let scope = &span.scope.name;
    let known = [
        ("pydantic-ai", "pydantic-ai"),
        ("pydantic_ai", "pydantic-ai"),
        ("agno", "agno"),
        ("langchain", "langchain"),
        ("langgraph", "langchain"),
        // SDKs that trace other libraries: named before the client libraries they wrap
        // (Logfire's OpenAI instrumentation is the scope `logfire.openai`).
        ("langfuse", "langfuse"),
        ("logfire", "logfire"),
        ("traceloop", "openllmetry"),
        ("openai", "openai"),
        ("anthropic", "anthropic"),
    ];
    if let Some((_, name)) = known.iter().find(|(needle, _)| names(scope, needle)) {
        return Some(name);
    }
    text(span, "gen_ai.operation.name")?;
    let provider = text(span, "gen_ai.provider.name").or_else(|| text(span, "gen_ai.system"))?;
    known
        .iter()
        .find(|(needle, _)| names(provider, needle))
        .map(|(_, name)| *name)
        .or(Some("unknown"))
}

/// Whether `text` holds `needle` (lowercase), in any case: what every span's scope is
/// asked, so nothing is copied to ask it.
fn names(text: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    text.as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attribute(key)?.as_str()
}

fn exception_type(span: &Span) -> Option<&str> {
    span.events
        .iter()
        .filter(|e| e.name == "exception")
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == "exception.type")
        .and_then(|a| a.value.as_str())
}

#[cfg(test)]
mod tests;
