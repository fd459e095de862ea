//! Secrets never shown: the dry run's diff masked, whatever the quoting, and credentials
//! never echoed.

use std::fs;

use predicates::prelude::*;

use super::ENV_FILE;
use crate::testenv::TestEnv;

#[test]
fn dry_run_prints_a_masked_diff_and_writes_nothing() {
    let env = TestEnv::new();
    env.write_env_file(ENV_FILE);
    env.cmd()
        .args([
            "configure",
            "--dry-run",
            "--provider",
            "langwatch",
            "--set",
            "api_key=lw-0123456789abcdefXYZ",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("+LANGWATCH_API_KEY=lw-0…fXYZ"))
        .stdout(predicate::str::contains("lw-0123456789abcdefXYZ").not());
    assert_eq!(fs::read_to_string(env.env_file()).unwrap(), ENV_FILE);
}

#[test]
fn secrets_in_awkward_quoting_stay_masked_in_dry_run() {
    let env = TestEnv::new();
    for scope in ["project", "user"] {
        env.cmd()
            .args([
                "configure",
                "--dry-run",
                "--scope",
                scope,
                "--provider",
                "langfuse",
                "--set",
            ])
            .arg("secret_key=sk-lf-new\\sec\"ret9999")
            .assert()
            .success()
            .stdout(predicate::str::contains("ret9999").not());
    }
    env.cmd()
        .args([
            "configure",
            "--dry-run",
            "--provider",
            "langfuse",
            "--set",
            "secret_key=abc",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("+LANGFUSE_SECRET_KEY=****"));
}

#[test]
fn credentials_are_never_echoed() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "configure",
            "--provider",
            "langfuse",
            "--set",
            "secret_key:sk-lf-hunter2hunter2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hunter2").not());
    env.cmd()
        .args([
            "configure",
            "--set",
            "AUTOMAGIK_TELEMETRY_ENDPOINT=https://u:hunter2hunter2@h/x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("credentials"))
        .stderr(predicate::str::contains("hunter2").not());
}
