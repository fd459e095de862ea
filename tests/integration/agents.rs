//! Coding agents under `run`: the real Claude Code and Gemini CLI (and Codex, in
//! `agents_codex`, with the helpers here; pinned npm packages, `scripts/npm-peers`) against
//! a fake model API on loopback (`tests/python/fake_models.py`), each asked to run `echo hi`
//! through its shell tool. The trace in the local store must hold, under the run span, the
//! prompt span, the model request spans (model, tokens, cost) and the tool span (tool
//! name, success). HOME is a temp dir: nothing touches the real user's agent settings.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::interop::install_peers;
use crate::testenv::TestEnv;
use crate::traces::stdout_of;

/// `target/npm-peers` with the pinned agents, installed on first use.
pub fn npm_peers() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| install_peers("npm-peers", &[]))
}

/// An agent's command in `target/npm-peers/node_modules/.bin`.
pub fn agent_bin(name: &str) -> PathBuf {
    npm_peers().join("node_modules/.bin").join(name)
}

/// The fake model API (`tests/python/fake_models.py`), stopped when dropped.
pub struct FakeModels {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Where it writes each request it got, one JSON line each.
    log: tempfile::NamedTempFile,
}

impl FakeModels {
    pub fn start() -> FakeModels {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fake_models.py");
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new("python3")
            .arg(script)
            .arg(log.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake model server");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        FakeModels {
            child,
            url: format!("http://127.0.0.1:{}", port.trim()),
            log,
        }
    }

    /// The paths of the POST requests it got, in order.
    pub fn posted(&self) -> Vec<String> {
        std::fs::read_to_string(self.log.path())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Json>(line).ok())
            .filter_map(|entry| entry["path"].as_str().map(str::to_string))
            .collect()
    }
}

impl Drop for FakeModels {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `traces show last --json`, parsed.
pub fn last_trace(env: &TestEnv) -> Json {
    serde_json::from_str(&stdout_of(env, &["traces", "show", "last", "--json"])).unwrap()
}

/// The first span named `name`, with the names of all for the message.
pub fn span<'a>(trace: &'a Json, name: &str) -> &'a Json {
    let spans = trace["spans"].as_array().unwrap();
    spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
        let names: Vec<&Json> = spans.iter().map(|s| &s["name"]).collect();
        panic!("no span {name} in {names:?}")
    })
}

pub fn attr<'a>(span: &'a Json, key: &str) -> &'a Json {
    &span["attributes"][key]
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The run span (the trace's root) and the prompt span right under it.
pub fn assert_prompt_under_the_run<'a>(trace: &'a Json, prompt: &str) -> &'a Json {
    let run = &trace["spans"][0];
    assert_eq!(run["depth"], 0, "the run span is the root");
    assert_eq!(run["scope"]["name"], "automagik-tracing");
    let prompt = span(trace, prompt);
    assert_eq!(prompt["parent_span_id"], run["span_id"]);
    assert_eq!(attr(prompt, "gen_ai.operation.name"), "invoke_agent");
    assert_eq!(trace["orphans"], 0, "every span in the run's tree");
    prompt
}

fn claude_env(models: &FakeModels) -> TestEnv {
    TestEnv::new()
        .var("ANTHROPIC_BASE_URL", &models.url)
        .var("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")
}

fn run_claude(env: &TestEnv, prompt: &str) -> Output {
    env.cmd()
        .args(["-v", "run", "--"])
        .arg(agent_bin("claude"))
        .args(["-p", prompt, "--allowedTools", "Bash"])
        .output()
        .unwrap()
}

#[test]
fn claude_code_becomes_a_trace_with_prompt_model_and_tool_spans() {
    let models = FakeModels::start();
    let env = claude_env(&models);
    let out = run_claude(&env, "run echo hi");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("given figures from its events"),
        "-v tells what the translator did: {}",
        stderr(&out)
    );
    let trace = last_trace(&env);
    let prompt = assert_prompt_under_the_run(&trace, "claude_code.interaction");
    let spans = trace["spans"].as_array().unwrap();
    let requests: Vec<&Json> = spans
        .iter()
        .filter(|s| s["name"] == "claude_code.llm_request")
        .collect();
    assert!(requests.len() >= 2, "a tool call and an answer: {trace}");
    for request in &requests {
        assert_eq!(request["parent_span_id"], prompt["span_id"]);
        assert_eq!(attr(request, "gen_ai.operation.name"), "chat");
        assert!(attr(request, "gen_ai.request.model").is_string());
        // The fake server's usage: 120 in + 40 cache reads + 10 cache writes.
        assert_eq!(attr(request, "gen_ai.usage.input_tokens"), 170);
        assert_eq!(attr(request, "gen_ai.usage.output_tokens"), 30);
        assert_eq!(attr(request, "gen_ai.usage.cache_read.input_tokens"), 40);
        assert!(
            attr(request, "gen_ai.usage.cost")
                .as_f64()
                .is_some_and(|c| c > 0.0),
            "the cost of its api_request event: {request}"
        );
    }
    let tool = span(&trace, "claude_code.tool");
    assert_eq!(tool["parent_span_id"], prompt["span_id"]);
    assert_eq!(attr(tool, "gen_ai.tool.name"), "Bash");
    assert_eq!(attr(tool, "success"), true);
    assert!(trace["cost"].as_f64().is_some_and(|c| c > 0.0));
}

#[test]
fn claude_code_without_its_span_beta_is_traced_from_its_events() {
    let models = FakeModels::start();
    let env = claude_env(&models).var("CLAUDE_CODE_ENHANCED_TELEMETRY_BETA", "0");
    let out = run_claude(&env, "run echo hi");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=0 is kept as set"),
        "{}",
        stderr(&out)
    );
    let trace = last_trace(&env);
    let prompt = assert_prompt_under_the_run(&trace, "claude_code.interaction");
    let spans = trace["spans"].as_array().unwrap();
    let under_prompt = |name: &str| {
        spans
            .iter()
            .filter(|s| s["name"] == name && s["parent_span_id"] == prompt["span_id"])
            .count()
    };
    // A span per model request Claude Code made: at least the tool call and the answer
    // (under load it may make another, which must be there too).
    let requests = models
        .posted()
        .iter()
        .filter(|path| {
            path.split('?')
                .next()
                .is_some_and(|p| p.ends_with("/v1/messages"))
        })
        .count();
    assert!(under_prompt("claude_code.llm_request") >= 2, "{trace}");
    let in_trace = spans
        .iter()
        .filter(|s| s["name"] == "claude_code.llm_request")
        .count();
    assert_eq!(in_trace, requests, "{trace}");
    let tool = span(&trace, "claude_code.tool");
    assert_eq!(tool["parent_span_id"], prompt["span_id"]);
    assert_eq!(attr(tool, "gen_ai.tool.name"), "Bash");
    assert_eq!(tool["status"]["code"], "unset");
    assert!(trace["cost"].as_f64().is_some_and(|c| c > 0.0));
}

#[test]
fn a_failing_claude_code_keeps_its_exit_code_and_its_trace() {
    let models = FakeModels::start();
    let env = claude_env(&models);
    // The fake server refuses this prompt with a 400: Claude Code exits 1.
    let out = run_claude(&env, "REFUSE-ME");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let trace = last_trace(&env);
    let request = span(&trace, "claude_code.llm_request");
    assert_eq!(request["status"]["code"], "error");
    assert!(
        attr(request, "gen_ai.usage.input_tokens").is_null(),
        "no usage for a refused request: {request}"
    );
}

#[test]
fn gemini_cli_spans_go_under_a_prompt_span_in_the_run_trace() {
    let models = FakeModels::start();
    let env = TestEnv::new()
        .var("GOOGLE_GEMINI_BASE_URL", &models.url)
        .var("GEMINI_API_KEY", "test-not-a-key")
        .var("GEMINI_CLI_TRUST_WORKSPACE", "true");
    // The API key as the auth method: with a base URL alone it picks a gateway it then
    // refuses.
    let settings = env.home.join(".gemini");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(
        settings.join("settings.json"),
        r#"{"security": {"auth": {"selectedType": "gemini-api-key"}}}"#,
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["-v", "run", "--"])
        .arg(agent_bin("gemini"))
        .args(["-m", "gemini-2.5-flash", "-p", "run echo hi", "--yolo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let trace = last_trace(&env);
    let prompt = assert_prompt_under_the_run(&trace, "gemini_cli.prompt");
    let spans = trace["spans"].as_array().unwrap();
    let calls: Vec<&Json> = spans.iter().filter(|s| s["name"] == "llm_call").collect();
    assert_eq!(calls.len(), 2, "a tool call and an answer: {trace}");
    for call in calls {
        assert_eq!(call["parent_span_id"], prompt["span_id"]);
        assert_eq!(call["trace_id"], trace["trace_id"]);
        assert_eq!(attr(call, "gen_ai.operation.name"), "generate_content");
        assert_eq!(attr(call, "gen_ai.request.model"), "gemini-2.5-flash");
        assert_eq!(attr(call, "gen_ai.usage.input_tokens"), 120);
        assert_eq!(attr(call, "gen_ai.usage.output_tokens"), 30);
        // From its api_response event.
        assert_eq!(attr(call, "gen_ai.usage.cache_read.input_tokens"), 40);
    }
    let tool = span(&trace, "tool_call");
    assert_eq!(attr(tool, "gen_ai.tool.name"), "run_shell_command");
    assert_eq!(attr(tool, "success"), true);
    assert!(
        trace["cost"].as_f64().is_some_and(|c| c > 0.0),
        "priced from the tokens: {trace}"
    );
}

/// A stand-in `claude` in the project dir that prints what of Claude Code's telemetry
/// environment it got.
fn fake_claude(env: &TestEnv) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = env.project.join("claude");
    std::fs::write(
        &path,
        "#!/bin/sh\necho \"$CLAUDE_CODE_ENABLE_TELEMETRY|$OTEL_LOGS_EXPORTER|$OTEL_EXPORTER_OTLP_LOGS_ENDPOINT\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The `feature.name`s of the usage events a command printed (`AUTOMAGIK_TELEMETRY_DEBUG`).
fn features(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter_map(|e| e["feature.name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_recognised_agent_gets_its_telemetry_switched_on_and_is_counted() {
    let env = TestEnv::new().var("AUTOMAGIK_TELEMETRY_DEBUG", "1");
    let claude = fake_claude(&env);
    let out = env.cmd().args(["run", "--"]).arg(&claude).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = got.trim().split('|').collect();
    assert_eq!(fields[..2], ["1", "otlp"], "{got}");
    assert!(
        fields[2].starts_with("http://127.0.0.1:") && fields[2].ends_with("/v1/logs"),
        "its logs go to the receiver: {got}"
    );
    assert!(features(&out).contains(&"run.agent.claude".to_string()));
    // Opted out: the command runs as any other.
    let out = env
        .cmd()
        .args(["run", "--agent", "none", "--"])
        .arg(&claude)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "||");
    assert!(!features(&out).iter().any(|f| f.starts_with("run.agent.")));
}
