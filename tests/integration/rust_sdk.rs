//! The OpenTelemetry Rust SDK bridge (`otel-sdk` feature): the `tracing_agent` example, a
//! `tracing` + `tracing-opentelemetry` agent, sends its spans through the engine into the
//! local store, where `traces show last` finds them as one tree.

use std::path::PathBuf;

use crate::testenv::TestEnv;

/// The example binary cargo built beside this test binary (`target/<profile>/examples`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join(name)
}

#[test]
fn a_tracing_opentelemetry_agent_shows_up_in_traces_show_last() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let out = std::process::Command::new(example("tracing_agent"))
        .env_clear()
        .env("HOME", &env.home)
        .env("DO_NOT_TRACK", "1")
        .current_dir(&env.project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = env
        .cmd()
        .args(["traces", "show", "last", "--json"])
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let trace: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let text = trace.to_string();
    for name in [
        "invoke_agent weather",
        "chat gpt-4o-mini",
        "execute_tool get_weather",
    ] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert!(
        text.contains("weather-agent"),
        "service name missing: {text}"
    );
    let show = env.cmd().args(["traces", "show", "last"]).output().unwrap();
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("├─ chat gpt-4o-mini"),
        "not nested under the agent: {show}"
    );
}
