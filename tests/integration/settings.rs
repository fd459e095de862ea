//! Layer precedence, switches and CI detection, read back through `status --json`.

use crate::testenv::TestEnv;

#[test]
fn five_layers_in_order_flag_env_dotenv_toml_default() {
    let env = TestEnv::new();
    let json = env.status_json(&[]);
    assert_eq!(json["files"]["data_dir_source"], "default");
    assert!(
        json["files"]["data_dir"]
            .as_str()
            .unwrap()
            .ends_with(".local/share/automagik")
    );

    env.write_toml("[paths]\ndata_dir = \"/from/toml\"\n[observability]\nsample_rate = 0.5\n");
    let json = env.status_json(&[]);
    assert_eq!(json["files"]["data_dir"], "/from/toml");
    assert_eq!(json["files"]["data_dir_source"], "tracing.toml:2");
    assert_eq!(json["observability"]["sample_rate"]["value"], 0.5);
    assert_eq!(
        json["observability"]["sample_rate"]["source"],
        "tracing.toml:4"
    );

    env.write_env_file("# data\nAUTOMAGIK_DATA_DIR=/from/dotenv\nAUTOMAGIK_SAMPLE_RATE=0.25\n");
    let json = env.status_json(&[]);
    assert_eq!(json["files"]["data_dir"], "/from/dotenv");
    assert_eq!(json["files"]["data_dir_source"], ".env:2");
    assert_eq!(json["observability"]["sample_rate"]["source"], ".env:3");

    let json = env.status_json(&[
        ("AUTOMAGIK_DATA_DIR", "/from/env"),
        ("AUTOMAGIK_SAMPLE_RATE", "0.1"),
    ]);
    assert_eq!(json["files"]["data_dir"], "/from/env");
    assert_eq!(json["files"]["data_dir_source"], "env AUTOMAGIK_DATA_DIR");
    assert_eq!(json["observability"]["sample_rate"]["value"], 0.1);

    let out = env
        .cmd()
        .env("AUTOMAGIK_DATA_DIR", "/from/env")
        .args(["--data-dir", "/from/flag", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"]["data_dir"], "/from/flag");
    assert_eq!(json["files"]["data_dir_source"], "flag --data-dir");
}

#[test]
fn env_file_flag_reads_another_file_and_must_exist() {
    let env = TestEnv::new();
    std::fs::write(
        env.project.join("other.env"),
        "LANGWATCH_API_KEY=lw-abcdefghijklmnop\n",
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["--env-file", "other.env", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let langwatch = &json["observability"]["providers"][1];
    assert_eq!(langwatch["name"], "langwatch");
    assert_eq!(langwatch["active"], true);
    assert_eq!(langwatch["source"], "other.env:1");
    env.cmd()
        .args(["--env-file", "missing.env", "status"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.env"));
}

#[test]
fn config_dir_from_env_and_flag() {
    let env = TestEnv::new();
    let dir = env.project.join("cfg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tracing.toml"), "[telemetry]\nenabled = false\n").unwrap();
    let json = env.status_json(&[("AUTOMAGIK_CONFIG_DIR", dir.to_str().unwrap())]);
    assert_eq!(json["telemetry"]["enabled"], false);
    assert_eq!(json["telemetry"]["reason"], "off: tracing.toml:2");
    let out = env
        .cmd()
        .args(["--config-dir", "cfg", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["telemetry"]["enabled"], false);
    assert_eq!(json["files"]["config_dir"]["source"], "flag --config-dir");
}

fn layers(env: &TestEnv, vars: &[(&str, &str)]) -> (bool, String, bool, String) {
    let json = env.status_json(vars);
    (
        json["observability"]["enabled"].as_bool().unwrap(),
        json["observability"]["reason"]
            .as_str()
            .unwrap()
            .to_string(),
        json["telemetry"]["enabled"].as_bool().unwrap(),
        json["telemetry"]["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn both_layers_on_by_default() {
    let env = TestEnv::new();
    let (obs, obs_reason, tel, tel_reason) = layers(&env, &[]);
    assert!(obs && tel);
    assert_eq!(obs_reason, "on: default");
    assert_eq!(tel_reason, "on: default");
}

#[test]
fn disable_all_turns_both_off() {
    let env = TestEnv::new();
    let (obs, obs_reason, tel, tel_reason) =
        layers(&env, &[("AUTOMAGIK_DISABLE_ALL_TRACING", "TRUE")]);
    assert!(!obs && !tel);
    assert_eq!(obs_reason, "off: AUTOMAGIK_DISABLE_ALL_TRACING=TRUE");
    assert_eq!(tel_reason, obs_reason);
}

#[test]
fn do_not_track_turns_off_telemetry_only() {
    let env = TestEnv::new();
    let (obs, _, tel, tel_reason) = layers(&env, &[("DO_NOT_TRACK", "1")]);
    assert!(obs);
    assert!(!tel);
    assert_eq!(tel_reason, "off: DO_NOT_TRACK=1");
    let (_, _, tel, _) = layers(&env, &[("DO_NOT_TRACK", "0")]);
    assert!(tel);
}

#[test]
fn otel_sdk_disabled_turns_off_observability_only() {
    let env = TestEnv::new();
    let (obs, reason, tel, _) = layers(&env, &[("OTEL_SDK_DISABLED", "true")]);
    assert!(!obs && tel);
    assert_eq!(reason, "off: OTEL_SDK_DISABLED=true");
}

#[test]
fn each_layer_has_its_own_enabled_switch() {
    let env = TestEnv::new();
    let (obs, reason, tel, _) = layers(&env, &[("AUTOMAGIK_OBSERVABILITY_ENABLED", "no")]);
    assert!(!obs && tel);
    assert_eq!(reason, "off: AUTOMAGIK_OBSERVABILITY_ENABLED=no");
    let (obs, _, tel, reason) = layers(&env, &[("AUTOMAGIK_TELEMETRY_ENABLED", "off")]);
    assert!(obs && !tel);
    assert_eq!(reason, "off: AUTOMAGIK_TELEMETRY_ENABLED=off");
    env.write_env_file("\nAUTOMAGIK_TELEMETRY_ENABLED=false\n");
    let (_, _, tel, reason) = layers(&env, &[]);
    assert!(!tel);
    assert_eq!(reason, "off: .env:2 (AUTOMAGIK_TELEMETRY_ENABLED=false)");
}

#[test]
fn ci_detection_turns_both_off_naming_the_variable() {
    let env = TestEnv::new();
    for var in [
        "CI",
        "GITHUB_ACTIONS",
        "BUILD_ID",
        "BUILD_NUMBER",
        "CONTINUOUS_INTEGRATION",
        "RUN_ID",
        "CI_NAME",
        "TF_BUILD",
        "JENKINS_URL",
        "GITLAB_CI",
        "BUILDKITE",
        "CIRCLECI",
        "TRAVIS",
    ] {
        let json = env.status_json(&[(var, "true")]);
        assert_eq!(json["ci"], var);
        for layer in ["observability", "telemetry"] {
            assert_eq!(json[layer]["enabled"], false, "{var}");
            let reason = json[layer]["reason"].as_str().unwrap();
            assert!(
                reason.starts_with(&format!("off: CI detected ({var})")),
                "{reason}"
            );
        }
    }
}

#[test]
fn ci_false_is_not_ci_and_ci_can_be_allowed() {
    let env = TestEnv::new();
    let (obs, _, tel, _) = layers(&env, &[("CI", "false")]);
    assert!(obs && tel);
    let (obs, reason, tel, _) = layers(
        &env,
        &[("CI", "true"), ("AUTOMAGIK_ENABLE_TRACING_IN_CI", "true")],
    );
    assert!(obs && tel);
    assert!(reason.contains("CI detected: CI"), "{reason}");
}

#[test]
fn malformed_boolean_is_an_error_naming_the_variable() {
    let env = TestEnv::new();
    env.cmd()
        .env("AUTOMAGIK_OBSERVABILITY_ENABLED", "maybe")
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`AUTOMAGIK_OBSERVABILITY_ENABLED` is `maybe`",
        ))
        .stderr(predicates::str::contains("1/0, true/false, yes/no, on/off"));
    env.write_toml("[observability]\n\nenabled = \"perhaps\"\n");
    env.cmd()
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("tracing.toml:3"));
}

#[test]
fn bad_numbers_and_provider_names_are_errors() {
    let env = TestEnv::new();
    env.cmd()
        .env("AUTOMAGIK_SAMPLE_RATE", "2")
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("AUTOMAGIK_SAMPLE_RATE"));
    env.cmd()
        .env("AUTOMAGIK_OBSERVABILITY_PROVIDERS", "langfuse,datadog")
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`datadog`"))
        .stderr(predicates::str::contains("honeycomb"));
}

#[test]
fn unknown_toml_keys_are_warnings() {
    let env = TestEnv::new();
    env.write_toml("[observability]\ncolour = \"blue\"\n");
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "tracing.toml:2: unknown key `observability.colour`",
        ));
}

#[test]
fn ci_is_read_from_the_process_environment_only() {
    let env = TestEnv::new();
    env.write_env_file("BUILD_NUMBER=42\n");
    let (obs, _, tel, _) = layers(&env, &[]);
    assert!(obs && tel, "a project's .env does not make this machine CI");
    let json = env.status_json(&[("BUILD_ID", "0")]);
    assert_eq!(json["ci"], "BUILD_ID", "only CI=false means not CI");
}

#[test]
fn a_bom_at_the_start_of_dotenv_is_fine() {
    let env = TestEnv::new();
    env.write_env_file("\u{feff}LANGWATCH_API_KEY=lw-0123456789\n");
    let json = env.status_json(&[]);
    assert_eq!(json["observability"]["providers"][1]["active"], true);
}
