//! The Gemini CLI translator on spans and events shaped as Gemini CLI 0.61.0 sends them.

use super::*;

fn gemini_span(name: &str, start: u64, operation: &str) -> Span {
    let mut span = span(
        "gemini-cli",
        "gemini-cli",
        name,
        &[
            ("gen_ai.operation.name", s(operation)),
            ("gen_ai.conversation.id", s("sess")),
            ("gen_ai.usage.input_tokens", Value::Int(120)),
        ],
    );
    span.start_unix_nanos = start;
    span.end_unix_nanos = start + 100 * MS;
    span
}

/// A Gemini CLI run from `t`: two prompts, a model call and a failed tool call in the
/// first, a model call in the second, a usage event and a span of someone else's.
fn gemini_run(t: u64) -> (Vec<Span>, Box<dyn Translator>) {
    let mut gemini = Agent::Gemini.translator(RUN);
    let prompt = |time: u64, id: &str| {
        event(
            time,
            &[
                ("event.name", s("gemini_cli.user_prompt")),
                ("session.id", s("sess")),
                ("prompt_id", s(id)),
            ],
        )
    };
    let first = gemini_span("llm_call", t + 10 * MS, "llm_call");
    let mut tool = gemini_span("tool_call", t + 200 * MS, "tool_call");
    tool.status = Status {
        code: StatusCode::Error,
        message: "exit 1".into(),
    };
    let second = gemini_span("llm_call", t + 5_000 * MS, "llm_call");
    let other = span("other", "someone-else", "unrelated", &[]);
    assert_eq!(
        gemini.spans(vec![first, tool, second, other]).len(),
        1,
        "held until the end"
    );
    let response = event(
        t + 110 * MS,
        &[
            ("event.name", s("gemini_cli.api_response")),
            ("input_token_count", Value::Int(120)),
            ("cached_content_token_count", Value::Int(40)),
            ("model", s("gemini-2.5-flash")),
        ],
    );
    gemini.logs(&[
        prompt(t, "sess########1"),
        prompt(t + 4_000 * MS, "sess########2"),
        response,
    ]);
    (gemini.finish(), gemini)
}

#[test]
fn gemini_clis_traces_go_under_the_prompt_they_began_in() {
    let t = 1_800_000_000_000 * MS;
    let (spans, _) = gemini_run(t);
    let prompts: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "gemini_cli.prompt")
        .collect();
    assert_eq!(prompts.len(), 2);
    let parent_of = |start: u64| {
        let span = spans
            .iter()
            .find(|s| s.start_unix_nanos == start && s.name != "gemini_cli.prompt")
            .unwrap();
        assert_eq!(span.trace_id, RUN.trace_id);
        spans
            .iter()
            .find(|p| Some(p.span_id) == span.parent_span_id)
            .unwrap()
    };
    assert_eq!(
        parent_of(t + 10 * MS).attribute("prompt_id"),
        Some(&s("sess########1"))
    );
    assert_eq!(
        parent_of(t + 200 * MS).attribute("prompt_id"),
        Some(&s("sess########1"))
    );
    assert_eq!(
        parent_of(t + 5_000 * MS).attribute("prompt_id"),
        Some(&s("sess########2"))
    );
    for prompt in prompts {
        assert_eq!(prompt.parent_span_id, Some(RUN.run_span));
    }
}

#[test]
fn gemini_clis_calls_take_their_usage_events_and_failed_tools_are_marked() {
    let t = 1_800_000_000_000 * MS;
    let (spans, gemini) = gemini_run(t);
    let first = spans
        .iter()
        .find(|s| s.start_unix_nanos == t + 10 * MS)
        .unwrap();
    assert_eq!(
        first.attribute("gen_ai.operation.name"),
        Some(&s("generate_content"))
    );
    assert_eq!(
        first.attribute("gen_ai.usage.cache_read.input_tokens"),
        Some(&Value::Int(40))
    );
    let tool = spans.iter().find(|s| s.name == "tool_call").unwrap();
    assert_eq!(tool.attribute("success"), Some(&Value::Bool(false)));
    assert_eq!(gemini.tally().reparented, 3);
}
