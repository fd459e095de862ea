//! `configure` writes each change into the layer that decides it, and fails naming the
//! variable when the process environment still decides otherwise.

use std::fs;

use predicates::prelude::*;

use crate::testenv::TestEnv;

fn copy_env_example(env: &TestEnv) -> String {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".env.example");
    fs::copy(example, env.env_file()).unwrap();
    fs::read_to_string(env.env_file()).unwrap()
}

/// The line of `.env` that assigns `var`, 1-based.
fn line_of(text: &str, var: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(&format!("{var}=")))
        .unwrap_or_else(|| panic!("no {var} line"))
        + 1
}

#[test]
fn no_telemetry_changes_the_env_line_that_decides_it() {
    let env = TestEnv::new();
    let before = copy_env_example(&env);
    let line = line_of(&before, "AUTOMAGIK_TELEMETRY_ENABLED");
    env.cmd()
        .args(["configure", "--no-telemetry"])
        .assert()
        .success();
    let json = env.status_json(&[]);
    assert_eq!(json["telemetry"]["enabled"], false);
    assert_eq!(
        json["telemetry"]["reason"],
        format!("off: .env:{line} (AUTOMAGIK_TELEMETRY_ENABLED=false)")
    );
    let after = fs::read_to_string(env.env_file()).unwrap();
    assert_eq!(
        after,
        before.replace(
            "AUTOMAGIK_TELEMETRY_ENABLED=true",
            "AUTOMAGIK_TELEMETRY_ENABLED=false"
        ),
        "every other byte is kept"
    );
    assert!(
        !env.config_file().exists(),
        "no tracing.toml line nobody reads"
    );
    // The same for the other changes configure makes.
    env.cmd()
        .args(["configure", "--no-observability", "--mask", "content"])
        .assert()
        .success();
    let json = env.status_json(&[]);
    assert_eq!(json["observability"]["enabled"], false);
    assert_eq!(json["observability"]["mask"]["value"], "content");
    let mask_line = line_of(&before, "AUTOMAGIK_MASK");
    assert_eq!(
        json["observability"]["mask"]["source"],
        format!(".env:{mask_line}")
    );
}

#[test]
fn a_change_the_environment_overrides_fails_naming_the_variable() {
    let env = TestEnv::new();
    copy_env_example(&env);
    env.cmd()
        .env("AUTOMAGIK_TELEMETRY_ENABLED", "true")
        .args(["configure", "--no-telemetry"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the environment variable AUTOMAGIK_TELEMETRY_ENABLED=true decides",
        ));
    // What was written is still right for when the variable is gone.
    let json = env.status_json(&[]);
    assert_eq!(json["telemetry"]["enabled"], false);
}

#[test]
fn an_explicit_user_scope_shadowed_by_dotenv_fails_naming_the_line() {
    let env = TestEnv::new();
    env.write_env_file("AUTOMAGIK_MASK=none\n");
    env.cmd()
        .args(["configure", "--scope", "user", "--mask", "patterns"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "AUTOMAGIK_MASK=none in .env:1 decides",
        ));
}
