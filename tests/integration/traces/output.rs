//! What `traces list` and `traces show` print for the golden store, against the files
//! under `tests/golden/`, and the documented shape of `traces show --json`.

use serde_json::Value as Json;

use super::{AGENT_TRACE, env, golden, stdout_of, write_store};

#[test]
fn list_matches_the_golden_file() {
    let (env, store) = env();
    write_store(&store);
    golden("traces-list.txt", &stdout_of(&env, &["traces", "list"]));
}

#[test]
fn show_matches_the_golden_files() {
    let (env, store) = env();
    write_store(&store);
    let text = stdout_of(&env, &["traces", "show", "4bf92f35"]);
    golden("traces-show.txt", &text);
    assert_eq!(stdout_of(&env, &["traces", "show", "last"]), text);
    golden(
        "traces-show.json",
        &stdout_of(&env, &["traces", "show", AGENT_TRACE, "--json"]),
    );
}

#[test]
fn show_json_has_the_documented_shape() {
    let (env, store) = env();
    write_store(&store);
    let json: Json =
        serde_json::from_str(&stdout_of(&env, &["traces", "show", "last", "--json"])).unwrap();
    assert_eq!(json["trace_id"], AGENT_TRACE);
    assert_eq!(json["start_time"], "2026-01-05T14:03:22.000000000Z");
    assert_eq!(json["span_count"], 6);
    assert_eq!(
        (json["errors"].clone(), json["orphans"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(
        (json["input_tokens"].clone(), json["output_tokens"].clone()),
        (1250.into(), 300.into())
    );
    let spans = json["spans"].as_array().unwrap();
    let names: Vec<(&str, u64)> = spans
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("invoke_agent support", 0),
            ("chat gpt-4o", 1),
            ("execute_tool search", 2),
            ("chat gpt-4o-mini", 1),
            ("execute_tool fetch_page", 1),
            ("late callback", 0),
        ]
    );
    assert_eq!(spans[5]["orphan"], true);
    assert_eq!(spans[3]["status"]["code"], "error");
    assert_eq!(spans[1]["attributes"]["gen_ai.usage.input_tokens"], 1200);
    assert_eq!(spans[1]["kind"], "client");
    assert_eq!(spans[1]["parent_span_id"], spans[0]["span_id"]);
    assert_eq!(spans[1]["duration_ms"], 800.0);
    assert_eq!(spans[1]["gen_ai"]["kind"], "llm");
    assert_eq!(spans[1]["gen_ai"]["input_tokens"], 1200);
    assert_eq!(spans[1]["gen_ai"]["cost"], 0.0105);
    assert_eq!(spans[2]["gen_ai"]["kind"], "tool");
    assert_eq!(spans[2]["gen_ai"]["tool"], "search");
    assert_eq!(spans[0]["gen_ai"]["kind"], "agent");

    let list: Json =
        serde_json::from_str(&stdout_of(&env, &["traces", "list", "--json", "-n", "2"])).unwrap();
    let traces = list["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0]["trace_id"], AGENT_TRACE);
    // The gpt-4o call carries its cost ($0.0105); the gpt-4o-mini call (50 in, 0 out) is
    // priced from the bundled price data.
    let cost = traces[0]["cost"].as_f64().unwrap();
    assert!(cost > 0.0105 && cost < 0.011, "{cost}");
    assert_eq!(traces[0]["models"][0]["model"], "gpt-4o-2024-08-06");
    assert_eq!(traces[1]["trace_id"], "c0ffee00000000000000000000000001");
    assert_eq!(traces[1]["root_name"], Json::Null);
    assert_eq!(traces[1]["name"], "chat claude");
}
