//! Codex's setup: which command lines and config files leave it alone, and the `-c`
//! overrides it gets otherwise.

use std::collections::HashMap;
use std::ffi::OsString;

use super::*;

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// A `CODEX_HOME` in a temp dir holding `config` as its config.toml.
fn codex_home(config: Option<&str>) -> (tempfile::TempDir, HashMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = config {
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
    }
    let env = [(
        "CODEX_HOME".to_string(),
        dir.path().to_string_lossy().into_owned(),
    )]
    .into();
    (dir, env)
}

#[test]
fn telemetry_is_switched_on_for_the_three_signals_in_otlp_http_protobuf() {
    let (_dir, env) = codex_home(None);
    let added = setup("http://127.0.0.1:4999/", &env, &os(&["exec", "hi"]));
    assert!(added.env.is_empty(), "{added:?}");
    assert_eq!(
        added.args,
        [
            "-c",
            r#"otel.exporter={otlp-http={endpoint="http://127.0.0.1:4999/v1/logs",protocol="binary"}}"#,
            "-c",
            r#"otel.trace_exporter={otlp-http={endpoint="http://127.0.0.1:4999/v1/traces",protocol="binary"}}"#,
            "-c",
            r#"otel.metrics_exporter={otlp-http={endpoint="http://127.0.0.1:4999/v1/metrics",protocol="binary"}}"#,
        ]
    );
    assert!(added.notes[0].contains("switched on"), "{added:?}");
    // Each override is valid TOML, as Codex parses it.
    for value in added.args.iter().skip(1).step_by(2) {
        assert!(value.parse::<toml_edit::DocumentMut>().is_ok(), "{value}");
    }
}

#[test]
fn an_otel_override_on_the_command_line_leaves_codex_alone() {
    let (_dir, env) = codex_home(None);
    for given in [
        &["exec", "-c", "otel.exporter=none", "hi"][..],
        &["--config", "otel.trace_exporter=\"none\"", "exec", "hi"],
        &["exec", "--config=otel.environment=\"prod\"", "hi"],
        &["-cotel.exporter=none", "exec", "hi"],
    ] {
        let setup = setup("http://127.0.0.1:1", &env, &os(given));
        assert!(setup.args.is_empty(), "{given:?}: {setup:?}");
        assert!(setup.notes[0].contains("-c otel."), "{given:?}: {setup:?}");
    }
    // Other overrides, and a prompt that mentions otel, are not the user's telemetry.
    let other = setup(
        "http://127.0.0.1:1",
        &env,
        &os(&["exec", "-c", "model=\"o3\"", "set -c otel.exporter"]),
    );
    assert_eq!(other.args.len(), 6, "{other:?}");
}

#[test]
fn an_exporter_in_the_users_config_leaves_codex_alone() {
    assert_eq!(sets_exporter("model = \"o3\"\n"), Ok(false));
    assert_eq!(sets_exporter("[otel]\nlog_user_prompt = true\n"), Ok(false));
    assert_eq!(
        sets_exporter(
            "[otel]\nexporter = { otlp-http = { endpoint = \"https://c/v1/logs\", protocol = \"binary\" } }\n"
        ),
        Ok(true)
    );
    assert_eq!(sets_exporter("otel.trace_exporter = \"none\"\n"), Ok(true));
    assert!(sets_exporter("[otel\n").is_err());
    let (dir, env) = codex_home(Some("[otel]\ntrace_exporter = \"none\"\n"));
    let setup = setup("http://127.0.0.1:1", &env, &os(&["exec", "hi"]));
    assert!(setup.args.is_empty(), "{setup:?}");
    assert_eq!(
        setup.notes,
        [format!(
            "codex's telemetry is left as configured in {} ([otel] sets an exporter)",
            dir.path().join("config.toml").display()
        )]
    );
}

#[test]
fn the_users_config_is_read_from_codex_home_and_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("codex-home");
    std::fs::create_dir(&home).unwrap();
    let env: HashMap<String, String> = [(
        "CODEX_HOME".to_string(),
        home.to_string_lossy().into_owned(),
    )]
    .into();
    assert_eq!(user_config(&env, &os(&["exec", "hi"])), UserConfig::Silent);
    std::fs::write(home.join("config.toml"), "[otel]\nenvironment = \"dev\"\n").unwrap();
    std::fs::write(
        home.join("work.config.toml"),
        "[otel]\nexporter = \"none\"\n",
    )
    .unwrap();
    assert_eq!(user_config(&env, &os(&["exec", "hi"])), UserConfig::Silent);
    assert_eq!(
        user_config(&env, &os(&["exec", "-p", "work", "hi"])),
        UserConfig::Exports(home.join("work.config.toml"))
    );
    std::fs::write(home.join("config.toml"), "[otel\n").unwrap();
    assert!(matches!(
        user_config(&env, &os(&["exec", "hi"])),
        UserConfig::Unreadable(path, _) if path == home.join("config.toml")
    ));
    // Without CODEX_HOME, ~/.codex.
    let env: HashMap<String, String> = [(
        "HOME".to_string(),
        dir.path().to_string_lossy().into_owned(),
    )]
    .into();
    std::fs::create_dir(dir.path().join(".codex")).unwrap();
    std::fs::write(
        dir.path().join(".codex/config.toml"),
        "otel.exporter = \"none\"\n",
    )
    .unwrap();
    assert_eq!(
        user_config(&env, &os(&["exec", "hi"])),
        UserConfig::Exports(dir.path().join(".codex/config.toml"))
    );
}
