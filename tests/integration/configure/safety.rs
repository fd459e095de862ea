//! Files never damaged: an unparsable `.env` or TOML file is named and left untouched, and
//! eight concurrent writers lose no key.

use std::fs;

use predicates::prelude::*;

use crate::testenv::{TestEnv, mode};

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
