//! Content masking end to end: a wrapped PydanticAI agent under `AUTOMAGIK_MASK=content`,
//! full content to one provider and none to another, the local store's own mode, and the
//! settings in `status` and `configure`.

use std::fs;

use automagik_tracing::span::{Span, Value};

use crate::sink::Sink;
use crate::testenv::{TestEnv, files_below};
use crate::wrap::{delivered, run_python_example};

/// Content of `examples/python/pydantic_agent.py` as it appears in its spans: the user
/// prompt, the system prompt, the tool's argument, its result and the final answer.
const AGENT_CONTENT: &[&str] = &[
    "Lisbon",
    "SECRET-PROMPT-TEXT",
    "weather bot",
    "{\"city\":\"a\"}",
    "Sunny in",
];

/// Every request body the sink received, concatenated; there must be some.
fn all_bytes(sink: &Sink) -> Vec<u8> {
    assert!(!sink.requests().is_empty(), "the sink received nothing");
    sink.bodies()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn find<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

#[test]
fn content_masking_sends_a_wrapped_agents_structure_and_none_of_its_content() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_MASK", "content");
    let stdout = run_python_example(&env, "pydantic_agent.py", &[]);
    assert!(stdout.contains("Sunny in"), "the agent ran: {stdout}");

    let bytes = all_bytes(&sink);
    for text in AGENT_CONTENT {
        assert!(!contains(&bytes, text), "`{text}` left the machine");
    }
    let spans = delivered(&sink);
    let agent = find(&spans, "invoke_agent weather");
    assert_eq!(
        agent.attribute("gen_ai.agent.name"),
        Some(&Value::from("weather"))
    );
    assert!(matches!(
        agent.attribute("final_result"),
        Some(Value::Str(s)) if s.starts_with("[MASKED len=")
    ));
    let chats: Vec<&Span> = spans.iter().filter(|s| s.name == "chat test").collect();
    assert_eq!(chats.len(), 2);
    for chat in chats {
        assert_eq!(
            chat.attribute("gen_ai.request.model"),
            Some(&Value::from("test"))
        );
        assert!(
            matches!(chat.attribute("gen_ai.usage.input_tokens"), Some(Value::Int(n)) if *n > 0)
        );
        assert!(
            matches!(chat.attribute("gen_ai.usage.output_tokens"), Some(Value::Int(n)) if *n > 0)
        );
    }
    let tool = find(&spans, "execute_tool get_forecast");
    assert_eq!(
        tool.attribute("gen_ai.tool.name"),
        Some(&Value::from("get_forecast"))
    );
    assert_eq!(
        tool.attribute("gen_ai.tool.call.arguments"),
        Some(&Value::from("[MASKED len=12]"))
    );
    assert_eq!(
        tool.attribute("gen_ai.tool.call.result"),
        Some(&Value::from("[MASKED len=10]"))
    );
}

#[test]
fn one_provider_gets_full_content_while_another_gets_none() {
    let langfuse = Sink::start();
    let otlp = Sink::start();
    let env = TestEnv::new()
        .var("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
        .var("LANGFUSE_SECRET_KEY", "sk-lf-secret")
        .var("LANGFUSE_HOST", &langfuse.url())
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp.url())
        .var("AUTOMAGIK_MASK", "content")
        .var("AUTOMAGIK_MASK_LANGFUSE", "none");
    run_python_example(&env, "pydantic_agent.py", &[]);

    let full = all_bytes(&langfuse);
    let masked = all_bytes(&otlp);
    for text in AGENT_CONTENT {
        assert!(contains(&full, text), "langfuse lacks `{text}`");
        assert!(
            !contains(&masked, text),
            "`{text}` reached the otlp provider"
        );
    }
    assert!(!contains(&full, "[MASKED len="));
    assert_eq!(delivered(&langfuse).len(), delivered(&otlp).len());
}

/// Runs `echo ARG` wrapped with the local store as the only provider; returns the store's
/// text.
fn local_store_after_wrapped_echo(env: TestEnv, arg: &str) -> String {
    let data = env.home.join("data");
    let env = env.var("AUTOMAGIK_DATA_DIR", data.to_str().unwrap());
    env.cmd()
        .args(["run", "--wrap", "--", "echo", arg])
        .assert()
        .success();
    let store = data.join("traces");
    let files = files_below(&store);
    assert!(!files.is_empty(), "nothing in the local store");
    files
        .iter()
        .map(|f| fs::read_to_string(store.join(f)).unwrap())
        .collect()
}

#[test]
fn the_local_store_obeys_its_own_mask_mode() {
    let masked = local_store_after_wrapped_echo(
        TestEnv::new().var("AUTOMAGIK_MASK_LOCAL", "content"),
        "private-argument",
    );
    assert!(!masked.contains("private-argument"), "{masked}");
    assert!(masked.contains("[MASKED len="), "{masked}");

    let kept = local_store_after_wrapped_echo(
        TestEnv::new()
            .var("AUTOMAGIK_MASK", "content")
            .var("AUTOMAGIK_MASK_LOCAL", "none"),
        "private-argument",
    );
    assert!(kept.contains("private-argument"), "{kept}");
}

#[test]
fn status_shows_what_each_provider_receives_and_where_that_came_from() {
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
        .var("AUTOMAGIK_OBSERVABILITY_PROVIDERS", "otlp,local")
        .var("AUTOMAGIK_MASK", "content")
        .var("AUTOMAGIK_MASK_KEEP", "app.tier");
    env.write_toml("[providers.local]\nmask = \"patterns\"\n");
    let status = env.status_json(&[]);
    let obs = &status["observability"];
    assert_eq!(obs["mask"]["value"], "content");
    assert_eq!(obs["mask"]["source"], "env AUTOMAGIK_MASK");
    assert_eq!(obs["mask_keep"]["value"][0], "app.tier");
    let provider = |name: &str| {
        obs["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(provider("otlp")["mask"]["value"], "content");
    assert_eq!(provider("local")["mask"]["value"], "patterns");
    assert_eq!(provider("local")["mask"]["source"], "tracing.toml:2");
    assert!(
        provider("otlp")["receives"]
            .as_str()
            .unwrap()
            .contains("content masked")
    );

    let text = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains(
            "receives structure only, content masked  (mask content: env AUTOMAGIK_MASK)"
        ),
        "{text}"
    );
}

#[test]
fn an_invalid_mask_mode_is_an_error_naming_the_variable_and_the_modes() {
    TestEnv::new()
        .var("AUTOMAGIK_MASK_LANGFUSE", "everything")
        .cmd()
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`AUTOMAGIK_MASK_LANGFUSE` is `everything`, which is not a mask mode",
        ))
        .stderr(predicates::str::contains("none, patterns, content"));
}

#[test]
fn configure_mask_writes_the_mode_for_all_or_one_provider() {
    let env = TestEnv::new();
    env.cmd()
        .args(["configure", "--mask", "content", "--dry-run"])
        .assert()
        .success()
        .stdout(predicates::str::contains("+mask = \"content\""));
    assert!(!env.config_file().exists(), "--dry-run wrote nothing");

    env.cmd()
        .args(["configure", "--mask", "content"])
        .assert()
        .success();
    env.cmd()
        .args(["configure", "--mask", "none", "--provider", "local"])
        .assert()
        .success();
    let toml = fs::read_to_string(env.config_file()).unwrap();
    assert!(
        toml.contains("[observability]\nmask = \"content\""),
        "{toml}"
    );
    assert!(
        toml.contains("[providers.local]\nmask = \"none\""),
        "{toml}"
    );
    let status = env.status_json(&[]);
    assert_eq!(status["observability"]["mask"]["value"], "content");

    env.cmd()
        .args([
            "configure",
            "--mask",
            "patterns",
            "--provider",
            "langfuse",
            "--scope",
            "project",
        ])
        .assert()
        .success();
    let dotenv = fs::read_to_string(env.env_file()).unwrap();
    assert!(
        dotenv.contains("AUTOMAGIK_MASK_LANGFUSE=patterns"),
        "{dotenv}"
    );

    env.cmd()
        .args(["configure", "--provider", "local", "--set", "x=1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--provider local goes with --mask",
        ));
}

#[test]
fn the_wrapped_commands_arguments_reach_the_provider_with_their_secrets_redacted() {
    let sink = Sink::start();
    let env = TestEnv::new().var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url());
    env.cmd()
        .args(["run", "--wrap", "--", "sh", "-c", "exit 0", "curl"])
        .args(["-H", "Authorization: Bearer tok-abc-123"])
        .arg("https://alice:hunter2@h.example/x?token=t0ken-xyz&page=2")
        .args(["DB_PASSWORD=pw-9", "--password=pw-8", "-u", "bob:pw-7"])
        .arg("--cfg=ghp_abcdefghijklmnop1234")
        .assert()
        .success();
    let bytes = all_bytes(&sink);
    for secret in [
        "tok-abc-123",
        "hunter2",
        "t0ken-xyz",
        "pw-9",
        "pw-8",
        "pw-7",
        "ghp_abcdefghijklmnop1234",
    ] {
        assert!(!contains(&bytes, secret), "`{secret}` left the machine");
    }
    let spans = delivered(&sink);
    let Some(Value::Array(args)) = spans[0].attribute("process.command_args") else {
        panic!("no process.command_args: {:?}", spans[0]);
    };
    let args: Vec<&str> = args.iter().filter_map(Value::as_str).collect();
    for kept in [
        "Authorization: Bearer [REDACTED]",
        "https://[REDACTED]@h.example/x?token=[REDACTED]&page=2",
        "DB_PASSWORD=[REDACTED]",
        "--password=[REDACTED]",
        "bob:[REDACTED]",
        "--cfg=[REDACTED]",
    ] {
        assert!(args.contains(&kept), "no `{kept}` in {args:?}");
    }
}

#[test]
fn content_masking_keeps_openinference_kinds_and_models_and_none_of_the_prompt() {
    let sink = Sink::start();
    let env = TestEnv::new()
        .var("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.url())
        .var("AUTOMAGIK_MASK", "content");
    run_python_example(&env, "pydantic_agent.py", &["--openinference"]);

    let bytes = all_bytes(&sink);
    for text in AGENT_CONTENT {
        assert!(!contains(&bytes, text), "`{text}` left the machine");
    }
    let spans = delivered(&sink);
    let kind = |span: &Span| span.attribute("openinference.span.kind").cloned();
    let agent = find(&spans, "invoke_agent weather");
    assert_eq!(kind(agent), Some(Value::from("AGENT")));
    let chats: Vec<&Span> = spans.iter().filter(|s| s.name == "chat test").collect();
    assert_eq!(chats.len(), 2);
    for chat in chats {
        assert_eq!(kind(chat), Some(Value::from("LLM")));
        assert_eq!(chat.attribute("llm.model_name"), Some(&Value::from("test")));
        assert_eq!(chat.attribute("llm.provider"), Some(&Value::from("test")));
        assert!(matches!(
            chat.attribute("input.value"),
            Some(Value::Str(s)) if s.starts_with("[MASKED len=")
        ));
    }
    let tool = find(&spans, "execute_tool get_forecast");
    assert_eq!(kind(tool), Some(Value::from("TOOL")));
    assert_eq!(
        tool.attribute("tool.name"),
        Some(&Value::from("get_forecast"))
    );
}

#[test]
fn a_token_in_a_url_setting_is_never_echoed() {
    let secret = "sk-hunter2-0123456789";
    for (var, value) in [
        (
            "LANGFUSE_HOST",
            format!("https://lf.example/?token={secret}"),
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("http://bob:{secret}@127.0.0.1:9/v1/traces"),
        ),
        (
            "LANGWATCH_ENDPOINT",
            format!("lw.example/x?api_key={secret}"),
        ),
    ] {
        let env = TestEnv::new()
            .var("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
            .var("LANGFUSE_SECRET_KEY", "sk-lf-secret")
            .var("LANGWATCH_API_KEY", "lw-key")
            .var(var, &value);
        for args in [
            &["status"][..],
            &["status", "--json"],
            &["test-export"],
            &["flush"],
            &["run", "--wrap", "--", "true"],
        ] {
            let out = env.cmd().args(args).output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains(var),
                "{var} {args:?} names the setting: {text}"
            );
            assert!(!text.contains(secret), "{var} {args:?} echoed it: {text}");
        }
    }
}
