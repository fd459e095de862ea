//! What `run` does around the command costs no more than it must: the settings are read
//! once, and what happens after the command exits waits on nothing it does not need.
//! (Its speed is measured by `scripts/bench-wrap`, never asserted here.)

use crate::testenv::TestEnv;

#[test]
fn a_run_reads_its_settings_once() {
    // Usage telemetry records with the settings the run loaded: the exit code does not
    // wait on reading and resolving every file again.
    let env = TestEnv::new();
    env.write_env_file("AUTOMAGIK_SAMPLE_RATE=1\n");
    let out = env
        .cmd()
        .args(["run", "-v", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let read = format!("read {}", env.env_file().display());
    assert_eq!(stderr.matches(&read).count(), 1, "{stderr}");
    let outbox = env
        .home
        .join(".local/share/automagik/telemetry/events.jsonl");
    assert!(outbox.exists(), "usage telemetry was recorded");
}
