//! Coding agents (Claude Code, Gemini CLI, Codex) as traces: which agent a wrapped command
//! is ([`Agent::recognise`], or `run --agent NAME`), what its environment and command line
//! get so that its own telemetry goes to the receiver ([`Agent::setup`]), and the
//! [`Translator`] the receiver hands each decoded span batch and log request to, which
//! turns what the agent emits into GenAI spans under the run span.
//!
//! Owns no I/O but reading the agent's settings file to see whether the user configured
//! its telemetry (never writing it). Each agent is one file: `claude`, `gemini`, `codex`.

pub mod claude;
pub mod codex;
mod events;
pub mod gemini;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

pub use events::{LogEvent, log_events};

use crate::span::{Span, SpanId, TraceId};

/// A coding agent the wrapper knows how to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// Anthropic's Claude Code (`claude`, npm `@anthropic-ai/claude-code`).
    Claude,
    /// Google's Gemini CLI (`gemini`, npm `@google/gemini-cli`).
    Gemini,
    /// OpenAI's Codex CLI (`codex`, npm `@openai/codex`).
    Codex,
}

/// Programs that run the package or script named by their first argument that is not a
/// flag (`npx -y @openai/codex`, `pnpm dlx @google/gemini-cli`, `node .../gemini.js`).
const PACKAGE_RUNNERS: [&str; 6] = ["npx", "pnpx", "bunx", "yarn", "pnpm", "node"];

impl Agent {
    /// Every agent, in the order `--agent` lists them.
    pub const ALL: [Agent; 3] = [Agent::Claude, Agent::Gemini, Agent::Codex];

    /// The name `--agent` takes and messages use.
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Gemini => "gemini",
            Agent::Codex => "codex",
        }
    }

    /// The agent named `name` (its command, or its npm package with or without scope
    /// and version: `claude-code`, `@google/gemini-cli@0.61.0`), any case.
    pub fn named(name: &str) -> Option<Agent> {
        let lower = name.trim().to_ascii_lowercase();
        // `@scope/name@version` → `name`; a path → its file name; `name@version` → `name`.
        let base = match lower.strip_prefix('@') {
            Some(scoped) => {
                let unversioned = scoped.split('@').next().unwrap_or(scoped);
                unversioned.rsplit('/').next().unwrap_or(unversioned)
            }
            None => {
                let file = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
                file.split('@').next().unwrap_or(file)
            }
        };
        let stem = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".exe"))
            .or_else(|| base.strip_suffix(".cmd"))
            .unwrap_or(base);
        match stem {
            "claude" | "claude-code" => Some(Agent::Claude),
            "gemini" | "gemini-cli" => Some(Agent::Gemini),
            "codex" => Some(Agent::Codex),
            _ => None,
        }
    }

    /// The agent a command runs, by its program's name (`claude`, `/usr/local/bin/gemini`)
    /// or the package a runner starts (`npx -y @openai/codex exec ...`), with the index in
    /// `command` where the agent's own arguments begin.
    pub fn recognise(command: &[OsString]) -> Option<(Agent, usize)> {
        let program = command.first()?.to_string_lossy();
        if let Some(agent) = Agent::named(&program) {
            return Some((agent, 1));
        }
        let runner = Path::new(program.as_ref())
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())?;
        if !PACKAGE_RUNNERS.contains(&runner.as_str()) {
            return None;
        }
        let (at, package) = command
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, a)| (i, a.to_string_lossy()))
            .find(|(_, a)| !a.starts_with('-') && a != "dlx" && a != "exec")?;
        Agent::named(&package).map(|agent| (agent, at + 1))
    }

    /// What the agent's environment and command line get so that its telemetry reaches
    /// `receiver` (`http://127.0.0.1:PORT`), leaving alone what the user configured
    /// (named in [`Setup::notes`]). `env` is the wrapper's environment, `args` the agent's
    /// own arguments (Codex's `-c otel.…` or `-p PROFILE` say what the user configured).
    pub fn setup(self, receiver: &str, env: &HashMap<String, String>, args: &[OsString]) -> Setup {
        match self {
            Agent::Claude => claude::setup(receiver, env),
            Agent::Gemini => gemini::setup(receiver, env),
            Agent::Codex => codex::setup(receiver, env, args),
        }
    }

    /// A translator for one run of this agent, its spans to go under `run`.
    pub fn translator(self, run: RunIds) -> Box<dyn Translator> {
        match self {
            Agent::Claude => Box::new(claude::Claude::new(run)),
            Agent::Gemini => Box::new(gemini::Gemini::new(run)),
            Agent::Codex => Box::new(codex::Codex::new(run)),
        }
    }
}

/// What an agent's process gets on top of the wrapper's environment.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Setup {
    /// Variables to set.
    pub env: Vec<(String, String)>,
    /// Arguments to insert where the agent's own arguments begin (Codex's `-c key=value`).
    pub args: Vec<String>,
    /// What was left as the user configured it, and what was switched on, for `-v`.
    pub notes: Vec<String>,
}

impl Setup {
    /// Sets `key` unless the user's environment has it, noting which were kept.
    pub(crate) fn default_var(&mut self, env: &HashMap<String, String>, key: &str, value: &str) {
        match env.get(key) {
            Some(theirs) => self.notes.push(format!("{key}={theirs} is kept as set")),
            None => self.env.push((key.to_string(), value.to_string())),
        }
    }
}

/// The run the agent's spans go under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunIds {
    /// The run's trace.
    pub trace_id: TraceId,
    /// The run span.
    pub run_span: SpanId,
}

/// What a translator did, for `-v`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Translated {
    /// Spans made from log events or synthesised (prompt spans).
    pub derived: u64,
    /// Spans moved under another parent (into the run's trace).
    pub reparented: u64,
    /// Spans dropped or folded into another.
    pub dropped: u64,
    /// Spans given figures from a log event (cost, cache tokens).
    pub joined: u64,
}

/// Turns one agent's telemetry into GenAI spans. The receiver calls it with every decoded
/// span batch and log request of the run (from one thread at a time); what it returns is
/// recorded (then adopted under the run span as any span). It may hold spans back (to join
/// a log event's figures onto them) but must hand every held span back by [`finish`], and
/// hold a bounded number.
///
/// [`finish`]: Translator::finish
pub trait Translator: Send {
    /// A span batch from the agent: returns the spans to record now, changed as needed.
    fn spans(&mut self, spans: Vec<Span>) -> Vec<Span>;
    /// A log request from the agent, read only: returns spans to record now (derived
    /// from its events, or held spans it completed).
    fn logs(&mut self, events: &[LogEvent]) -> Vec<Span>;
    /// The agent exited and the receiver stopped: every span still held, and the spans
    /// synthesised from what was seen (prompt spans).
    fn finish(&mut self) -> Vec<Span>;
    /// What it did so far.
    fn tally(&self) -> Translated;
}

/// The GenAI token attributes of a model call; `input` counts the cache reads and writes
/// (the GenAI convention), whatever the agent's own count did.
pub(crate) fn set_usage(
    span: &mut Span,
    input: i64,
    output: i64,
    cache_read: i64,
    cache_write: i64,
) {
    span.set("gen_ai.usage.input_tokens", input)
        .set("gen_ai.usage.output_tokens", output);
    if cache_read > 0 {
        span.set("gen_ai.usage.cache_read.input_tokens", cache_read);
    }
    if cache_write > 0 {
        span.set("gen_ai.usage.cache_creation.input_tokens", cache_write);
    }
}

/// A span id derived from a text (a session and prompt id), so that spans seen before
/// their synthesised parent can name it.
pub(crate) fn derived_span_id(text: &str) -> SpanId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    if id == [0; 8] {
        id[7] = 1;
    }
    SpanId(id)
}

/// An integer attribute, also when sent as a string (Claude Code sends some so).
pub(crate) fn int_of(value: Option<&crate::span::Value>) -> Option<i64> {
    use crate::span::Value;
    match value? {
        Value::Int(n) => Some(*n),
        Value::Double(d) if d.is_finite() => Some(*d as i64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A text attribute.
pub(crate) fn text_of(value: Option<&crate::span::Value>) -> Option<&str> {
    value.and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests;
