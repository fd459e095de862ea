//! What `configure` refuses before writing: bad keys and values, no flags without a
//! terminal, a switch the environment still overrides, values the loader would refuse.

use predicates::prelude::*;

use crate::testenv::TestEnv;

#[test]
fn bad_keys_and_values_are_usage_errors() {
    let env = TestEnv::new();
    env.cmd()
        .args(["configure", "--provider", "langfuse", "--set", "token=x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`token` is not a key of langfuse"))
        .stderr(predicate::str::contains("public_key, secret_key, host"));
    env.cmd()
        .args(["configure", "--set", "AUTOMAGIK_SAMPLE_RATE=3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`AUTOMAGIK_SAMPLE_RATE` (flag --set) is `3`",
        ))
        .stderr(predicate::str::contains("1.0 (keep every trace)"));
    env.cmd()
        .args([
            "configure",
            "--provider",
            "langfuse",
            "--set",
            "host=cloud.langfuse.com",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("http://"));
    env.cmd()
        .args(["configure", "--set", "nonsense=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`nonsense` is not a setting"));
    assert!(!env.env_file().exists());
    assert!(!env.config_file().exists());
}

#[test]
fn no_flags_and_no_terminal_prints_the_flags_and_exits_2() {
    let env = TestEnv::new();
    env.cmd()
        .arg("configure")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-telemetry"))
        .stderr(predicate::str::contains("--provider"))
        .stderr(predicate::str::contains("no terminal"));
    assert!(!env.env_file().exists());
}

#[test]
fn a_switch_still_overridden_by_the_environment_fails_naming_it() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    env.cmd()
        .args(["configure", "--telemetry"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "telemetry is still off: DO_NOT_TRACK=1",
        ));
}

#[test]
fn values_the_loader_would_refuse_are_refused_before_writing() {
    let env = TestEnv::new();
    env.cmd()
        .args(["configure", "--set", "limits.queue_max_bytes=0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from 1024"));
    assert!(!env.config_file().exists());
}
