//! `test-export` against the test sink: every preset's path and headers, hints, timeouts,
//! gzip, and the local store when nothing else is configured.

use std::time::{Duration, Instant};

use base64::Engine as _;
use predicates::prelude::*;

use crate::sink::Sink;
use crate::testenv::TestEnv;

const SECRET: &str = "sk-lf-0123456789SECRET";

fn attr(span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str) -> String {
    let kv = span
        .attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no {key}"));
    format!("{:?}", kv.value.as_ref().unwrap().value.as_ref().unwrap())
}

#[test]
fn local_store_when_nothing_is_configured() {
    let env = TestEnv::new();
    env.cmd()
        .arg("test-export")
        .assert()
        .success()
        .stdout(predicate::str::contains("local"))
        .stdout(predicate::str::contains("delivered"))
        .stdout(predicate::str::contains("traces stay on this machine"));
    let dir = env.home.join(".local/share/automagik/traces");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    let request: opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest =
        serde_json::from_str(text.trim()).unwrap();
    let spans = &request.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].name, "automagik-tracing test-export");
    assert_eq!(spans[1].parent_span_id, spans[0].span_id);
}

#[test]
fn langfuse_gets_its_path_basic_auth_and_ingestion_version() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
        .var("LANGFUSE_SECRET_KEY", SECRET)
        .var("LANGFUSE_HOST", &sink.url());
    env.cmd()
        .arg("test-export")
        .assert()
        .success()
        .stdout(predicate::str::contains("delivered"))
        .stdout(predicate::str::contains(SECRET).not());
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/api/public/otel/v1/traces");
    let token = base64::engine::general_purpose::STANDARD.encode(format!("pk-lf-public:{SECRET}"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Basic {token}").as_str())
    );
    assert_eq!(r.header("x-langfuse-ingestion-version"), Some("4"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert!(!r.gzip);
    let request = r.decode();
    let spans = &request.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans[1].name, "chat test-model");
    assert_eq!(
        attr(&spans[1], "gen_ai.operation.name"),
        "StringValue(\"chat\")"
    );
    assert_eq!(
        attr(&spans[1], "gen_ai.request.model"),
        "StringValue(\"test-model\")"
    );
    assert_eq!(attr(&spans[1], "gen_ai.usage.input_tokens"), "IntValue(12)");
    assert_eq!(
        attr(&spans[1], "gen_ai.usage.output_tokens"),
        "IntValue(34)"
    );
}

#[test]
fn every_other_preset_gets_its_path_and_headers() {
    type Vars = &'static [(&'static str, &'static str)];
    // (variables, expected path, expected headers, gzip)
    let cases: [(Vars, &str, Vars, bool); 7] = [
        (
            &[("LANGWATCH_API_KEY", "lw-key")],
            "/api/otel/v1/traces",
            &[("authorization", "Bearer lw-key")],
            false,
        ),
        (
            &[
                ("LANGSMITH_API_KEY", "ls-key"),
                ("LANGSMITH_PROJECT", "proj"),
            ],
            "/otel/v1/traces",
            &[("x-api-key", "ls-key"), ("langsmith-project", "proj")],
            false,
        ),
        (
            &[("HONEYCOMB_API_KEY", "hc-key"), ("HONEYCOMB_DATASET", "ds")],
            "/v1/traces",
            &[
                ("x-honeycomb-team", "hc-key"),
                ("x-honeycomb-dataset", "ds"),
            ],
            true,
        ),
        (
            &[("LOGFIRE_TOKEN", "lf-token")],
            "/v1/traces",
            &[("authorization", "lf-token")],
            true,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b,x-team=t1"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ],
            "/v1/traces",
            &[("api-key", "a b"), ("x-team", "t1")],
            true,
        ),
        (
            &[("PHOENIX_API_KEY", "px-key")],
            "/v1/traces",
            &[("authorization", "Bearer px-key")],
            true,
        ),
        (
            &[("MLFLOW_EXPERIMENT_ID", "7")],
            "/v1/traces",
            &[("x-mlflow-experiment-id", "7")],
            false,
        ),
    ];
    let base_vars = [
        "LANGWATCH_ENDPOINT",
        "LANGSMITH_ENDPOINT",
        "HONEYCOMB_API_ENDPOINT",
        "LOGFIRE_BASE_URL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "PHOENIX_COLLECTOR_ENDPOINT",
        "MLFLOW_TRACKING_URI",
    ];
    for ((vars, path, headers, gzip), base_var) in cases.iter().zip(base_vars) {
        let sink = Sink::start();
        let mut env = TestEnv::new().var(base_var, &sink.url());
        for (k, v) in *vars {
            env = env.var(k, v);
        }
        env.cmd().arg("test-export").assert().success();
        let requests = sink.requests();
        assert_eq!(requests.len(), 1, "{base_var}");
        let r = &requests[0];
        assert_eq!(r.path, *path, "{base_var}");
        for (name, value) in *headers {
            assert_eq!(r.header(name), Some(*value), "{base_var}: {name}");
        }
        assert_eq!(r.gzip, *gzip, "{base_var}: gzip");
        assert_eq!(
            r.decode().resource_spans[0].scope_spans[0].spans.len(),
            2,
            "{base_var}"
        );
    }
}

#[test]
fn an_mlflow_tracking_uri_that_is_no_url_leaves_mlflow_off_and_nothing_broken() {
    // MLflow's own SDK takes `databricks` or `file:./mlruns` here: that is no error of
    // ours, only no OTLP destination.
    for uri in ["databricks", "file:./mlruns"] {
        let env = TestEnv::new()
            .var("MLFLOW_TRACKING_URI", uri)
            .var("MLFLOW_EXPERIMENT_ID", "1");
        let status = env.status_json(&[]);
        let text = status.to_string();
        assert!(text.contains("MLFLOW_TRACKING_URI"), "{text}");
        let providers = status["observability"]["providers"].as_array().unwrap();
        let mlflow = providers.iter().find(|p| p["name"] == "mlflow").unwrap();
        assert_eq!(mlflow["active"], false, "{mlflow}");
        env.cmd().arg("test-export").assert().success();
    }
    // Its credentials are never shown, URL or not.
    let env = TestEnv::new().var("MLFLOW_TRACKING_URI", "databricks://bob:sekrit-tok@ws");
    let out = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MLFLOW_TRACKING_URI"), "{text}");
    assert!(!text.contains("sekrit-tok"), "{text}");
}

#[test]
fn unauthorized_is_not_retried_and_names_the_keys() {
    let sink = Sink::start();
    sink.respond(401, "{\"message\":\"Invalid credentials\"}");
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
        .var("LANGFUSE_SECRET_KEY", SECRET)
        .var("LANGFUSE_HOST", &sink.url());
    env.cmd()
        .arg("test-export")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("401"))
        .stdout(predicate::str::contains(
            "check LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY",
        ))
        .stdout(predicate::str::contains("Invalid credentials"))
        .stdout(predicate::str::contains(SECRET).not());
    assert_eq!(sink.requests().len(), 1);
}

/// `test-export --json` against a sink answering `status` with `body`: the result row.
fn refused_with(status: u16, body: &'static str) -> serde_json::Value {
    let sink = Sink::start();
    sink.respond(status, body);
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let out = env.cmd().args(["test-export", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["results"][0].clone()
}

#[test]
fn a_refusal_names_the_providers_reason_masked() {
    let row = refused_with(
        422,
        r#"{"error":"span attribute too long for project of alice@example.com"}"#,
    );
    let hint = row["hint"].as_str().unwrap();
    assert!(hint.contains("span attribute too long"), "{hint}");
    assert!(!hint.contains("alice@example.com"), "{hint}");
    assert!(
        !hint.contains("check OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{hint}"
    );
}

#[test]
fn mlflow_without_its_experiment_header_is_told_which_header() {
    let row = refused_with(
        422,
        r#"{"detail":[{"type":"missing","loc":["header","x-mlflow-experiment-id"],"msg":"Field required"}]}"#,
    );
    let hint = row["hint"].as_str().unwrap();
    assert!(
        hint.contains("x-mlflow-experiment-id=ID") && hint.contains("OTEL_EXPORTER_OTLP_HEADERS"),
        "{hint}"
    );
}

#[test]
fn not_found_points_at_the_host_variable() {
    let sink = Sink::start();
    sink.respond(404, "");
    let env = TestEnv::new()
        .var("LANGWATCH_API_KEY", "lw")
        .var("LANGWATCH_ENDPOINT", &sink.url());
    let out = env.cmd().args(["test-export", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &json["results"][0];
    assert_eq!(row["ok"], false);
    assert_eq!(row["status"], 404);
    assert!(row["hint"].as_str().unwrap().contains("LANGWATCH_ENDPOINT"));
}

#[test]
fn a_hanging_sink_is_bounded_by_the_timeout() {
    let sink = Sink::start();
    sink.delay(Duration::from_secs(120));
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let start = Instant::now();
    env.cmd()
        .args(["test-export", "--timeout", "1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("timed out"));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_refused_connection_points_at_the_endpoint() {
    let port = crate::testenv::free_port();
    let env = TestEnv::new().var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://127.0.0.1:{port}"),
    );
    env.cmd()
        .arg("test-export")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "nothing listens at that address: check OTEL_EXPORTER_OTLP_ENDPOINT",
        ));
}

#[test]
fn a_named_provider_without_keys_is_refused() {
    let env = TestEnv::new();
    env.cmd()
        .args(["test-export", "--provider", "honeycomb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("HONEYCOMB_API_KEY"));
}

#[test]
fn https_with_a_private_ca_needs_otel_exporter_otlp_certificate() {
    let (sink, ca_pem) = Sink::start_tls();
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.https_url())
        .var("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
    env.cmd()
        .args(["test-export", "--timeout", "5"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not trusted"))
        .stdout(predicate::str::contains("OTEL_EXPORTER_OTLP_CERTIFICATE"));
    assert!(sink.requests().is_empty());

    let ca_file = env.project.join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    env.cmd()
        .args(["test-export", "--timeout", "5"])
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca_file)
        .assert()
        .success()
        .stdout(predicate::str::contains("delivered"));
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].gzip, "gzip bodies decoded by the sink");
    assert_eq!(
        requests[0].decode().resource_spans[0].scope_spans[0]
            .spans
            .len(),
        2
    );
}

#[test]
fn status_shows_the_last_runs_figures_and_verdict() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("LANGWATCH_API_KEY", "lw")
        .var("LANGWATCH_ENDPOINT", &sink.url());
    assert!(env.status_json(&[])["last_run"].is_null());
    env.cmd().arg("test-export").assert().success();
    let run = &env.status_json(&[])["last_run"];
    assert_eq!(run["queued"], 2);
    assert_eq!(run["healthy"], true);
    assert_eq!(run["exporters"][0]["name"], "langwatch");
    assert_eq!(run["exporters"][0]["exported"], 2);
    sink.respond(401, "");
    env.cmd().arg("test-export").assert().code(1);
    let run = &env.status_json(&[])["last_run"];
    assert_eq!(run["healthy"], false);
    assert_eq!(run["exporters"][0]["dropped"]["rejected"], 2);
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("Last run       unhealthy"));
}
