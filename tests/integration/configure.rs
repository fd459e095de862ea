//! `configure` with flags: `.env` and TOML round trips, atomic 0600 writes, bad files left
//! untouched, concurrent writers, and the no-terminal refusal.

use std::fs;

use predicates::prelude::*;

use crate::testenv::{TestEnv, mode};

const ENV_FILE: &str = "# Project settings\n\nexport OPENAI_MODEL=\"gpt-4o\"   # the default model\nLANGFUSE_HOST='https://cloud.langfuse.com'\n# trailing comment\n";

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
fn an_unparsable_env_file_is_named_and_left_untouched() {
    let env = TestEnv::new();
    let broken = "A=1\nB=two words here\n";
    env.write_env_file(broken);
    env.cmd()
        .args([
            "configure",
            "--provider",
            "langwatch",
            "--set",
            "api_key=x1234567",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".env` at line 2, column"));
    assert_eq!(fs::read_to_string(env.env_file()).unwrap(), broken);
}

#[test]
fn an_unparsable_toml_file_is_named_and_left_untouched() {
    let env = TestEnv::new();
    let broken = "[telemetry]\nenabled = = true\n";
    env.write_toml(broken);
    env.cmd()
        .args(["configure", "--no-telemetry"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tracing.toml` at line 2, column"));
    assert_eq!(fs::read_to_string(env.config_file()).unwrap(), broken);
}

#[test]
fn eight_concurrent_writers_lose_no_key() {
    let env = TestEnv::new();
    let writes = [
        ("langfuse", "public_key"),
        ("langfuse", "secret_key"),
        ("langwatch", "api_key"),
        ("langsmith", "api_key"),
        ("langsmith", "project"),
        ("honeycomb", "api_key"),
        ("honeycomb", "dataset"),
        ("logfire", "token"),
    ];
    for scope in ["project", "user"] {
        let children: Vec<_> = writes
            .iter()
            .enumerate()
            .map(|(i, (provider, key))| {
                let mut cmd = std::process::Command::new(crate::testenv::BIN);
                cmd.env_clear()
                    .env("HOME", &env.home)
                    .current_dir(&env.project)
                    .args([
                        "configure",
                        "--scope",
                        scope,
                        "--provider",
                        provider,
                        "--set",
                    ])
                    .arg(format!("{key}=value-{i}-0123456789"))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped());
                cmd.spawn().unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let path = if scope == "project" {
            env.env_file()
        } else {
            env.config_file()
        };
        let text = fs::read_to_string(&path).unwrap();
        for i in 0..writes.len() {
            assert!(
                text.contains(&format!("value-{i}-0123456789")),
                "{scope}: missing {i} in\n{text}"
            );
        }
        assert_eq!(mode(&path), 0o600);
    }
    let json = env.status_json(&[]);
    assert_eq!(
        json["observability"]["providers"][0]["active"], true,
        "the file parses and reads back"
    );
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
