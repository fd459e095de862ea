//! Golden traces from real instrumentations, each run as a wrapped child into the local
//! store and read back with `traces show --json` and `traces list --json`: an Agno agent
//! (OpenInference), OpenLLMetry's OpenAI instrumentation, the Langfuse SDK and Logfire's
//! OpenAI instrumentation, the three that call a model calling a fake OpenAI server on
//! loopback (`tests/python/fake_openai.py`). Each checks what the semantic layer makes of
//! the spans: kinds, model, tokens, the cost in dollars (genai-prices), the tool, and that
//! everything nests under the run span.

use std::path::Path;

use serde_json::Value as Json;

use crate::interop::{python, traceloop_python};
use crate::testenv::TestEnv;

/// gpt-4o-mini's price per token: input, input read from the cache, output.
const INPUT_PRICE: f64 = 0.15e-6;
const CACHE_READ_PRICE: f64 = 0.075e-6;
const OUTPUT_PRICE: f64 = 0.60e-6;
/// The token counts the fake server reports: the tool call, then the final answer.
const CALLS: [(u64, u64); 2] = [(52, 12), (90, 9)];
/// Of each call's input tokens, those read from the prompt cache.
const CACHED: u64 = 32;

/// A call's price, `CACHED` of its `input` tokens read from the cache.
fn dollars(input: u64, output: u64) -> f64 {
    (input - CACHED) as f64 * INPUT_PRICE
        + CACHED as f64 * CACHE_READ_PRICE
        + output as f64 * OUTPUT_PRICE
}

/// The whole trace's price.
fn total_dollars() -> f64 {
    CALLS
        .iter()
        .map(|&(input, output)| dollars(input, output))
        .sum()
}

/// What one instrumentation's trace must show besides its two LLM calls.
struct Expected {
    /// The kind and name of the span the LLM calls sit under.
    parent: (&'static str, &'static str),
    /// Whether the instrumentation makes a span for the tool call.
    tool_span: bool,
}

/// Runs `tests/python/SCRIPT` wrapped (local store) and returns `traces show last --json`.
fn wrapped_golden(env: &TestEnv, python: &Path, script: &str) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let out = env
        .cmd()
        .args(["run", "--"])
        .arg(python)
        .arg(&script)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // (OpenLLMetry writes a colour reset to stdout first.)
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("It is sunny in Paris.\n"),
        "{stdout}{stderr}"
    );
    json(env, &["traces", "show", "last", "--json"])
}

fn json(env: &TestEnv, args: &[&str]) -> Json {
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_close(actual: &Json, expected: f64, what: &str) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{what}: no cost"));
    assert!(
        (actual - expected).abs() < 1e-12,
        "{what}: ${actual} is not ${expected}"
    );
}

/// The checks every golden shares: the run span is the only root, the LLM calls (model,
/// tokens, cost) and the tool nest under the instrumentation's parent span, and the trace's
/// totals add up, in `traces show` and `traces list`.
fn assert_golden(env: &TestEnv, trace: &Json, expected: &Expected) {
    let spans = trace["spans"].as_array().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let run = &spans[0];
    assert_eq!(run["scope"]["name"], "automagik-tracing", "{names:?}");
    assert!(
        spans[1..]
            .iter()
            .all(|s| s["trace_id"] == run["trace_id"] && s["depth"].as_u64() >= Some(1)),
        "everything nests under the run span: {names:?}"
    );
    let of_kind = |kind: &str| -> Vec<&Json> {
        spans
            .iter()
            .filter(|s| s["gen_ai"]["kind"] == kind)
            .collect()
    };
    let (parent_kind, parent_name) = expected.parent;
    let parent = spans
        .iter()
        .find(|s| s["name"] == parent_name)
        .unwrap_or_else(|| panic!("no {parent_name} in {names:?}"));
    assert_eq!(parent["gen_ai"]["kind"], parent_kind, "{parent}");
    assert_eq!(parent["parent_span_id"], run["span_id"], "{names:?}");
    let llms = of_kind("llm");
    assert_eq!(llms.len(), 2, "{names:?}");
    for (llm, (input, output)) in llms.iter().zip(CALLS) {
        let gen_ai = &llm["gen_ai"];
        assert!(
            gen_ai["model"]
                .as_str()
                .is_some_and(|m| m.starts_with("gpt-4o-mini")),
            "{gen_ai}"
        );
        assert_eq!(
            (
                &gen_ai["input_tokens"],
                &gen_ai["cache_read_tokens"],
                &gen_ai["output_tokens"]
            ),
            (&Json::from(input), &Json::from(CACHED), &Json::from(output)),
            "{gen_ai}"
        );
        assert_close(&gen_ai["cost"], dollars(input, output), "the LLM call");
        assert_eq!(llm["parent_span_id"], parent["span_id"], "{names:?}");
    }
    let tools = of_kind("tool");
    if expected.tool_span {
        assert_eq!(tools.len(), 1, "{names:?}");
        assert_eq!(tools[0]["gen_ai"]["tool"], "get_weather");
        assert_eq!(tools[0]["parent_span_id"], parent["span_id"]);
    } else {
        assert!(tools.is_empty(), "{names:?}");
    }
    let total = total_dollars();
    let summary = trace;
    assert_eq!(
        (
            &summary["input_tokens"],
            &summary["cache_read_tokens"],
            &summary["output_tokens"]
        ),
        (&Json::from(142), &Json::from(2 * CACHED), &Json::from(21)),
        "{summary}"
    );
    assert_close(&summary["cost"], total, "the trace");
    let models = summary["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{summary}");
    assert_close(&models[0]["cost"], total, "the model");
    let listed = &json(env, &["traces", "list", "--json"])["traces"][0];
    assert_eq!(listed["trace_id"], run["trace_id"]);
    assert_eq!(listed["input_tokens"], 142);
    assert_close(&listed["cost"], total, "the listed trace");
}

#[test]
fn an_agno_agent_with_openinference_shows_its_calls_tokens_cost_and_tool() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let trace = wrapped_golden(&env, python(), "agno_child.py");
    let expected = Expected {
        parent: ("agent", "weather.run"),
        tool_span: true,
    };
    assert_golden(&env, &trace, &expected);
}

#[test]
fn openllmetry_with_its_openai_instrumentation_shows_its_calls_tokens_cost_and_tool() {
    let env = TestEnv::new()
        .var("DO_NOT_TRACK", "1")
        // OpenLLMetry traces nothing without it (see wrap_sdks.rs); spans still go to the
        // OTEL_EXPORTER_OTLP_ENDPOINT the wrapper gives.
        .var("TRACELOOP_BASE_URL", "http://127.0.0.1:9")
        .var("TRACELOOP_TELEMETRY", "false");
    let trace = wrapped_golden(&env, traceloop_python(), "traceloop_openai_child.py");
    let expected = Expected {
        parent: ("chain", "weather.workflow"),
        tool_span: true,
    };
    assert_golden(&env, &trace, &expected);
}

#[test]
fn the_langfuse_sdk_pointed_at_the_receiver_shows_its_generations_and_tool() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let trace = wrapped_golden(&env, python(), "langfuse_child.py");
    let expected = Expected {
        parent: ("agent", "weather"),
        tool_span: true,
    };
    assert_golden(&env, &trace, &expected);
}

#[test]
fn logfire_with_its_openai_instrumentation_shows_its_calls_tokens_and_cost() {
    // Off a terminal (100 columns): each call's tokens and cost still show beside its long
    // name and model.
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    let trace = wrapped_golden(&env, python(), "logfire_child.py");
    let expected = Expected {
        parent: ("other", "weather agent"),
        tool_span: false,
    };
    assert_golden(&env, &trace, &expected);
    let out = env.cmd().args(["traces", "show", "last"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let calls: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Chat Completion"))
        .collect();
    assert_eq!(calls.len(), 2, "{text}");
    let costs: Vec<f64> = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["gen_ai"]["cost"].as_f64())
        .collect();
    for ((line, (input, output)), cost) in calls.iter().zip(CALLS).zip(costs) {
        assert!(
            line.contains(&format!("{input} in ({CACHED} cached) / {output} out")),
            "{text}"
        );
        assert!(line.contains(&format!("${cost:.6}")), "{text}");
    }
}

#[test]
fn status_shows_the_last_runs_model_calls_tokens_and_cost() {
    let env = TestEnv::new().var("DO_NOT_TRACK", "1");
    wrapped_golden(&env, python(), "agno_child.py");
    let gen_ai = &env.status_json(&[])["last_run"]["gen_ai"];
    assert_eq!(gen_ai["calls"], 2, "{gen_ai}");
    assert_eq!(
        (&gen_ai["input_tokens"], &gen_ai["output_tokens"]),
        (&Json::from(142), &Json::from(21)),
        "{gen_ai}"
    );
    assert_close(&gen_ai["cost"], total_dollars(), "the run");
    assert_eq!(gen_ai["cache_read_tokens"], 2 * CACHED);
    assert_eq!(gen_ai["unpriced_calls"], 0);
    let out = env.cmd().arg("status").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "model calls: 2 · 142 in (64 cached) / 21 out tokens · cost ${:.6}",
            total_dollars()
        )),
        "{text}"
    );
}
