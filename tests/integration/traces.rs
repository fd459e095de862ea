//! `traces list`, `show` and `tail` over stores written here (golden files under
//! `tests/golden/`; `UPDATE_GOLDEN=1 cargo test --test integration traces` rewrites them),
//! and `traces show last` after a wrapped run of the Python example agent.

use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use automagik_tracing::span::{
    Attribute, Event, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
    to_request,
};
use serde_json::Value as Json;

use crate::testenv::{TestEnv, files_below};
use crate::wrap::run_python_example;

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

#[test]
fn list_matches_the_golden_file() {
    let (env, store) = env();
    write_store(&store);
    golden("traces-list.txt", &stdout_of(&env, &["traces", "list"]));
}

#[test]
fn show_matches_the_golden_files() {
    let (env, store) = env();
    write_store(&store);
    let text = stdout_of(&env, &["traces", "show", "4bf92f35"]);
    golden("traces-show.txt", &text);
    assert_eq!(stdout_of(&env, &["traces", "show", "last"]), text);
    golden(
        "traces-show.json",
        &stdout_of(&env, &["traces", "show", AGENT_TRACE, "--json"]),
    );
}

#[test]
fn show_json_has_the_documented_shape() {
    let (env, store) = env();
    write_store(&store);
    let json: Json =
        serde_json::from_str(&stdout_of(&env, &["traces", "show", "last", "--json"])).unwrap();
    assert_eq!(json["trace_id"], AGENT_TRACE);
    assert_eq!(json["start_time"], "2026-01-05T14:03:22.000000000Z");
    assert_eq!(json["span_count"], 6);
    assert_eq!(
        (json["errors"].clone(), json["orphans"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(
        (json["input_tokens"].clone(), json["output_tokens"].clone()),
        (1250.into(), 300.into())
    );
    let spans = json["spans"].as_array().unwrap();
    let names: Vec<(&str, u64)> = spans
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("invoke_agent support", 0),
            ("chat gpt-4o", 1),
            ("execute_tool search", 2),
            ("chat gpt-4o-mini", 1),
            ("execute_tool fetch_page", 1),
            ("late callback", 0),
        ]
    );
    assert_eq!(spans[5]["orphan"], true);
    assert_eq!(spans[3]["status"]["code"], "error");
    assert_eq!(spans[1]["attributes"]["gen_ai.usage.input_tokens"], 1200);
    assert_eq!(spans[1]["kind"], "client");
    assert_eq!(spans[1]["parent_span_id"], spans[0]["span_id"]);
    assert_eq!(spans[1]["duration_ms"], 800.0);
    assert_eq!(spans[1]["gen_ai"]["kind"], "llm");
    assert_eq!(spans[1]["gen_ai"]["input_tokens"], 1200);
    assert_eq!(spans[1]["gen_ai"]["cost"], 0.0105);
    assert_eq!(spans[2]["gen_ai"]["kind"], "tool");
    assert_eq!(spans[2]["gen_ai"]["tool"], "search");
    assert_eq!(spans[0]["gen_ai"]["kind"], "agent");

    let list: Json =
        serde_json::from_str(&stdout_of(&env, &["traces", "list", "--json", "-n", "2"])).unwrap();
    let traces = list["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0]["trace_id"], AGENT_TRACE);
    // The gpt-4o call carries its cost ($0.0105); the gpt-4o-mini call (50 in, 0 out) is
    // priced from the bundled price data.
    let cost = traces[0]["cost"].as_f64().unwrap();
    assert!(cost > 0.0105 && cost < 0.011, "{cost}");
    assert_eq!(traces[0]["models"][0]["model"], "gpt-4o-2024-08-06");
    assert_eq!(traces[1]["trace_id"], "c0ffee00000000000000000000000001");
    assert_eq!(traces[1]["root_name"], Json::Null);
    assert_eq!(traces[1]["name"], "chat claude");
}

#[test]
fn show_last_after_a_wrapped_python_run_nests_its_spans_under_the_run() {
    let env = TestEnv::new().var("COLUMNS", "100");
    assert_eq!(
        run_python_example(&env, "agent_otel.py", &[]),
        "It will be sunny.\n"
    );
    let text = stdout_of(&env, &["traces", "show", "last"]);
    let lines: Vec<&str> = text.lines().collect();
    for (line, name) in lines[1..].iter().zip([
        "agent_otel.py ",
        "└─ invoke_agent weather ",
        "   ├─ chat gpt-4o-mini ",
        "   └─ execute_tool get_forecast ",
    ]) {
        assert!(line.starts_with(name), "`{name}` expected:\n{text}");
    }
    assert!(text.contains("gpt-4o-mini  182 in / 41 out"), "{text}");
    assert!(text.contains("tool get_forecast"), "{text}");
    assert!(text.contains("summary  "), "{text}");
}

#[test]
fn an_ambiguous_prefix_names_the_candidates_and_an_unknown_one_fails() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    let mut a = Builder::new("abcd1111000000000000000000000000", "a");
    let mut b = Builder::new("abcd2222000000000000000000000000", "b");
    let spans = [a.span("first", None, 0, 10), b.span("second", None, 20, 30)];
    fs::write(store.join("traces-2026-01-05.jsonl"), line(&spans)).unwrap();
    env.cmd()
        .args(["traces", "show", "ABCD"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "error: `abcd` starts 2 trace ids:\n  abcd2222000000000000000000000000  2026-01-05 14:03:22  second\n  abcd1111000000000000000000000000  2026-01-05 14:03:22  first\nhint: give more digits",
        ));
    assert!(stdout_of(&env, &["traces", "show", "abcd1"]).contains("first"));
    env.cmd()
        .args(["traces", "show", "abce"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no trace id starts with `abce`"));
    env.cmd()
        .args(["traces", "show", "xyz1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`xyz1` is not a trace id"));
}

#[test]
fn a_corrupt_line_is_skipped_with_a_warning_naming_file_and_line() {
    let (env, store) = env();
    fs::create_dir_all(&store).unwrap();
    let mut b = Builder::new(AGENT_TRACE, "a");
    let file = store.join("traces-2026-01-05.jsonl");
    let good = line(&[b.span("kept", None, 0, 10)]);
    fs::write(&file, format!("{good}{{\"resourceSpans\": [tru\n{good}")).unwrap();
    let out = env.cmd().args(["traces", "list"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "warning: skipped a corrupt line at {}:2: ",
            file.display()
        )),
        "{stderr}"
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("kept"));
}

#[test]
fn an_absent_store_has_no_traces_yet_and_stays_absent() {
    let (env, store) = env();
    for args in [&["traces", "list"][..], &["traces", "show", "last"]] {
        env.cmd()
            .args(args)
            .assert()
            .success()
            .stdout(predicates::str::starts_with(format!(
                "no traces yet in {}\nhint: trace a command with `automagik-tracing run -- CMD`",
                store.display()
            )));
    }
    env.cmd()
        .args(["traces", "list", "--json"])
        .assert()
        .success()
        .stdout("{\n  \"traces\": []\n}\n");
    assert!(
        files_below(&env.home).is_empty(),
        "{:?}",
        files_below(&env.home)
    );
}

#[test]
fn reading_the_store_writes_nothing_but_indexes() {
    let (env, store) = env();
    write_store(&store);
    let before = files_below(&env.home);
    for args in [
        &["traces", "list"][..],
        &["traces", "show", "last"],
        &["traces", "show", "4bf9", "--json"],
    ] {
        env.cmd().args(args).assert().success();
    }
    // The index of a finished store file is a cache beside it (`traces_index` tests it).
    let mut after = files_below(&env.home);
    after.retain(|f| f.extension().is_none_or(|e| e != "idx"));
    assert_eq!(after, before);
}

#[test]
fn tail_prints_a_span_appended_after_it_started_and_stops_cleanly_on_ctrl_c() {
    let (env, store) = env();
    write_store(&store);
    let mut child = env
        .std_cmd()
        .args(["traces", "tail"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let started = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = started.send(format!("stderr: {line}"));
        }
    });
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(format!("stdout: {line}"));
        }
    });
    let wait_for = |what: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no line with `{what}` within 30 s"),
            }
        }
    };
    wait_for("stderr: following ");
    let mut b = Builder::new("7a11000000000000000000000000000a", "tailed");
    let mut span = b.span("appended later", None, 0, 1500);
    span.set("gen_ai.request.model", "gpt-4o");
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(store.join("traces-2026-01-05.jsonl"))
        .unwrap();
    file.write_all(line(&[span]).as_bytes()).unwrap();
    let printed = wait_for("appended later");
    assert_eq!(
        printed,
        "stdout: 14:03:22.000  7a110000  appended later                      1.50 s  gpt-4o"
    );
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C ends tail with 0");
}

#[test]
fn every_traces_command_teaches_with_examples() {
    let env = TestEnv::new();
    for args in [
        &["traces"][..],
        &["traces", "list"],
        &["traces", "show"],
        &["traces", "tail"],
    ] {
        env.cmd()
            .args(args)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicates::str::contains("Examples:\n  automagik-tracing "));
    }
    assert!(files_below(&env.home).is_empty());
}

#[test]
fn escape_sequences_in_a_childs_span_never_reach_the_terminal() {
    let (env, store) = env();
    // Wide enough that `list` shows the root's name whole.
    let env = env.var("COLUMNS", "200");
    fs::create_dir_all(&store).unwrap();
    let mut b = Builder::new(AGENT_TRACE, "svc\x1b]0;pwned\x07");
    let hostile = "\x1b]0;pwned\x07\x1b[2J\r\u{9b}31m\x1b]8;;https://evil.example\x07link";
    let mut root = b.span(&format!("run {hostile}"), None, 0, 100);
    root.set("gen_ai.request.model", hostile)
        .set("gen_ai.tool.name", hostile)
        .set("gen_ai.usage.input_tokens", 3i64);
    root.status = Status {
        code: StatusCode::Error,
        message: hostile.into(),
    };
    fs::write(store.join("traces-2026-01-05.jsonl"), line(&[root])).unwrap();
    for args in [
        &["traces", "list"][..],
        &["traces", "show", "last"],
        &["traces", "show", "4bf9"],
        &["traces", "list", "--json"],
        &["traces", "show", "last", "--json"],
    ] {
        let out = stdout_of(&env, args);
        assert!(out.contains("pwned"), "{args:?}: the span is shown: {out}");
        for c in ['\x1b', '\x07', '\r', '\u{9b}'] {
            assert!(!out.contains(c), "{args:?} printed {c:?}: {out:?}");
        }
    }
}

#[test]
fn a_batch_with_an_attribute_nested_30_levels_deep_is_shown_whole() {
    let (env, store) = env();
    let mut b = Builder::new(AGENT_TRACE, "deep");
    let run = b.span("run agent", None, 0, 100);
    let mut child = b.span("deep child", Some(&run), 10, 90);
    let mut value = Value::from("bottom-of-the-well");
    for _ in 0..30 {
        value = Value::Map(vec![Attribute::new("k", value)]);
    }
    child.set("nested", value);
    let writer = automagik_tracing::export::local::LocalStore::new(store.clone(), 1 << 30, 30);
    writer.append(&to_request(&[run, child])).unwrap();

    let shown = stdout_of(&env, &["traces", "show", "last"]);
    assert!(
        shown.contains("run agent") && shown.contains("deep child"),
        "{shown}"
    );
    let json = stdout_of(&env, &["traces", "show", "last", "--json"]);
    assert!(json.contains("bottom-of-the-well"), "{json}");
}

#[test]
fn show_last_says_where_the_last_run_went_when_the_store_kept_no_copy() {
    let sink = crate::sink::Sink::start();
    let env = TestEnv::new()
        .var("DO_NOT_TRACK", "1")
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    env.cmd().args(["run", "true"]).assert().success();
    let out = env.cmd().args(["traces", "show", "last"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the last run's spans went to otlp, not to the local store"),
        "{stderr}"
    );
    assert!(stderr.contains("AUTOMAGIK_LOCAL_COPY=true"), "{stderr}");
    // With the copy kept, the same run is in the store and nothing is said.
    let kept = env.var("AUTOMAGIK_LOCAL_COPY", "true");
    kept.cmd().args(["run", "true"]).assert().success();
    let out = kept
        .cmd()
        .args(["traces", "show", "last"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("true"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("the last run's spans went"));
}
