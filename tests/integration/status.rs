//! `status`: the JSON shape, masked keys, provider endpoints, and that it writes nothing.

use predicates::prelude::*;
use serde_json::Value;

use crate::testenv::{TestEnv, files_below};

const SECRET: &str = "sk-lf-0123456789abcdefSECRET";

fn provider<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["observability"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no provider {name}"))
}

#[test]
fn json_has_the_promised_shape() {
    let env = TestEnv::new().without("AUTOMAGIK_TELEMETRY_ENDPOINT");
    let json = env.status_json(&[]);
    assert!(json["observability"]["enabled"].is_boolean());
    assert!(json["observability"]["reason"].is_string());
    for p in json["observability"]["providers"].as_array().unwrap() {
        assert!(p["name"].is_string());
        assert!(p["active"].is_boolean());
        assert!(p["endpoint"].is_string());
        assert!(p["source"].is_string());
    }
    assert!(json["telemetry"]["enabled"].is_boolean());
    assert!(json["telemetry"]["reason"].is_string());
    assert_eq!(
        json["telemetry"]["endpoint"],
        "https://telemetry.namastex.ai/v1/traces"
    );
    assert!(json["telemetry"]["anonymous_id"].is_null());
    assert_eq!(json["telemetry"]["pending_events"], 0);
    let sends = json["telemetry"]["would_send"].as_array().unwrap();
    assert_eq!(sends.len(), 8);
    assert!(sends.iter().any(|e| {
        e["event"] == "agent.run"
            && e["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "agent.hash")
    }));
    assert!(json["files"]["env_file"].is_null());
    assert!(
        json["files"]["config_file"]
            .as_str()
            .unwrap()
            .ends_with("automagik/tracing.toml")
    );
    assert!(json["files"]["data_dir"].is_string());
}

#[test]
fn local_store_is_active_when_nothing_else_is() {
    let env = TestEnv::new();
    let json = env.status_json(&[]);
    let local = provider(&json, "local");
    assert_eq!(local["active"], true);
    assert!(
        local["endpoint"]
            .as_str()
            .unwrap()
            .ends_with("automagik/traces")
    );
    let active: Vec<_> = json["observability"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .collect();
    assert_eq!(active.len(), 1);
}

#[test]
fn secret_keys_are_masked_in_text_and_json() {
    let env = TestEnv::new();
    env.write_env_file(&format!(
        "LANGFUSE_PUBLIC_KEY=pk-lf-public-0123456789\nLANGFUSE_SECRET_KEY={SECRET}\n"
    ));
    let json = env.status_json(&[]);
    let text = json.to_string();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("pk-lf-public-0123456789"));
    let langfuse = provider(&json, "langfuse");
    assert_eq!(langfuse["active"], true);
    assert_eq!(langfuse["keys"][1]["value"], "sk-l…CRET");
    assert_eq!(langfuse["keys"][1]["source"], ".env:2");
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains(SECRET).not())
        .stdout(predicate::str::contains("sk-l…CRET"));
}

#[test]
fn every_preset_resolves_its_endpoint() {
    let env = TestEnv::new();
    let json = env.status_json(&[
        ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
        ("LANGFUSE_SECRET_KEY", "sk-lf-1"),
        ("LANGFUSE_HOST", "https://us.cloud.langfuse.com/"),
        ("LANGWATCH_API_KEY", "lw"),
        ("LANGSMITH_API_KEY", "ls"),
        ("HONEYCOMB_API_KEY", "hc"),
        ("HONEYCOMB_API_ENDPOINT", "https://api.eu1.honeycomb.io"),
        ("LOGFIRE_TOKEN", "lf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    ]);
    let expect = [
        (
            "langfuse",
            "https://us.cloud.langfuse.com/api/public/otel/v1/traces",
        ),
        ("langwatch", "https://app.langwatch.ai/api/otel/v1/traces"),
        (
            "langsmith",
            "https://api.smith.langchain.com/otel/v1/traces",
        ),
        ("honeycomb", "https://api.eu1.honeycomb.io/v1/traces"),
        ("logfire", "https://logfire-us.pydantic.dev/v1/traces"),
        ("otlp", "http://collector:4318/v1/traces"),
    ];
    for (name, endpoint) in expect {
        let p = provider(&json, name);
        assert_eq!(p["endpoint"], endpoint, "{name}");
        assert_eq!(p["active"], true, "{name}");
    }
    assert_eq!(provider(&json, "local")["active"], false);
}

#[test]
fn otlp_traces_endpoint_is_used_as_is() {
    let env = TestEnv::new();
    let json = env.status_json(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://collector:4318/custom/path",
        ),
    ]);
    assert_eq!(
        provider(&json, "otlp")["endpoint"],
        "http://collector:4318/custom/path"
    );
}

#[test]
fn an_ingestion_path_is_reduced_with_a_warning() {
    let env = TestEnv::new();
    env.write_env_file(
        "LANGWATCH_API_KEY=lw-key\nLANGWATCH_ENDPOINT=https://app.langwatch.ai/api/v1/traces\n",
    );
    let json = env.status_json(&[]);
    assert_eq!(
        provider(&json, "langwatch")["endpoint"],
        "https://app.langwatch.ai/api/otel/v1/traces"
    );
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("LANGWATCH_ENDPOINT"), "{warnings}");
    assert!(
        warnings.contains("Write LANGWATCH_ENDPOINT=https://app.langwatch.ai instead"),
        "{warnings}"
    );
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: `LANGWATCH_ENDPOINT` (.env:2)",
        ));
}

#[test]
fn the_provider_list_limits_active_providers() {
    let env = TestEnv::new();
    let json = env.status_json(&[
        ("LANGWATCH_API_KEY", "lw"),
        ("HONEYCOMB_API_KEY", "hc"),
        (
            "AUTOMAGIK_OBSERVABILITY_PROVIDERS",
            "honeycomb,local,langfuse",
        ),
    ]);
    assert_eq!(provider(&json, "honeycomb")["active"], true);
    assert_eq!(provider(&json, "langwatch")["active"], false);
    assert_eq!(provider(&json, "local")["active"], true);
    let warnings = json["warnings"].to_string();
    assert!(
        warnings
            .contains("names `langfuse`, but LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY is not set"),
        "{warnings}"
    );
}

#[test]
fn status_is_read_only() {
    let env = TestEnv::new();
    env.cmd().arg("status").assert().success();
    env.cmd().args(["status", "--json"]).assert().success();
    assert!(
        files_below(&env.home).is_empty(),
        "{:?}",
        files_below(&env.home)
    );
    assert!(files_below(&env.project).is_empty());
}

#[test]
fn status_shows_an_existing_anonymous_id() {
    let env = TestEnv::new();
    let out = env.cmd().arg("id").output().unwrap();
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let json = env.status_json(&[]);
    assert_eq!(json["telemetry"]["anonymous_id"], id.as_str());
}

#[test]
fn text_output_is_grouped_and_plain_off_a_terminal() {
    let env = TestEnv::new();
    env.cmd()
        .env("DO_NOT_TRACK", "1")
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("Observability  on: default"))
        .stdout(predicate::str::contains(
            "Telemetry      off: DO_NOT_TRACK=1",
        ))
        .stdout(predicate::str::contains("\nFiles\n"))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn a_last_run_whose_models_have_no_price_shows_a_dash_never_zero_dollars() {
    // PydanticAI's offline TestModel (`test`) is in no price data.
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    crate::wrap::run_python_example(&env, "pydantic_agent.py", &[]);
    let gen_ai = &env.status_json(&[])["last_run"]["gen_ai"];
    let calls = gen_ai["calls"].as_u64().unwrap_or(0);
    assert!(calls > 0, "{gen_ai}");
    assert!(gen_ai["input_tokens"].as_u64() > Some(0), "{gen_ai}");
    assert_eq!(gen_ai["cost"], Value::Null, "{gen_ai}");
    assert_eq!(gen_ai["unpriced_calls"], calls, "{gen_ai}");
    let out = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("model calls:"))
        .unwrap_or_else(|| panic!("no model calls line:\n{text}"));
    assert!(line.contains("cost –"), "{line}");
    assert!(!line.contains('$'), "{line}");
}
