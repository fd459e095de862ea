//! `run --wrap` under faults: settings that cannot be used fail closed, a broken stderr or
//! any value of any setting never changes the exit code, the receiver under hostile input,
//! nested wraps, and a wrapper killed with SIGKILL.

use std::collections::HashSet;
use std::io::Write as _;
use std::process::{Output, Stdio};

use automagik_tracing::span::Span;
use proptest::prelude::*;

use crate::interop::python;
use crate::sink::Sink;
use crate::testenv::{BIN, TestEnv, wait_for};
use crate::wrap::{Sleeper, a_small_request, delivered, post};

/// Runs `examples/python/agent_otel.py` under `run --wrap`, after `inner` (a second
/// wrapper, say), in `env`, and returns what happened.
fn wrapped_otel_agent(env: &TestEnv, inner: &[&str]) -> Output {
    let agent =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/agent_otel.py");
    env.cmd()
        .args(["run", "--wrap", "--"])
        .args(inner)
        .arg(python())
        .arg(agent)
        .output()
        .unwrap()
}

#[test]
fn settings_that_cannot_be_used_send_nothing_past_masking() {
    type Setup = fn(TestEnv) -> TestEnv;
    // Each case, and what the warning names so the user knows what to fix.
    let cases: [(&str, Setup, &str); 3] = [
        (
            "a mask typo",
            |env| env.var("AUTOMAGIK_MASK", "contents"),
            "AUTOMAGIK_MASK",
        ),
        (
            "content with another bad setting",
            |env| {
                env.var("AUTOMAGIK_MASK", "content")
                    .var("AUTOMAGIK_SAMPLE_RATE", "2")
            },
            "AUTOMAGIK_SAMPLE_RATE",
        ),
        (
            "a .env that cannot be parsed",
            |env| {
                env.write_env_file("AUTOMAGIK_MASK=content\nthis line is not KEY=VALUE '\n");
                env
            },
            ".env",
        ),
    ];
    for (case, setup, named) in cases {
        let sink = Sink::start();
        let env = setup(TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url()));
        let out = wrapped_otel_agent(&env, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{case}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "It will be sunny.\n");
        assert_eq!(
            sink.requests().len(),
            0,
            "{case}: the provider got requests"
        );
        assert!(
            stderr.contains("spans the command sent were discarded"),
            "{case}: {stderr}"
        );
        assert!(stderr.contains(named), "{case}: {stderr}");
    }
}

/// A wrapped `sh -c 'exit 3'` with `-v`, its stderr given by `stderr`; returns its exit
/// code and the spans the provider got.
fn exit_3_with_stderr(stderr: Stdio, close_it: bool) -> (Option<i32>, Vec<Span>) {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let mut child = env
        .std_cmd()
        .args(["run", "-v", "--wrap", "--", "sh", "-c", "exit 3"])
        .stderr(stderr)
        .spawn()
        .unwrap();
    if close_it {
        drop(child.stderr.take());
    }
    let code = child.wait().unwrap().code();
    (code, delivered(&sink))
}

#[test]
fn a_closed_or_full_stderr_keeps_the_exit_code_and_the_run_span() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for (what, stderr, close_it) in [
        ("/dev/full", Stdio::from(full), false),
        ("a closed pipe", Stdio::piped(), true),
    ] {
        let (code, spans) = exit_3_with_stderr(stderr, close_it);
        assert_eq!(code, Some(3), "stderr to {what}");
        assert_eq!(spans.len(), 1, "the run span, stderr to {what}");
    }
}

#[test]
fn a_panic_before_the_spawn_still_runs_the_command_and_sends_nothing() {
    let sink = Sink::start();
    // Accepted by the loader today, and more than tokio's semaphore holds.
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_QUEUE_MAX_SPANS", "9223372036854775807");
    let out = env
        .cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sink.requests().len(), 0);
}

/// Every setting the tool reads, with values that are wrong, extreme or odd.
fn any_settings() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let vars: Vec<&'static str> = automagik_tracing::config::keys::SETTINGS
        .iter()
        .map(|k| k.var)
        // Telemetry goes nowhere in tests, whatever the other settings say.
        .filter(|v| *v != "AUTOMAGIK_TELEMETRY_ENDPOINT")
        .collect();
    let value = prop_oneof![
        "\\PC{0,12}",
        Just("9223372036854775807".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("NaN".to_string()),
        Just("1e308".to_string()),
        Just("content".to_string()),
        Just("true".to_string()),
    ];
    proptest::collection::vec((proptest::sample::select(vars), value), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_value_of_any_setting_keeps_the_exit_code(settings in any_settings()) {
        let mut env = TestEnv::new();
        for (var, value) in &settings {
            // Directories go inside the test's temp dir, whatever the value.
            let value = if var.ends_with("_DIR") { format!("dir-{}", value.replace('/', "_")) } else { value.clone() };
            env = env.var(var, &value);
        }
        let out = env
            .cmd()
            .args(["run", "--wrap", "--flush-timeout", "1", "--", "sh", "-c", "exit 7"])
            .output()
            .unwrap();
        prop_assert_eq!(out.status.code(), Some(7), "{:?}: {}", settings, String::from_utf8_lossy(&out.stderr));
    }
}

/// A protobuf request of `n` empty spans: two bytes each on the wire.
fn empty_spans(n: usize) -> Vec<u8> {
    let mut scope = Vec::with_capacity(2 * n);
    for _ in 0..n {
        scope.extend_from_slice(&[0x12, 0x00]);
    }
    let mut resource = vec![0x12];
    prost::encoding::encode_varint(scope.len() as u64, &mut resource);
    resource.extend_from_slice(&scope);
    let mut body = vec![0x0a];
    prost::encoding::encode_varint(resource.len() as u64, &mut body);
    body.extend_from_slice(&resource);
    body
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(body).unwrap();
    gz.finish().unwrap()
}

#[test]
fn the_receiver_refuses_span_bombs_in_bounded_memory_and_keeps_serving() {
    let env = TestEnv::new();
    let wrapped = Sleeper::start(&env, &[]);
    let traces = wrapped.traces();
    let pb = "application/x-protobuf";
    // 8.3 million empty spans: 16 MiB decompressed, a few KiB on the wire.
    let bomb = gzip(&empty_spans(8_300_000));
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let plain = empty_spans(2 << 20);
    let json = format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}{{}}]}}]}}]}}",
        "{},".repeat(1 << 20)
    );
    std::thread::scope(|s| {
        let attacks = [
            s.spawn(|| post(&traces, pb, Some("gzip"), bomb.clone())),
            s.spawn(|| post(&traces, pb, None, plain.clone())),
            s.spawn(|| post(&traces, "application/json", None, json.clone().into_bytes())),
        ];
        let good = prost::Message::encode_to_vec(&a_small_request());
        assert_eq!(
            post(&traces, pb, None, good),
            200,
            "a valid request meanwhile"
        );
        for attack in attacks {
            assert_eq!(attack.join().unwrap(), 413);
        }
    });
    let peak = wrapped.peak_rss_mib();
    println!("wrapper peak RSS under the span bombs: {peak:.1} MiB");
    assert!(peak < 100.0, "peak RSS {peak:.1} MiB");
}

#[test]
fn refused_requests_are_counted_and_reported() {
    let env = TestEnv::new();
    let wrapped = Sleeper::start(&env, &["-v"]);
    let traces = wrapped.traces();
    let pb = "application/x-protobuf";
    assert_eq!(post(&traces, pb, None, empty_spans(20_000)), 413);
    assert_eq!(post(&traces, pb, None, vec![0u8; 17 << 20]), 413);
    assert_eq!(post(&traces, "text/plain", None, b"hi".to_vec()), 415);
    let stderr = wrapped.stop();
    assert!(
        stderr.contains(
            "the command sent 3 requests the receiver refused: 2 too large, 1 neither protobuf nor JSON"
        ),
        "{stderr}"
    );
    let status = env.status_json(&[]);
    let refused = &status["last_run"]["refused_requests"];
    assert_eq!(refused["too_large"], 2, "{status}");
    assert_eq!(refused["wrong_content_type"], 1, "{status}");
    assert_eq!(status["last_run"]["healthy"], false);
    let text = env.cmd().arg("status").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("the receiver refused"));
}

#[test]
fn every_gzip_member_is_decoded() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let wrapped = Sleeper::start(&env, &[]);
    let one = prost::Message::encode_to_vec(&a_small_request());
    let two = prost::Message::encode_to_vec(&a_small_request());
    let mut members = gzip(&one);
    members.extend(gzip(&two));
    assert_eq!(
        post(
            &wrapped.traces(),
            "application/x-protobuf",
            Some("gzip"),
            members
        ),
        200
    );
    wrapped.stop();
    let posted = delivered(&sink)
        .into_iter()
        .filter(|s| s.name == "posted")
        .count();
    assert_eq!(posted, 2, "a span from each gzip member");
}

#[test]
fn nested_wraps_send_each_span_once() {
    let langfuse = Sink::start();
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
        .var("LANGFUSE_SECRET_KEY", "sk-lf-secret")
        .var("LANGFUSE_HOST", &langfuse.url());
    let out = wrapped_otel_agent(&env, &[BIN, "run", "--wrap", "--"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans = delivered(&langfuse);
    let ids: HashSet<_> = spans.iter().map(|s| s.span_id).collect();
    assert_eq!(ids.len(), spans.len(), "a span arrived twice");
    // Two run spans and the agent's three.
    assert_eq!(
        spans.len(),
        5,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let trace_ids: HashSet<_> = spans.iter().map(|s| s.trace_id).collect();
    assert_eq!(trace_ids.len(), 1, "one trace");
}

#[test]
fn spans_spooled_after_a_refusal_say_why() {
    let sink = Sink::start();
    sink.respond(422, r#"{"error":"unknown project"}"#);
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    let out = env
        .cmd()
        .args(["run", "--wrap", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kept in the spool"), "{stderr}");
    assert!(
        stderr.contains("HTTP 422: {\"error\":\"unknown project\"}"),
        "{stderr}"
    );
}

/// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
fn ended(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).map_or(true, |s| {
        s.lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'))
    })
}

#[test]
fn a_wrapper_killed_with_sigkill_takes_its_command_with_it() {
    let env = TestEnv::new();
    let pid_file = env.project.join("child.pid");
    let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let mut wrapper = env
        .std_cmd()
        .args(["run", "--wrap", "--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    wait_for("the child's pid", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n'))
    });
    let child: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wrapper.kill().unwrap();
    wrapper.wait().unwrap();
    wait_for("the command to end with its wrapper", || ended(child));
}
