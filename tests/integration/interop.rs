//! Interop with peers nobody here wrote: the official Python `opentelemetry-proto`
//! decodes our bytes, the Python OpenTelemetry SDK's exporter sends to our decoder, and
//! `rotel` (a Rust OTLP collector from PyPI) forwards what our exporter sends.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use automagik_tracing::span::{
    self, Attribute, Event, Resource, Scope, Span, SpanKind, Status, StatusCode, Value,
};
use prost::Message;
use serde_json::{Value as Json, json};

use crate::sink::Sink;
use crate::testenv::{TestEnv, free_port};

/// The venv python with the pinned peers, installed on first use by `scripts/python-peers`.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| install_peers("python-peers", &[]))
}

/// The venv python with OpenLLMetry (`scripts/python-peers traceloop`, a venv of its own).
pub fn traceloop_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| install_peers("python-peers", &["traceloop"]))
}

/// Runs `scripts/SCRIPT ARGS` (an installer of pinned peers under `target/`, a no-op once
/// done) and returns the path it prints.
pub fn install_peers(script: &str, args: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("scripts/{script} cannot run: {e}"));
    assert!(
        out.status.success(),
        "installing the peers (scripts/{script}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// A Python command with a clean environment.
fn py(args: &[&str]) -> Command {
    let mut cmd = Command::new(python());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args);
    cmd
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Str(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Double(d) => json!(d),
        Value::Bytes(b) => json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        Value::Array(items) => Json::Array(items.iter().map(value_json).collect()),
        Value::Map(entries) => attrs_json(entries),
    }
}

fn attrs_json(attrs: &[Attribute]) -> Json {
    Json::Object(
        attrs
            .iter()
            .map(|a| (a.key.to_string(), value_json(&a.value)))
            .collect(),
    )
}

fn rich_trace() -> Vec<Span> {
    let resource = Arc::new(Resource {
        attributes: vec![
            Attribute::new("service.name", "agent"),
            Attribute::new("deployment.environment", "test"),
        ],
        schema_url: String::new(),
    });
    let scope = Arc::new(Scope {
        name: "automagik-tracing".into(),
        version: "0.1.0".into(),
        ..Default::default()
    });
    let mut root = Span::start("invoke_agent helper", None, resource.clone(), scope.clone());
    root.set("gen_ai.operation.name", "invoke_agent")
        .set("gen_ai.agent.name", "helper");
    let mut chat = Span::start(
        "chat gpt-4o",
        Some((root.trace_id, root.span_id)),
        resource.clone(),
        scope.clone(),
    );
    chat.kind = SpanKind::Client;
    chat.set("gen_ai.request.model", "gpt-4o")
        .set("gen_ai.usage.input_tokens", 12i64)
        .set("gen_ai.usage.output_tokens", -3i64)
        .set("gen_ai.request.temperature", 0.25)
        .set("stream", true)
        .set("tags", Value::Array(vec!["a".into(), Value::Int(2)]))
        .set("raw", Value::Bytes(vec![0, 255, 16]))
        .set("meta", Value::Map(vec![Attribute::new("k", "v")]))
        .set("unicode", "héllo 😀 \u{0}");
    chat.events.push(Event {
        name: "exception".into(),
        time_unix_nanos: chat.start_unix_nanos + 1,
        attributes: vec![Attribute::new("exception.type", "ValueError")],
    });
    chat.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    chat.end();
    let other = Arc::new(Scope {
        name: "tools".into(),
        ..Default::default()
    });
    let mut tool = Span::start(
        "execute_tool search",
        Some((root.trace_id, chat.span_id)),
        resource,
        other,
    );
    tool.set("gen_ai.tool.name", "search");
    tool.end();
    root.end();
    vec![root, chat, tool]
}

fn decode_in_python(bytes: &[u8]) -> Json {
    let mut child = py(&[script("decode_otlp.py").to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Compares our spans with what the Python decoder read, field by field.
fn assert_same(ours: &[Span], theirs: &Json) {
    let theirs = theirs["spans"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(b["trace_id"], a.trace_id.to_hex());
        assert_eq!(b["span_id"], a.span_id.to_hex());
        assert_eq!(
            b["parent_span_id"],
            a.parent_span_id.map(|p| p.to_hex()).unwrap_or_default()
        );
        assert_eq!(b["name"], a.name.as_str());
        assert_eq!(b["start"], a.start_unix_nanos);
        assert_eq!(b["end"], a.end_unix_nanos);
        assert_eq!(b["attributes"], attrs_json(&a.attributes), "{}", a.name);
        assert_eq!(b["resource"], attrs_json(&a.resource.attributes));
        assert_eq!(b["scope"], a.scope.name.as_str());
        assert_eq!(b["status_message"], a.status.message.as_str());
        let events: Vec<Json> = a
            .events
            .iter()
            .map(|e| json!({"name": e.name, "attributes": attrs_json(&e.attributes)}))
            .collect();
        assert_eq!(b["events"], Json::Array(events));
    }
}

#[test]
fn official_python_decoder_reads_our_protobuf_field_by_field() {
    let spans = rich_trace();
    let bytes = span::to_request(&spans).encode_to_vec();
    let theirs = decode_in_python(&bytes);
    assert_same(&spans, &theirs);
    let chat = &theirs["spans"][1];
    assert_eq!(chat["kind"], 3, "SPAN_KIND_CLIENT");
    assert_eq!(chat["status_code"], 2, "STATUS_CODE_ERROR");
}

#[test]
fn official_python_decoder_reads_what_test_export_sends() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    env.cmd().arg("test-export").assert().success();
    let body = &sink.requests()[0].body;
    let theirs = decode_in_python(body);
    let (ours, invalid) = span::from_request(&sink.requests()[0].decode());
    assert_eq!(invalid, 0);
    assert_same(&ours, &theirs);
    assert_eq!(
        theirs["spans"][1]["attributes"]["gen_ai.usage.output_tokens"],
        34
    );
}

#[test]
fn python_sdk_exporter_spans_read_back_through_our_conversion() {
    let sink = Sink::start();
    let out = py(&[
        script("sdk_send.py").to_str().unwrap(),
        &format!("{}/v1/traces", sink.url()),
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: Json = serde_json::from_slice(&out.stdout).unwrap();
    // The Python exporter exits 0 even when nothing arrived: assert on the receiving side.
    let mut received = Vec::new();
    for request in sink.requests() {
        assert_eq!(request.path, "/v1/traces");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        let (spans, invalid) = span::from_request(&request.decode());
        assert_eq!(invalid, 0);
        received.extend(spans);
    }
    let sent = sent.as_array().unwrap();
    assert_eq!(received.len(), sent.len());
    for s in sent {
        let ours = received
            .iter()
            .find(|r| r.span_id.to_hex() == s["span_id"])
            .expect("span arrived");
        assert_eq!(ours.trace_id.to_hex(), s["trace_id"]);
        assert_eq!(
            ours.parent_span_id.map(|p| p.to_hex()).unwrap_or_default(),
            s["parent_span_id"]
        );
        assert_eq!(ours.name, s["name"]);
        assert_eq!(ours.scope.name, "interop-test");
        assert_eq!(ours.scope.version, "1.2.3");
        assert_eq!(
            ours.resource
                .attributes
                .iter()
                .find(|a| a.key == "service.name")
                .unwrap()
                .value,
            Value::from("python-agent")
        );
    }
    let chat = received.iter().find(|s| s.name == "chat gpt-4o").unwrap();
    assert_eq!(chat.kind, SpanKind::Client);
    assert_eq!(
        chat.attribute("gen_ai.usage.input_tokens"),
        Some(&Value::Int(12))
    );
    assert_eq!(
        chat.attribute("gen_ai.request.temperature"),
        Some(&Value::Double(0.5))
    );
    assert_eq!(chat.attribute("stream"), Some(&Value::Bool(false)));
    assert_eq!(
        chat.attribute("tags"),
        Some(&Value::Array(vec!["a".into(), "b".into()]))
    );
    assert_eq!(
        chat.status,
        Status {
            code: StatusCode::Error,
            message: "boom".into()
        }
    );
    assert_eq!(chat.events[0].name, "exception");
}

/// Ends the collector when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn rotel_collector_forwards_everything_our_otlp_exporter_sends() {
    let sink = Sink::start();
    let out = py(&[
        "-c",
        "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
    ])
    .output()
    .unwrap();
    let agent = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (http_port, grpc_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let _rotel = KillOnDrop(
        Command::new(&agent)
            .env_clear()
            .args([
                "start",
                "--otlp-http-endpoint",
                &format!("127.0.0.1:{http_port}"),
            ])
            .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{grpc_port}")])
            .args(["--exporter", "otlp", "--otlp-exporter-protocol", "http"])
            .args(["--otlp-exporter-endpoint", &sink.url()])
            .args(["--batch-timeout", "100ms", "--pid-file"])
            .arg(dir.path().join("rotel.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rotel-agent starts"),
    );
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://127.0.0.1:{http_port}"),
    );
    // The collector takes a moment to listen: retry test-export until it is accepted.
    let start = Instant::now();
    let report = loop {
        let out = env
            .cmd()
            .args(["test-export", "--json", "--timeout", "2"])
            .output()
            .unwrap();
        if out.status.success() {
            break serde_json::from_slice::<Json>(&out.stdout).unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rotel never accepted: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let trace_id = report["trace_id"].as_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        let spans: Vec<Span> = sink
            .requests()
            .iter()
            .flat_map(|r| span::from_request(&r.decode()).0)
            .collect();
        let ours: Vec<&Span> = spans
            .iter()
            .filter(|s| s.trace_id.to_hex() == trace_id)
            .collect();
        if ours.len() == 2 {
            assert!(
                ours.iter()
                    .any(|s| s.name == "automagik-tracing test-export")
            );
            let chat = ours.iter().find(|s| s.name == "chat test-model").unwrap();
            assert_eq!(
                chat.attribute("gen_ai.usage.output_tokens"),
                Some(&Value::Int(34))
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rotel forwarded {} of 2 spans",
            ours.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
