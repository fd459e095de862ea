//! `run --wrap` when the command sends faster than the provider takes: the receiver asks
//! the command's SDK (the real OpenTelemetry Python exporter) to retry what the engine's
//! queue has no room for, instead of taking it in and dropping its spans.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use crate::interop::python;
use crate::sink::Sink;
use crate::testenv::TestEnv;
use crate::wrap::delivered;

/// Batches the child sends, one after another, and spans in each (about 40 KB of
/// protobuf): the queue below holds three such batches, not four.
const BATCHES: usize = 6;
const PER_BATCH: usize = 15;
const QUEUE_MAX_BYTES: &str = "131072";

#[test]
fn a_child_faster_than_the_provider_is_asked_to_retry_and_nothing_is_dropped() {
    faster_than_the_provider("http");
}

#[test]
fn a_grpc_child_faster_than_the_provider_is_answered_unavailable_and_retries() {
    faster_than_the_provider("grpc");
}

/// The child sends its batches over `protocol` (`http` or `grpc`); each assertion fails
/// on a receiver that answers success and drops what does not fit.
fn faster_than_the_provider(protocol: &str) {
    // A provider that holds each request a while: what was sent stays in the queue's
    // byte budget until it answers.
    let sink = Sink::start();
    sink.delay(Duration::from_millis(200));
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_QUEUE_MAX_BYTES", QUEUE_MAX_BYTES);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/backpressure_child.py");
    let out = env
        .cmd()
        .args(["run", "--wrap", "--"])
        .arg(python())
        .arg(script)
        .args([BATCHES.to_string(), PER_BATCH.to_string(), "3".into()])
        .arg(protocol)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Tracing never changes the command's outcome.
    assert_eq!(out.status.code(), Some(3), "{stderr}");

    // The SDK was answered 503 or UNAVAILABLE (retryable) at least once, and every
    // export succeeded.
    let told: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the child's JSON");
    assert!(told["retries"].as_u64().unwrap() >= 1, "no retry: {told}");
    // After the delay asked (`Retry-After: 1`, gRPC's RetryInfo), not its own backoff.
    let delays = told["delays"].as_array().unwrap();
    assert!(delays.iter().all(|d| d.as_f64() == Some(1.0)), "{told}");
    let results = told["results"].as_array().unwrap();
    assert_eq!(results.len(), BATCHES, "{told}");
    assert!(results.iter().all(|r| r == "SUCCESS"), "{told}");

    // Every span reached the provider; none was dropped for a full queue.
    let names: HashSet<String> = delivered(&sink)
        .into_iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with("work "))
        .collect();
    assert_eq!(names.len(), BATCHES * PER_BATCH, "{stderr}");
    let run = &env.status_json(&[])["last_run"];
    assert_eq!(run["dropped_queue_full"], 0, "{run}");
    assert!(
        run["refused_requests"]["queue_full"].as_u64() >= Some(1),
        "{run}"
    );
    // The user is told the requests were asked again, not lost.
    assert!(
        stderr.contains("asked the command to send") && stderr.contains("none is lost"),
        "{stderr}"
    );
}
