//! `run --wrap`: exit codes, signals, trace context, the receiver, and the Python SDK as a
//! wrapped child whose spans reach the provider in the run's trace.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use automagik_tracing::span::{Span, Value, from_request};
use predicates::prelude::*;

use crate::interop::python;
use crate::sink::Sink;
use crate::testenv::TestEnv;

/// The spans of every request the sink accepted.
pub fn delivered(sink: &Sink) -> Vec<Span> {
    sink.requests()
        .iter()
        .filter(|r| r.status < 300 && r.path.ends_with("/v1/traces"))
        .flat_map(|r| from_request(&r.decode()).0)
        .collect()
}

#[test]
fn run_needs_no_wrap_flag_and_tells_where_the_trace_went() {
    // `uv run` and `doppler run --` need no such flag; `--wrap` is still accepted.
    let env = TestEnv::new();
    for args in [
        &["run", "sh", "-c", "exit 4"][..],
        &["run", "--wrap", "--", "sh", "-c", "exit 4"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("1 span → local store · automagik-tracing traces show last"),
            "{args:?}: {stderr}"
        );
    }
    let quiet = env.cmd().args(["run", "-q", "true"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("trace "));
    env.cmd()
        .args(["run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("run [OPTIONS] [--] CMD [ARGS...]"));
}

#[test]
fn exit_codes_are_the_childs() {
    let env = TestEnv::new();
    for (script, code) in [("exit 0", 0), ("exit 1", 1), ("exit 7", 7)] {
        env.cmd()
            .args(["run", "--wrap", "--", "sh", "-c", script])
            .assert()
            .code(code);
    }
    env.cmd()
        .args(["run", "--wrap", "no-such-command-here"])
        .assert()
        .code(127)
        .stderr(predicate::str::contains(
            "command not found: `no-such-command-here`",
        ));
    let script = env.project.join("not-executable.sh");
    std::fs::write(&script, "echo hi\n").unwrap();
    env.cmd()
        .args(["run", "--wrap"])
        .arg(&script)
        .assert()
        .code(126);
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "kill -INT $$"])
        .assert()
        .code(130);
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "kill -TERM $$"])
        .assert()
        .code(143);
}

#[test]
fn options_may_stand_on_either_side_and_the_rest_is_the_commands() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "run",
            "--name",
            "n",
            "--wrap",
            "--flush-timeout",
            "2",
            "sh",
            "-c",
            "echo \"$0 $1\"",
            "--verbose",
            "x",
        ])
        .assert()
        .success()
        .stdout("--verbose x\n");
}

#[test]
fn stdin_and_stdout_pass_straight_through() {
    let env = TestEnv::new();
    env.cmd()
        .args(["run", "--wrap", "--", "tr", "a-z", "A-Z"])
        .write_stdin("hello agent\n")
        .assert()
        .success()
        .stdout("HELLO AGENT\n");
}

#[test]
fn the_run_span_records_the_process_with_secrets_redacted() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--attr",
            "team=search",
            "--service-name",
            "svc",
            "--",
        ])
        .args([
            "sh",
            "-c",
            "exit 3",
            "--api-key",
            "sk-live-0123456789abcdef",
        ])
        .assert()
        .code(3);
    let spans = delivered(&sink);
    assert_eq!(spans.len(), 1);
    let run = &spans[0];
    assert_eq!(run.name, "sh");
    assert_eq!(
        run.attribute("process.executable.name"),
        Some(&Value::from("sh"))
    );
    assert_eq!(run.attribute("process.exit.code"), Some(&Value::Int(3)));
    assert_eq!(run.attribute("team"), Some(&Value::from("search")));
    assert!(matches!(run.attribute("process.pid"), Some(Value::Int(pid)) if *pid > 0));
    let args = format!("{:?}", run.attribute("process.command_args").unwrap());
    assert!(
        args.contains("[REDACTED]") && !args.contains("sk-live"),
        "{args}"
    );
    assert_eq!(run.status.code, automagik_tracing::span::StatusCode::Error);
    assert_eq!(run.resource.attributes[0].value, Value::from("svc"));
}

#[test]
fn an_inherited_traceparent_makes_the_run_its_child() {
    let sink = Sink::start();
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("TRACEPARENT", parent)
        .var("TRACESTATE", "vendor=1");
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--",
            "sh",
            "-c",
            "echo \"$TRACEPARENT $TRACESTATE\"",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-",
        ))
        .stdout(predicate::str::ends_with("-01 vendor=1\n"));
    let run = &delivered(&sink)[0];
    assert_eq!(run.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(run.parent_span_id.unwrap().to_hex(), "00f067aa0ba902b7");
}

/// Runs an example Python agent (`examples/python/NAME`) wrapped, and returns (stdout,
/// spans at the sink).
fn wrapped_python_agent(name: &str, extra: &[&str]) -> (String, Vec<Span>) {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    (run_python_example(&env, name, extra), delivered(&sink))
}

/// Runs an example Python agent (`examples/python/NAME`) wrapped in `env`, checks that it
/// succeeded, and returns its stdout.
pub fn run_python_example(env: &TestEnv, name: &str, extra: &[&str]) -> String {
    let agent = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(name);
    let out = env
        .cmd()
        .args(["run", "--wrap", "--"])
        .arg(python())
        .arg(agent)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check_one_trace(spans: &[Span]) {
    assert_eq!(
        spans.len(),
        4,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let run = spans
        .iter()
        .find(|s| s.scope.name == "automagik-tracing")
        .expect("run span");
    // Named after the script, not the interpreter.
    assert!(run.name.ends_with(".py"), "{}", run.name);
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let agent = find("invoke_agent weather");
    let chat = find("chat gpt-4o-mini");
    let tool = find("execute_tool get_forecast");
    for s in spans {
        assert_eq!(s.trace_id, run.trace_id, "{} is in the run's trace", s.name);
    }
    assert_eq!(agent.parent_span_id, Some(run.span_id));
    assert_eq!(chat.parent_span_id, Some(agent.span_id));
    assert_eq!(tool.parent_span_id, Some(agent.span_id));
    assert_eq!(
        chat.attribute("gen_ai.usage.input_tokens"),
        Some(&Value::Int(182))
    );
    assert_eq!(
        chat.attribute("gen_ai.request.model"),
        Some(&Value::from("gpt-4o-mini"))
    );
    assert_eq!(
        chat.resource
            .attributes
            .iter()
            .find(|a| a.key == "service.name")
            .unwrap()
            .value,
        Value::from("weather-agent")
    );
}

#[test]
fn python_sdk_child_reading_traceparent_lands_in_the_run_trace() {
    let (stdout, spans) = wrapped_python_agent("agent_otel.py", &[]);
    assert_eq!(stdout, "It will be sunny.\n");
    check_one_trace(&spans);
}

#[test]
fn python_sdk_child_ignoring_traceparent_is_adopted() {
    let (_, spans) = wrapped_python_agent("agent_otel.py", &["--ignore-traceparent"]);
    check_one_trace(&spans);
}

#[test]
fn sigterm_to_the_wrapper_reaches_the_child_and_leaves_none_behind() {
    let env = TestEnv::new();
    let pid_file = env.project.join("child.pid");
    let script = format!(
        "echo $$ > {}; trap 'exit 42' TERM; while true; do sleep 0.05; done",
        pid_file.display()
    );
    let mut child = env
        .std_cmd()
        .args(["run", "--wrap", "--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&pid_file).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the child never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let child_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(42),
        "the child's own exit code after its TERM trap"
    );
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(child_pid, 0) } == 0;
    assert!(!alive, "the child is gone");
}

#[test]
fn a_blackholed_provider_costs_at_most_the_flush_timeout() {
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://{}", blackhole.local_addr().unwrap()),
    );
    let start = Instant::now();
    env.cmd()
        .args([
            "run",
            "--wrap",
            "--flush-timeout",
            "1",
            "--",
            "sh",
            "-c",
            "exit 5",
        ])
        .assert()
        .code(5);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_refused_provider_adds_nothing_noticeable() {
    let port = crate::testenv::free_port();
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://127.0.0.1:{port}"),
    );
    let start = Instant::now();
    env.cmd()
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .success();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

/// A wrapped `sleep` whose stderr is kept, and the receiver endpoint it was given.
pub struct Sleeper {
    child: std::process::Child,
    endpoint: String,
}

impl Sleeper {
    pub fn start(env: &TestEnv, extra: &[&str]) -> Sleeper {
        let mut child = env
            .std_cmd()
            .arg("run")
            .args(extra)
            .args([
                "--wrap",
                "--",
                "sh",
                "-c",
                "echo $OTEL_EXPORTER_OTLP_ENDPOINT; exec sleep 30",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        Sleeper {
            child,
            endpoint: line.trim().to_string(),
        }
    }

    pub fn traces(&self) -> String {
        format!("{}/v1/traces", self.endpoint)
    }

    /// The receiver's URL for `path` (`/v1/logs`, `/v1/metrics`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// The wrapper's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The wrapper's peak resident memory, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .expect("VmHWM in /proc status")
            / 1024.0
    }

    /// SIGTERM (forwarded to the sleep); returns the wrapper's stderr.
    pub fn stop(mut self) -> String {
        use std::io::Read as _;
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        self.child.wait().unwrap();
        stderr
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 POST; returns the status code (0 when there was no answer).
pub fn post(url: &str, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> u16 {
    use std::io::Read as _;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(e) = encoding {
        head.push_str(&format!("content-encoding: {e}\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer (413) and close before the whole body is written.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn a_small_request()
-> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    use automagik_tracing::span::{Resource, Scope};
    use std::sync::Arc;
    let mut span = Span::start(
        "posted",
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    span.end();
    automagik_tracing::span::to_request(&[span])
}

#[test]
fn the_receiver_rejects_bad_input_and_keeps_serving() {
    let env = TestEnv::new();
    let wrapped = Sleeper::start(&env, &[]);
    let traces = wrapped.traces();
    let pb = "application/x-protobuf";
    assert_eq!(
        post(&traces, pb, None, b"\xff\xff\xff garbage".to_vec()),
        400
    );
    let good = a_small_request();
    let mut truncated = prost::Message::encode_to_vec(&good);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(post(&traces, pb, None, truncated), 400);
    assert_eq!(post(&traces, "text/plain", None, b"hi".to_vec()), 415);
    // A gzip bomb: 64 MiB of zeros in a small body.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 64 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    assert_eq!(post(&traces, pb, Some("gzip"), bomb), 413);
    assert_eq!(post(&traces, pb, None, vec![0u8; 100 << 20]), 413);
    // Still serving, in protobuf, gzip and JSON.
    assert_eq!(
        post(&traces, pb, None, prost::Message::encode_to_vec(&good)),
        200
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&prost::Message::encode_to_vec(&good)).unwrap();
    assert_eq!(post(&traces, pb, Some("gzip"), gz.finish().unwrap()), 200);
    assert_eq!(
        post(
            &traces,
            "application/json",
            None,
            serde_json::to_vec(&good).unwrap()
        ),
        200
    );
    assert_eq!(
        post(
            &format!("{}/v1/metrics", wrapped.endpoint),
            pb,
            None,
            Vec::new()
        ),
        200
    );
    assert_eq!(
        post(
            &format!("{}/v1/logs", wrapped.endpoint),
            "application/json",
            None,
            b"{}".to_vec()
        ),
        200
    );
}

#[test]
fn pydantic_ai_agent_spans_reach_the_provider_with_genai_attributes() {
    let (_, spans) = wrapped_python_agent("pydantic_agent.py", &[]);
    let run = spans
        .iter()
        .find(|s| s.scope.name == "automagik-tracing")
        .expect("run span");
    let agent = spans
        .iter()
        .find(|s| s.name == "invoke_agent weather")
        .expect("agent span");
    let chats: Vec<&Span> = spans
        .iter()
        .filter(|s| s.attribute("gen_ai.operation.name") == Some(&Value::from("chat")))
        .collect();
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool get_forecast")
        .expect("tool span");
    assert!(spans.iter().all(|s| s.trace_id == run.trace_id));
    assert_eq!(agent.parent_span_id, Some(run.span_id));
    assert!(!chats.is_empty());
    for chat in &chats {
        assert_eq!(chat.parent_span_id, Some(agent.span_id));
        assert_eq!(
            chat.attribute("gen_ai.request.model"),
            Some(&Value::from("test"))
        );
        assert!(
            matches!(chat.attribute("gen_ai.usage.input_tokens"), Some(Value::Int(n)) if *n > 0)
        );
    }
    assert_eq!(
        tool.attribute("gen_ai.tool.name"),
        Some(&Value::from("get_forecast"))
    );
    assert_eq!(agent.scope.name, "pydantic-ai");
}

#[test]
fn a_runs_session_and_user_reach_its_spans_and_the_command() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let out = env
        .cmd()
        .args([
            "run",
            "--session",
            "chat-42",
            "--",
            "sh",
            "-c",
            "echo \"$BAGGAGE\"",
        ])
        .env("AUTOMAGIK_USER_ID", "u-7")
        .env("BAGGAGE", "team=search")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "team=search,session.id=chat-42,user.id=u-7"
    );
    let shown = env
        .cmd()
        .args(["traces", "show", "last", "--json"])
        .output()
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let run = &trace["spans"][0];
    assert_eq!(run["gen_ai"]["session"], "chat-42", "{run}");
    assert_eq!(run["gen_ai"]["user"], "u-7", "{run}");
}
