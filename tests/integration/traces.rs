//! `traces list`, `show` and `tail` over stores written here (golden files under
//! `tests/golden/`; `UPDATE_GOLDEN=1 cargo test --test integration traces` rewrites them),
//! and `traces show last` after a wrapped run of the Python example agent. Here the
//! store the tests write and read; a file per behaviour in `traces/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automagik_tracing::span::{
    Attribute, Event, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
    to_request,
};

use crate::testenv::TestEnv;

mod lookup;
mod output;
mod reading;
mod tail;
mod terminal;

const MS: u64 = 1_000_000;
/// 2026-01-05 14:03:22 UTC
const T0: u64 = 1_767_621_802_000 * MS;
const AGENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A TestEnv whose data dir is `home/data`; returns it with its store dir.
pub(crate) fn env() -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    let data = env.home.join("data");
    let store = data.join("traces");
    (
        env.var("AUTOMAGIK_DATA_DIR", data.to_str().unwrap())
            .var("COLUMNS", "100"),
        store,
    )
}

pub(crate) struct Builder {
    trace_id: TraceId,
    resource: Arc<Resource>,
    scope: Arc<Scope>,
    next_id: u8,
}

impl Builder {
    pub(crate) fn new(trace_id: &str, service: &str) -> Builder {
        Builder {
            trace_id: TraceId::from_hex(trace_id).unwrap(),
            resource: Arc::new(Resource::service(service)),
            scope: Arc::new(Scope {
                name: "golden".into(),
                version: "1.0".into(),
                ..Default::default()
            }),
            next_id: 0,
        }
    }

    /// A span from `start` to `end` milliseconds after T0.
    pub(crate) fn span(&mut self, name: &str, parent: Option<&Span>, start: i64, end: i64) -> Span {
        self.next_id += 1;
        let mut span = Span::start(name, None, self.resource.clone(), self.scope.clone());
        span.trace_id = self.trace_id;
        span.span_id = SpanId([self.trace_id.0[0], 0, 0, 0, 0, 0, 0, self.next_id]);
        span.parent_span_id = parent.map(|p| p.span_id);
        let at = |ms: i64| (T0 as i64 + ms * MS as i64) as u64;
        span.start_unix_nanos = at(start);
        span.end_unix_nanos = at(end);
        span
    }
}

/// An agent run: agent → LLM → tool, an LLM call that failed, a tool call, and a span
/// whose parent never reached the store.
fn agent_trace() -> Vec<Span> {
    let mut b = Builder::new(AGENT_TRACE, "support-agent");
    let mut agent = b.span("invoke_agent support", None, 0, 2400);
    agent
        .set("gen_ai.operation.name", "invoke_agent")
        .set("gen_ai.agent.name", "support");
    let mut chat = b.span("chat gpt-4o", Some(&agent), 100, 900);
    chat.kind = SpanKind::Client;
    chat.set("gen_ai.operation.name", "chat")
        .set("gen_ai.request.model", "gpt-4o")
        .set("gen_ai.response.model", "gpt-4o-2024-08-06")
        .set("gen_ai.usage.input_tokens", 1200i64)
        .set("gen_ai.usage.output_tokens", 300i64)
        .set("gen_ai.usage.cost", 0.0105);
    let mut search = b.span("execute_tool search", Some(&chat), 400, 650);
    search
        .set("gen_ai.operation.name", "execute_tool")
        .set("gen_ai.tool.name", "search");
    let mut failed = b.span("chat gpt-4o-mini", Some(&agent), 1000, 1600);
    failed
        .set("gen_ai.request.model", "gpt-4o-mini")
        .set("gen_ai.usage.input_tokens", 50i64);
    failed.status = Status {
        code: StatusCode::Error,
        message: "rate limited (429): retry after 20s".into(),
    };
    failed.events.push(Event {
        name: "exception".into(),
        time_unix_nanos: T0 + 1600 * MS,
        attributes: vec![Attribute::new("exception.type", "RateLimitError")],
    });
    let mut fetch = b.span("execute_tool fetch_page", Some(&agent), 1700, 2300);
    fetch.set("gen_ai.tool.name", "fetch_page");
    let missing = b.span("never stored", None, 0, 0);
    let orphan = b.span("late callback", Some(&missing), 2000, 2200);
    vec![agent, chat, search, failed, fetch, orphan]
}

/// An older trace, and one whose root was never stored.
fn other_traces() -> (Vec<Span>, Vec<Span>) {
    let mut b = Builder::new("9e0c8a77d4b1402f8c3a5e6f70819203", "eval");
    let root = b.span("python eval.py", None, -3_600_000, -3_595_000);
    let step = b.span("step", Some(&root), -3_599_000, -3_596_500);
    let older = vec![root, step];
    let mut b = Builder::new("c0ffee00000000000000000000000001", "worker");
    let gone = b.span("gone", None, 0, 0);
    let rootless = vec![b.span("chat claude", Some(&gone), -600_000, -598_500)];
    (older, rootless)
}

pub(crate) fn line(spans: &[Span]) -> String {
    serde_json::to_string(&to_request(spans)).unwrap() + "\n"
}

/// The golden store: two daily files; the agent trace straddles two lines.
fn write_store(store: &Path) {
    fs::create_dir_all(store).unwrap();
    let agent = agent_trace();
    let (older, rootless) = other_traces();
    fs::write(store.join("traces-2026-01-04.jsonl"), "").unwrap();
    fs::write(
        store.join("traces-2026-01-05.jsonl"),
        [
            line(&older),
            line(&rootless),
            line(&agent[1..4]),
            line(&[agent[0].clone(), agent[4].clone(), agent[5].clone()]),
        ]
        .concat(),
    )
    .unwrap();
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites it with `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header(&format!("tests/golden/{name}"), "actual")
            .to_string();
        panic!(
            "the output differs from tests/golden/{name}; if the change is right, run \
             `UPDATE_GOLDEN=1 cargo test --test integration traces` and commit\n{diff}"
        );
    }
}

/// The stdout of a command that succeeds with nothing on stderr.
pub fn stdout_of(env: &TestEnv, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
