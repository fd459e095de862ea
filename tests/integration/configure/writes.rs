//! What `configure` writes and where: provider keys to `.env` (or a named file), switches
//! to TOML, user-scope keys 0600, settings by variable or TOML key, and unsetting.

use std::fs;

use predicates::prelude::*;

use super::ENV_FILE;
use crate::testenv::{TestEnv, mode};

#[test]
fn provider_keys_go_to_dotenv_and_untouched_lines_stay() {
    let env = TestEnv::new();
    env.write_env_file(ENV_FILE);
    env.cmd()
        .args(["configure", "--provider", "langfuse"])
        .args([
            "--set",
            "public_key=pk-lf-0123456789abcdef",
            "--set",
            "secret_key=sk-lf-0123456789abcdef",
        ])
        .args(["--set", "host=https://us.cloud.langfuse.com"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sk-lf-0123456789abcdef").not())
        .stdout(predicate::str::contains(
            "set LANGFUSE_SECRET_KEY = sk-l…cdef",
        ));
    let text = fs::read_to_string(env.env_file()).unwrap();
    assert_eq!(
        text,
        "# Project settings\n\nexport OPENAI_MODEL=\"gpt-4o\"   # the default model\nLANGFUSE_HOST=https://us.cloud.langfuse.com\n# trailing comment\nLANGFUSE_PUBLIC_KEY=pk-lf-0123456789abcdef\nLANGFUSE_SECRET_KEY=sk-lf-0123456789abcdef\n"
    );
    assert_eq!(mode(&env.env_file()), 0o600);
    let json = env.status_json(&[]);
    let langfuse = &json["observability"]["providers"][0];
    assert_eq!(langfuse["active"], true);
    assert_eq!(
        langfuse["endpoint"],
        "https://us.cloud.langfuse.com/api/public/otel/v1/traces"
    );
}

#[test]
fn awkward_values_round_trip_through_dotenv() {
    let env = TestEnv::new();
    let value = "a b#c 'q' \"d\" $HOME \\ é";
    env.cmd()
        .args(["configure", "--provider", "langsmith", "--set"])
        .arg(format!("project={value}"))
        .assert()
        .success();
    let json = env.status_json(&[]);
    let keys = json["observability"]["providers"][2]["keys"].to_string();
    let expected = serde_json::to_string(value).unwrap();
    assert!(keys.contains(&expected), "{keys}");
}

#[test]
fn switches_go_to_toml_and_comments_survive() {
    let env = TestEnv::new();
    env.write_toml("# my settings\n[telemetry]  # usage counters\nenabled = true # on for now\n\n[limits]\nqueue_max_spans = 5000\n");
    env.cmd()
        .args(["configure", "--no-telemetry"])
        .assert()
        .success();
    let text = fs::read_to_string(env.config_file()).unwrap();
    assert_eq!(
        text,
        "# my settings\n[telemetry]  # usage counters\nenabled = false # on for now\n\n[limits]\nqueue_max_spans = 5000\n"
    );
    assert_eq!(
        mode(&env.config_file()),
        0o600,
        "every file the tool writes is private"
    );
    let json = env.status_json(&[]);
    assert_eq!(json["telemetry"]["enabled"], false);
    assert_eq!(json["telemetry"]["reason"], "off: tracing.toml:3");
    env.cmd()
        .args(["configure", "--telemetry"])
        .assert()
        .success();
    assert_eq!(env.status_json(&[])["telemetry"]["enabled"], true);
}

#[test]
fn user_scope_provider_keys_are_written_0600() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "configure",
            "--scope",
            "user",
            "--provider",
            "honeycomb",
            "--set",
            "api_key=hc-0123456789abcdef",
        ])
        .assert()
        .success();
    let text = fs::read_to_string(env.config_file()).unwrap();
    assert!(
        text.contains("[providers.honeycomb]\napi_key = \"hc-0123456789abcdef\"\n"),
        "{text}"
    );
    assert_eq!(mode(&env.config_file()), 0o600);
    let json = env.status_json(&[]);
    assert_eq!(
        json["observability"]["providers"][3]["source"],
        "tracing.toml:2"
    );
    assert!(!env.env_file().exists());
}

#[test]
fn settings_by_variable_or_toml_key_and_unset() {
    let env = TestEnv::new();
    env.cmd()
        .args(["configure", "--set", "observability.sample_rate=0.25"])
        .assert()
        .success();
    env.cmd()
        .args(["configure", "--set", "AUTOMAGIK_QUEUE_MAX_SPANS=42"])
        .assert()
        .success();
    let json = env.status_json(&[]);
    assert_eq!(json["observability"]["sample_rate"]["value"], 0.25);
    assert_eq!(json["limits"][0]["value"], 42);
    env.cmd()
        .args(["configure", "--unset", "AUTOMAGIK_SAMPLE_RATE"])
        .assert()
        .success();
    let json = env.status_json(&[]);
    assert_eq!(json["observability"]["sample_rate"]["source"], "default");
}

#[test]
fn unsetting_in_a_missing_file_creates_nothing() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "configure",
            "--provider",
            "langfuse",
            "--unset",
            "secret_key",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to change"));
    assert!(!env.env_file().exists());
}

#[test]
fn configure_creates_a_named_env_file() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "--env-file",
            "prod.env",
            "configure",
            "--provider",
            "langwatch",
            "--set",
            "api_key=lw-0123456789",
        ])
        .assert()
        .success();
    let text = fs::read_to_string(env.project.join("prod.env")).unwrap();
    assert_eq!(text, "LANGWATCH_API_KEY=lw-0123456789\n");
    assert!(!env.env_file().exists());
}
