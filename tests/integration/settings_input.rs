//! Settings that are wrong, odd or hostile: numbers out of the engine's range, `status`
//! showing every bad value at once, placeholder keys, an unreadable telemetry switch,
//! and settings files that are not files.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

use crate::testenv::{TestEnv, files_below, wait_for};

fn status_json_code(env: &TestEnv, extra: &[(&str, &str)]) -> (Option<i32>, Value, String) {
    let mut cmd = env.cmd();
    cmd.args(["status", "--json"]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("status --json prints JSON; stderr: {stderr}"));
    (out.status.code(), json, stderr)
}

fn remote_active(json: &Value) -> Vec<String> {
    json["observability"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true && p["name"] != "local")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_queue_the_engine_cannot_hold_is_refused_naming_variable_and_range() {
    let env = TestEnv::new();
    env.cmd()
        .env("AUTOMAGIK_QUEUE_MAX_SPANS", "9223372036854775807")
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .code(predicate::ne(101))
        .stderr(predicate::str::contains("AUTOMAGIK_QUEUE_MAX_SPANS"))
        .stderr(predicate::str::contains("from 1 to 10000000"));
    env.write_env_file("AUTOMAGIK_FLUSH_TIMEOUT=99999999999\n");
    env.cmd()
        .arg("status")
        .assert()
        .code(2)
        .stdout(predicate::str::contains(".env:1"))
        .stderr(predicate::str::contains("from 0 to 3600"));
}

#[test]
fn status_shows_every_setting_and_every_bad_value_then_exits_2() {
    let env = TestEnv::new();
    env.write_env_file("AUTOMAGIK_SAMPLE_RATE=2\nAUTOMAGIK_MASK=contents\n");
    let bad = [
        ("AUTOMAGIK_QUEUE_MAX_SPANS", "lots"),
        ("AUTOMAGIK_STORE_MAX_AGE_DAYS", "0"),
        ("AUTOMAGIK_OBSERVABILITY_PROVIDERS", "datadog"),
    ];
    let (code, json, _) = status_json_code(&env, &bad);
    assert_eq!(code, Some(2));
    let invalid: Vec<&str> = json["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["var"].as_str().unwrap())
        .collect();
    for var in [
        "AUTOMAGIK_SAMPLE_RATE",
        "AUTOMAGIK_MASK",
        "AUTOMAGIK_QUEUE_MAX_SPANS",
        "AUTOMAGIK_STORE_MAX_AGE_DAYS",
        "AUTOMAGIK_OBSERVABILITY_PROVIDERS",
    ] {
        assert!(invalid.contains(&var), "{var} not in {invalid:?}");
    }
    let mask = json["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["var"] == "AUTOMAGIK_MASK")
        .unwrap();
    assert_eq!(mask["source"], ".env:2");
    assert!(mask["error"].as_str().unwrap().contains("`contents`"));
    // Every other setting is still shown, and an unreadable mask masks the most.
    assert_eq!(json["limits"].as_array().unwrap().len(), 7);
    assert_eq!(json["observability"]["mask"]["value"], "content");

    let mut text = env.cmd();
    for (k, v) in bad {
        text.env(k, v);
    }
    let out = text.arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |label: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{stdout}"))
            .to_string()
    };
    assert!(line("sample rate").contains("invalid: `AUTOMAGIK_SAMPLE_RATE`"));
    assert!(line("queue_max_spans").contains("invalid:"));
    assert!(line("queue_max_bytes").contains("52428800"));
    assert!(line("Telemetry").contains("on"), "telemetry is not touched");
}

#[test]
fn status_separates_a_long_limit_name_from_its_value() {
    let env = TestEnv::new();
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("attribute_value_length_limit 65536")
                .or(predicate::str::is_match("attribute_value_length_limit +65536").unwrap()),
        )
        .stdout(predicate::str::contains("attribute_value_length_limit65536").not());
}

#[test]
fn the_shipped_env_example_activates_no_remote_provider() {
    let env = TestEnv::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(".env.example");
    fs::copy(example, env.env_file()).unwrap();
    let (code, json, _) = status_json_code(&env, &[]);
    assert_eq!(code, Some(0));
    assert!(
        remote_active(&json).is_empty(),
        "{:?}",
        remote_active(&json)
    );
    let placeholders = json["placeholders"].as_array().unwrap();
    let public = placeholders
        .iter()
        .find(|p| p["var"] == "LANGFUSE_PUBLIC_KEY")
        .expect("the empty LANGFUSE_PUBLIC_KEY is named");
    assert!(public["source"].as_str().unwrap().starts_with(".env:"));
}

#[test]
fn placeholder_keys_are_not_keys_and_status_names_them() {
    let env = TestEnv::new();
    env.write_env_file(
        "LANGFUSE_PUBLIC_KEY=pk-lf-...\nLANGFUSE_SECRET_KEY=sk-lf-...\n\
         LANGWATCH_API_KEY=your-api-key-here\nLANGSMITH_API_KEY='<your key>'\n\
         HONEYCOMB_API_KEY=xxx\nLOGFIRE_TOKEN=changeme\nOTEL_EXPORTER_OTLP_ENDPOINT=...\n",
    );
    let (code, json, _) = status_json_code(&env, &[]);
    assert_eq!(code, Some(0));
    assert!(
        remote_active(&json).is_empty(),
        "{:?}",
        remote_active(&json)
    );
    let named: Vec<(String, String)> = json["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["var"].as_str().unwrap().into(),
                p["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        named.contains(&("LANGFUSE_SECRET_KEY".into(), ".env:2".into())),
        "{named:?}"
    );
    assert!(
        named.contains(&("LOGFIRE_TOKEN".into(), ".env:6".into())),
        "{named:?}"
    );
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "LANGWATCH_API_KEY looks like a placeholder (.env:3)",
        ))
        .stdout(predicate::str::contains("your-api-key-here").not());
}

#[test]
fn configure_refuses_a_placeholder_key() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "configure",
            "--provider",
            "langfuse",
            "--set",
            "secret_key=sk-lf-...",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "LANGFUSE_SECRET_KEY a value that looks like a placeholder",
        ));
    assert!(!env.env_file().exists());
}

#[test]
fn an_unreadable_telemetry_switch_never_stops_the_users_traces() {
    let env = TestEnv::new();
    env.cmd()
        .env("DO_NOT_TRACK", "maybe")
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .success()
        .stderr(predicate::str::contains("`DO_NOT_TRACK` is `maybe`"))
        .stderr(predicate::str::contains("untraced").not());
    let store = env.home.join(".local/share/automagik/traces");
    wait_for("the run span in the local store", || {
        files_below(&store).iter().any(|f| {
            fs::read_to_string(store.join(f)).is_ok_and(|t| t.contains("\"name\":\"true\""))
        })
    });
    let (code, json, _) = status_json_code(&env, &[("DO_NOT_TRACK", "maybe")]);
    assert_eq!(code, Some(0));
    assert_eq!(json["telemetry"]["enabled"], false);
    let reason = json["telemetry"]["reason"].as_str().unwrap();
    assert!(reason.contains("`DO_NOT_TRACK` is `maybe`"), "{reason}");
    assert_eq!(json["observability"]["enabled"], true);
}

#[cfg(unix)]
#[test]
fn a_fifo_env_file_is_refused_not_waited_on() {
    let env = TestEnv::new();
    let fifo = std::ffi::CString::new(env.env_file().to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let out = env
        .cmd()
        .timeout(std::time::Duration::from_secs(20))
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not a regular file (a named pipe)"),
        "{stderr}"
    );
    env.cmd()
        .timeout(std::time::Duration::from_secs(20))
        .args(["configure", "--no-telemetry", "--scope", "project"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
}

#[cfg(unix)]
#[test]
fn an_env_file_linked_to_dev_zero_is_refused() {
    let env = TestEnv::new();
    std::os::unix::fs::symlink("/dev/zero", env.env_file()).unwrap();
    env.cmd()
        .timeout(std::time::Duration::from_secs(20))
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("(a device)"));
}

#[test]
fn a_huge_env_file_is_refused() {
    let env = TestEnv::new();
    env.write_env_file(&format!("A={}\n", "x".repeat(2 * 1024 * 1024)));
    env.cmd()
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .stderr(predicate::str::contains("larger than 1 MiB"));
}

#[test]
fn bad_encoding_is_bad_input_naming_file_and_line() {
    let env = TestEnv::new();
    fs::write(env.env_file(), b"A=1\nB=caf\xe9\n").unwrap();
    env.cmd()
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".env` is not UTF-8 text"))
        .stderr(predicate::str::contains("line 2"));
    fs::remove_file(env.env_file()).unwrap();
    fs::create_dir_all(env.config_dir()).unwrap();
    fs::write(env.config_file(), b"[telemetry]\n\n\xff = 1\n").unwrap();
    env.cmd()
        .args(["test-export"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tracing.toml` is not UTF-8 text"))
        .stderr(predicate::str::contains("line 3"));
}

#[test]
fn status_reports_a_data_dir_that_is_a_file() {
    let env = TestEnv::new();
    let file = env.project.join("data");
    fs::write(&file, "not a dir").unwrap();
    let (code, json, _) = status_json_code(&env, &[("AUTOMAGIK_DATA_DIR", file.to_str().unwrap())]);
    assert_eq!(code, Some(2));
    let problems = json["problems"].to_string();
    assert!(problems.contains("is not a directory"), "{problems}");
}
