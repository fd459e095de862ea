//! Which trace `traces show` finds: `last` after a wrapped run (or where that run went when
//! the store kept no copy), and id prefixes, ambiguous, unknown or not hex.

use std::fs;

use super::{Builder, env, line, stdout_of};
use crate::testenv::TestEnv;
use crate::wrap::run_python_example;

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
