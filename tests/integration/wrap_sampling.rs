//! `run`'s whole-trace sampling with a real Python OpenTelemetry child
//! (`tests/python/sampling_child.py`): below a rate of 1, a trace with a failed or slow
//! span reaches the local store whole, every parent present; the others are left out; the
//! child's exit code is kept.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value as Json;

use crate::interop::python;
use crate::testenv::TestEnv;
use crate::traces::stdout_of;

/// Runs the sampling child wrapped, at `rate`, in `mode` (`error` or `slow`), exiting `code`.
fn wrapped_child(env: &TestEnv, rate: &str, mode: &str, code: u8) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/sampling_child.py");
    env.cmd()
        .env("AUTOMAGIK_SAMPLE_RATE", rate)
        .args(["run", "-v", "--"])
        .arg(python())
        .arg(script)
        .args([mode, &code.to_string()])
        .output()
        .unwrap()
}

/// `traces show last --json`, parsed.
fn last_trace(env: &TestEnv) -> Json {
    serde_json::from_str(&stdout_of(env, &["traces", "show", "last", "--json"])).unwrap()
}

/// The names of the trace's spans, the run span (named after the script) as `RUN`;
/// checks on the way that every span's parent is there.
fn names_with_parents_present(trace: &Json) -> BTreeSet<String> {
    assert_eq!(trace["orphans"], 0, "{trace:#}");
    let spans = trace["spans"].as_array().unwrap();
    let ids: BTreeSet<&str> = spans
        .iter()
        .map(|s| s["span_id"].as_str().unwrap())
        .collect();
    spans
        .iter()
        .map(|s| {
            if let Some(parent) = s["parent_span_id"].as_str().filter(|p| !p.is_empty()) {
                assert!(ids.contains(parent), "{} misses its parent", s["name"]);
            }
            match s["name"].as_str().unwrap() {
                "sampling_child.py" => "RUN".to_string(),
                name => name.to_string(),
            }
        })
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn at_rate_zero_a_failing_trace_arrives_whole_and_the_quiet_one_not_at_all() {
    let env = TestEnv::new();
    let out = wrapped_child(&env, "0", "error", 3);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = last_trace(&env);
    assert_eq!(
        names_with_parents_present(&trace),
        set(&["RUN", "busy agent", "think", "plan step", "call tool"]),
        "{trace:#}"
    );
    // Every span accounted for: five kept and delivered, the quiet trace's two left out.
    let run = &env.status_json(&[])["last_run"];
    assert_eq!(run["queued"], 5, "{run:#}");
    assert_eq!(run["sampled_out"], 2, "{run:#}");
    assert_eq!(run["exporters"][0]["exported"], 5, "{run:#}");
}

#[test]
fn at_rate_zero_a_slow_trace_arrives_whole_and_at_rate_one_everything_does() {
    let env = TestEnv::new();
    let out = wrapped_child(&env, "0", "slow", 0);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        names_with_parents_present(&last_trace(&env)),
        set(&["RUN", "busy agent", "think", "plan step", "slow tool"])
    );

    let env = TestEnv::new();
    assert!(wrapped_child(&env, "1", "slow", 0).status.success());
    assert_eq!(
        names_with_parents_present(&last_trace(&env)),
        set(&[
            "RUN",
            "busy agent",
            "think",
            "plan step",
            "slow tool",
            "quiet agent",
            "quiet step"
        ])
    );
    assert_eq!(env.status_json(&[])["last_run"]["sampled_out"], 0);
}

#[test]
fn past_the_queues_bounds_spans_are_decided_without_their_trace_counted_and_shown() {
    // Two spans held at most: the quiet trace's two are; three of the busy trace's arrive
    // to a full hold and are decided at once, by the head rule.
    let env = TestEnv::new().var("AUTOMAGIK_QUEUE_MAX_SPANS", "2");
    let out = wrapped_child(&env, "0", "error", 3);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("5 spans left out by sampling (AUTOMAGIK_SAMPLE_RATE), 3 of them without waiting for the rest of their trace"),
        "{stderr}"
    );
    let run = &env.status_json(&[])["last_run"];
    assert_eq!(run["sampled_without_holding"], 3, "{run:#}");
    assert_eq!(run["sampled_out"], 5, "{run:#}");
    let status = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("3 of them without waiting for the rest of their trace"),
        "{text}"
    );
}
