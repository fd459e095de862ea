//! Log records and metrics of a wrapped child, sent by the Python SDK's own log and
//! metric exporters (OTLP/HTTP, and gRPC): delivered to each provider that takes them and
//! to no other, masked as spans are (a log body is content), kept in the local store
//! under their span, spooled and flushed to `/v1/logs` when the provider is down; and
//! `status` says which signals each provider receives.

use std::path::Path;

use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value as V};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{NumberDataPoint, metric::Data};
use serde_json::Value as Json;

use crate::interop::python;
use crate::sink::{Recorded, Sink};
use crate::testenv::TestEnv;
use crate::traces::stdout_of;
use crate::wrap::{Sleeper, delivered, post};

/// The body of the child's log record, as it sends it.
const BODY: &str = "prompt sent: write to bob@example.com";

/// Runs `tests/python/signals_child.py` (with `args`) under the wrapper; returns the
/// span id it printed (the span its log record belongs to).
fn run_child(env: &TestEnv, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/signals_child.py");
    let out = env
        .cmd()
        .args(["run", "--"])
        .arg(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, span_id) = stdout.trim().split_once(' ').expect("trace and span id");
    span_id.to_string()
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(V::StringValue(s)) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

fn attribute(attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue], key: &str) -> String {
    let found = attributes.iter().find(|a| a.key == key);
    text(
        &found
            .unwrap_or_else(|| panic!("no {key} in {attributes:?}"))
            .value,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every log record the sink accepted at `/v1/logs`.
fn log_records(sink: &Sink) -> Vec<LogRecord> {
    accepted(sink, "/v1/logs")
        .iter()
        .flat_map(|r| r.decode_logs().resource_logs)
        .flat_map(|r| r.scope_logs)
        .flat_map(|s| s.log_records)
        .collect()
}

fn accepted(sink: &Sink, path: &str) -> Vec<Recorded> {
    sink.requests_to(path)
        .into_iter()
        .filter(|r| r.status < 300)
        .collect()
}

/// The data points of the child's counter the sink accepted at `/v1/metrics`.
fn counter_points(sink: &Sink) -> Vec<NumberDataPoint> {
    accepted(sink, "/v1/metrics")
        .iter()
        .flat_map(|r| r.decode_metrics().resource_metrics)
        .flat_map(|r| r.scope_metrics)
        .flat_map(|s| s.metrics)
        .filter(|m| m.name == "prompts.sent")
        .flat_map(|m| match m.data {
            Some(Data::Sum(sum)) => sum.data_points,
            other => panic!("a counter is a sum: {other:?}"),
        })
        .collect()
}

#[test]
fn a_generic_otlp_provider_receives_logs_and_metrics_masked_as_content() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_MASK", "content");
    let span_id = run_child(&env, &[]);
    let records = log_records(&sink);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(text(&record.body), format!("[MASKED len={}]", BODY.len()));
    assert_eq!(
        attribute(&record.attributes, "gen_ai.prompt"),
        "[MASKED len=21]"
    );
    assert_eq!(
        attribute(&record.attributes, "gen_ai.request.model"),
        "gpt-4o-mini",
        "structure is kept"
    );
    assert_eq!(hex(&record.span_id), span_id, "still names its span");
    let points = counter_points(&sink);
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(
        attribute(&points[0].attributes, "prompt.text"),
        "[MASKED len=12]"
    );
    assert_eq!(
        attribute(&points[0].attributes, "gen_ai.request.model"),
        "gpt-4o-mini"
    );
    assert!(
        delivered(&sink)
            .iter()
            .any(|s| s.name == "chat gpt-4o-mini"),
        "the span too"
    );
}

#[test]
fn a_provider_that_takes_only_traces_gets_the_span_and_no_logs() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
        .var("LANGFUSE_SECRET_KEY", "sk-lf-test")
        .var("LANGFUSE_HOST", &sink.url());
    let data_dir = env.home.join("data");
    let env = env.var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string());
    run_child(&env, &[]);
    let paths: Vec<String> = sink.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().all(|p| p == "/api/public/otel/v1/traces"),
        "{paths:?}"
    );
    assert!(
        delivered(&sink)
            .iter()
            .any(|s| s.name == "chat gpt-4o-mini")
    );
    // Not sent, and said so: counted as not accepted, not as lost.
    let run: Json =
        serde_json::from_slice(&std::fs::read(data_dir.join("metrics/last-run.json")).unwrap())
            .unwrap();
    let langfuse = &run["exporters"][0];
    assert_eq!(langfuse["name"], "langfuse");
    assert_eq!(langfuse["signals"]["logs"]["not_accepted"], 1, "{run}");
    assert_eq!(langfuse["signals"]["logs"]["dropped"], 0, "{run}");
    assert_eq!(run["healthy"], true, "{run}");
    let out = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("logs: 0 exported, 1 not sent (the provider takes none)"),
        "{text}"
    );
}

#[test]
fn the_local_store_shows_a_grpc_childs_log_under_its_span() {
    let env = TestEnv::new().var("COLUMNS", "120");
    let span_id = run_child(&env, &["grpc"]);
    let shown = stdout_of(&env, &["traces", "show", "last", "--json"]);
    let trace: Json = serde_json::from_str(&shown).unwrap();
    let spans = trace["spans"].as_array().unwrap();
    let chat = spans
        .iter()
        .find(|s| s["span_id"] == span_id.as_str())
        .unwrap_or_else(|| panic!("no span {span_id} in {trace}"));
    assert_eq!(chat["name"], "chat gpt-4o-mini");
    let logs = chat["logs"].as_array().expect("the span's logs");
    assert_eq!(logs.len(), 1, "{chat}");
    assert_eq!(logs[0]["body"], BODY);
    assert_eq!(logs[0]["severity"], "INFO");
    assert_eq!(
        logs[0]["attributes"]["gen_ai.prompt"],
        "hello bob@example.com"
    );
    assert!(
        trace.get("logs").is_none(),
        "no log outside a span: {trace}"
    );

    let text = stdout_of(&env, &["traces", "show", "last"]);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("chat gpt-4o-mini"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines[at + 1]
            .trim_start()
            .starts_with(&format!("· log INFO {BODY}")),
        "{text}"
    );
    // The logs file is no trace to `traces list`: one trace of two spans.
    let list: Json = serde_json::from_str(&stdout_of(&env, &["traces", "list", "--json"])).unwrap();
    assert_eq!(list["traces"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["traces"][0]["span_count"], 2, "{list}");
}

#[test]
fn logs_a_down_provider_could_not_take_are_spooled_and_flushed_to_v1_logs() {
    let sink = Sink::start();
    sink.respond(503, "");
    let env = TestEnv::new();
    let data_dir = env.home.join("data");
    let env = env
        .var("AUTOMAGIK_DATA_DIR", &data_dir.display().to_string())
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_FLUSH_TIMEOUT", "1");
    let span_id = run_child(&env, &[]);
    assert!(log_records(&sink).is_empty(), "refused during the run");
    sink.respond(200, "{}");
    let out = env.cmd().args(["flush", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let flushed = &report["providers"][0]["delivered_by_signal"];
    assert_eq!(flushed["logs"], 1, "{report}");
    assert_eq!(flushed["metrics"], 1, "{report}");
    let records = log_records(&sink);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(text(&records[0].body), BODY);
    assert_eq!(hex(&records[0].span_id), span_id);
    assert_eq!(counter_points(&sink).len(), 1, "metrics to /v1/metrics");
    assert!(
        delivered(&sink)
            .iter()
            .any(|s| s.name == "chat gpt-4o-mini")
    );
}

#[test]
fn status_lists_the_signals_each_provider_receives() {
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
        .var("LANGFUSE_SECRET_KEY", "sk-lf-test")
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    let status = env.status_json(&[]);
    let signals = |name: &str| -> Json {
        let providers = status["observability"]["providers"].as_array().unwrap();
        let provider = providers.iter().find(|p| p["name"] == name).unwrap();
        provider["signals"].clone()
    };
    assert_eq!(signals("langfuse"), serde_json::json!(["traces"]));
    assert_eq!(
        signals("otlp"),
        serde_json::json!(["traces", "logs", "metrics"])
    );
    assert_eq!(
        signals("local"),
        serde_json::json!(["traces", "logs", "metrics"])
    );
    let out = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("signals traces, logs, metrics"), "{text}");
    assert!(text.contains("signals traces\n"), "{text}");
    // A traces URL of its own shape says nothing of where logs go: none are sent.
    let custom = TestEnv::new()
        .var(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://127.0.0.1:4318/ingest",
        )
        .status_json(&[]);
    let providers = custom["observability"]["providers"].as_array().unwrap();
    let otlp = providers.iter().find(|p| p["name"] == "otlp").unwrap();
    assert_eq!(otlp["signals"], serde_json::json!(["traces"]));
}

#[test]
fn json_logs_are_taken_and_a_bad_or_oversized_logs_request_refused() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let wrapped = Sleeper::start(&env, &[]);
    let logs = wrapped.url("/v1/logs");
    let json = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{
        "timeUnixNano":"1700000000000000000","severityText":"WARN",
        "body":{"stringValue":"json said hi"},
        "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}]}]}]}"#;
    assert_eq!(post(&logs, "application/json", None, json.into()), 200);
    let pb = "application/x-protobuf";
    assert_eq!(post(&logs, pb, None, b"\xff\xff garbage".to_vec()), 400);
    let bomb = "{}".repeat(300_001);
    assert_eq!(post(&logs, "application/json", None, bomb.into()), 413);
    let stderr = wrapped.stop();
    let records = log_records(&sink);
    assert_eq!(records.len(), 1, "{records:?}\n{stderr}");
    assert_eq!(text(&records[0].body), "json said hi");
    assert_eq!(records[0].severity_text, "WARN");
    assert_eq!(hex(&records[0].span_id), "0102030405060708");
}
