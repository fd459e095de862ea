//! Codex's translation, on span trees shaped like those Codex 0.171 sends (recorded from
//! a real run against a fake model server), and its logs.

use std::sync::Arc;

use super::super::tests::event;
use super::super::{LogEvent, RunIds, Translator};
use super::genai::read_logs;
use super::*;
use crate::semantic::{self, Kind};
use crate::span::{Resource, Scope, Span, SpanId, StatusCode, TraceId, Value};

/// Builds spans like Codex's: each with a parent, times, and attributes.
struct Tree {
    trace: TraceId,
    resource: Arc<Resource>,
    scope: Arc<Scope>,
    clock: u64,
}

impl Tree {
    fn new(trace: TraceId) -> Tree {
        Tree {
            trace,
            resource: Arc::new(Resource::service("codex_exec")),
            scope: Arc::new(Scope {
                name: "codex_exec".into(),
                ..Default::default()
            }),
            clock: 1_000_000_000,
        }
    }

    fn span(&mut self, name: &str, parent: Option<SpanId>, attrs: &[(&str, Value)]) -> Span {
        let mut span = Span::start(
            name,
            parent.map(|p| (self.trace, p)),
            self.resource.clone(),
            self.scope.clone(),
        );
        span.trace_id = self.trace;
        span.start_unix_nanos = self.clock;
        self.clock += 1_000_000;
        span.end_unix_nanos = self.clock;
        for (key, value) in attrs {
            span.set(key.to_string(), value.clone());
        }
        span
    }
}

/// The spans of one prompt with one `exec_command` call, in the order Codex exports them
/// (children first), and the ids that matter.
struct Prompt {
    spans: Vec<Span>,
    turn: SpanId,
    attempt: (u64, u64),
}

fn prompt(tree: &mut Tree, run: SpanId, usage_on_spans: bool) -> Prompt {
    let start = tree.span("turn/start", Some(run), &[]);
    let dispatch = tree.span("op.dispatch.turn_input", Some(start.span_id), &[]);
    let input = tree.span("codex.turn_input", Some(dispatch.span_id), &[]);
    let turn = tree.span(
        "session_task.turn",
        Some(input.span_id),
        &[("model", "gpt-5-mini".into())],
    );
    let task = tree.span("session_task.run", Some(turn.span_id), &[]);
    let attempt = tree.span("try_run_sampling_request", Some(task.span_id), &[]);
    let stream = tree.span("stream_request", Some(attempt.span_id), &[]);
    let model = tree.span(
        "model_client.stream_responses_api",
        Some(stream.span_id),
        &[("model", "gpt-5-mini".into())],
    );
    let receiving = tree.span("receiving_stream", Some(attempt.span_id), &[]);
    let mut usage = vec![("codex.request.reasoning_effort", "default".into())];
    if usage_on_spans {
        usage.extend([
            ("gen_ai.usage.input_tokens", Value::Int(1200)),
            ("gen_ai.usage.cache_read.input_tokens", Value::Int(200)),
            ("gen_ai.usage.output_tokens", Value::Int(30)),
            ("codex.usage.reasoning_output_tokens", Value::Int(0)),
        ]);
    }
    let handle = tree.span("handle_responses", Some(receiving.span_id), &usage);
    let item_done = tree.span("handle_output_item_done", Some(handle.span_id), &[]);
    let tool = tree.span(
        "exec_command",
        Some(item_done.span_id),
        &[
            ("tool_name", "exec_command".into()),
            ("call_id", "call_1".into()),
            ("conversation.id", "conv-1".into()),
        ],
    );
    let under_tool = tree.span("dispatch_tool_call_with_state", Some(tool.span_id), &[]);
    let mut attempt = attempt;
    // The attempt spans its children's time, as the real one does.
    attempt.end_unix_nanos = tree.clock;
    let attempt_times = (attempt.start_unix_nanos, attempt.end_unix_nanos);
    let turn_id = turn.span_id;
    let orphan = tree.span("auth", None, &[]);
    let mut orphan = orphan;
    orphan.trace_id = TraceId::random();
    Prompt {
        // Children first, as Codex exports them; the turn's ancestors last.
        spans: vec![
            orphan, model, stream, under_tool, tool, item_done, handle, receiving, attempt, task,
            turn, input, dispatch, start,
        ],
        turn: turn_id,
        attempt: attempt_times,
    }
}

fn by_name<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(spans)))
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

fn tool_result_log(call: &str, success: &str) -> Vec<LogEvent> {
    vec![event(
        5,
        &[
            ("event.name", "codex.tool_result".into()),
            ("call_id", call.into()),
            ("success", success.into()),
        ],
    )]
}

fn translator(trace_id: TraceId, run_span: SpanId) -> Codex {
    Codex::new(RunIds { trace_id, run_span })
}

#[test]
fn a_prompt_becomes_its_turn_model_request_and_tool_call_under_the_run() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let prompt = prompt(&mut tree, run, true);
    let total = prompt.spans.len() as u64;
    let mut translator = translator(trace, run);
    let mut spans = prompt.spans;
    let later = spans.split_off(6);
    // Children arrive before their ancestors: nothing can be placed yet.
    assert_eq!(names(&translator.spans(spans)), Vec::<&str>::new());
    let mut out = translator.spans(later);
    assert_eq!(
        names(&out),
        ["model_client.stream_responses_api", "session_task.turn"],
        "the tool waits for its outcome"
    );
    out.extend(translator.logs(&tool_result_log("call_1", "true")));
    assert_eq!(out.len(), 3, "{:?}", names(&out));

    let turn = by_name(&out, "session_task.turn");
    assert_eq!(turn.parent_span_id, Some(run));
    assert_eq!(semantic::read(turn).kind, Kind::Agent);
    assert_eq!(
        turn.attribute("gen_ai.agent.name"),
        Some(&Value::from("codex"))
    );

    let model = by_name(&out, "model_client.stream_responses_api");
    assert_eq!(model.parent_span_id, Some(prompt.turn));
    let meaning = semantic::read(model);
    assert_eq!(meaning.kind, Kind::Llm);
    assert_eq!(meaning.model(), Some("gpt-5-mini"));
    assert_eq!(meaning.tokens.input, Some(1200));
    assert_eq!(meaning.tokens.output, Some(30));
    assert_eq!(meaning.tokens.cache_read, Some(200));
    let cost = semantic::price(&meaning, model.start_unix_nanos).expect("gpt-5-mini is priced");
    assert!(cost.dollars > 0.0 && !cost.carried, "{cost:?}");
    assert!(
        model.end_unix_nanos >= by_name(&out, "session_task.turn").start_unix_nanos,
        "the request lasts until its response completed"
    );

    let tool = by_name(&out, "exec_command");
    assert_eq!(tool.parent_span_id, Some(prompt.turn));
    let meaning = semantic::read(tool);
    assert_eq!(meaning.kind, Kind::Tool);
    assert_eq!(meaning.tool.as_deref(), Some("exec_command"));
    assert_eq!(meaning.session.as_deref(), Some("conv-1"));
    assert_eq!(tool.status.code, StatusCode::Ok);

    let tally = translator.tally();
    assert_eq!(tally.dropped, total - 3);
    assert_eq!(
        tally.joined, 2,
        "the request's usage and the tool's outcome"
    );
    assert_eq!(
        tally.reparented, 3,
        "each kept span under its nearest kept ancestor"
    );
}

#[test]
fn usage_comes_from_the_response_completed_log_when_the_spans_lack_it() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let prompt = prompt(&mut tree, run, false);
    let mut translator = translator(trace, run);
    let out = translator.spans(prompt.spans);
    assert_eq!(names(&out), ["session_task.turn"]);
    let completed = (prompt.attempt.0 + prompt.attempt.1) / 2;
    let record = |kind: &str, input: &str| {
        event(
            completed,
            &[
                ("event.name", "codex.sse_event".into()),
                ("event.kind", kind.into()),
                ("input_token_count", input.into()),
                ("output_token_count", "30".into()),
                ("cached_token_count", Value::Int(200)),
            ],
        )
    };
    let events = [
        record("response.created", "1"),
        record("response.completed", "1200"),
    ];
    assert_eq!(
        read_logs(&events).usages.len(),
        1,
        "only response.completed counts"
    );
    let out = translator.logs(&events);
    let model = by_name(&out, "model_client.stream_responses_api");
    let meaning = semantic::read(model);
    assert_eq!(
        (
            meaning.tokens.input,
            meaning.tokens.output,
            meaning.tokens.cache_read
        ),
        (Some(1200), Some(30), Some(200))
    );
    // The tool's outcome never came: at the end it goes as it is.
    let rest = translator.finish();
    assert_eq!(names(&rest), ["exec_command"]);
    assert_eq!(rest[0].status.code, StatusCode::Unset);
    assert_eq!(rest[0].parent_span_id, Some(prompt.turn));
}

#[test]
fn a_failed_tool_call_is_an_error() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let prompt = prompt(&mut tree, run, true);
    let mut translator = translator(trace, run);
    let mut out = translator.logs(&tool_result_log("call_1", "false"));
    out.extend(translator.spans(prompt.spans));
    assert_eq!(by_name(&out, "exec_command").status.code, StatusCode::Error);
}

#[test]
fn what_is_held_at_the_end_goes_under_the_nearest_ancestor_known() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let prompt = prompt(&mut tree, run, true);
    let mut translator = translator(trace, run);
    // The turn's ancestors never arrive (Codex was killed before exporting them).
    let spans: Vec<Span> = prompt
        .spans
        .into_iter()
        .filter(|s| s.name != "codex.turn_input")
        .collect();
    // What hangs under the turn is placed; the turn waits for its parent.
    let mut out = translator.spans(spans);
    assert_eq!(names(&out), ["model_client.stream_responses_api"]);
    out.extend(translator.logs(&tool_result_log("call_1", "true")));
    assert_eq!(out.len(), 2, "{:?}", names(&out));
    out.extend(translator.finish());
    assert_eq!(out.len(), 3);
    assert_eq!(by_name(&out, "session_task.turn").parent_span_id, Some(run));
    assert_eq!(by_name(&out, "session_task.turn").trace_id, trace);
    assert_eq!(
        by_name(&out, "exec_command").parent_span_id,
        Some(prompt.turn)
    );
    assert!(translator.finish().is_empty(), "nothing is handed on twice");
}

#[test]
fn an_internal_span_that_failed_is_kept_under_its_kept_ancestor() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let turn = tree.span("session_task.turn", Some(run), &[]);
    let middle = tree.span("run_turn", Some(turn.span_id), &[]);
    let mut failed = tree.span("handle_response_stream_error", Some(middle.span_id), &[]);
    failed.status.code = StatusCode::Error;
    let mut translator = translator(trace, run);
    let out = translator.spans(vec![failed, middle, turn.clone()]);
    assert_eq!(
        names(&out),
        ["handle_response_stream_error", "session_task.turn"]
    );
    assert_eq!(out[0].parent_span_id, Some(turn.span_id));
    assert_eq!(translator.tally().dropped, 1);
}

#[test]
fn a_tool_call_whose_outcome_never_comes_waits_only_so_long() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let prompt = prompt(&mut tree, run, true);
    let mut translator = translator(trace, run);
    let out = translator.spans(prompt.spans);
    assert!(!names(&out).contains(&"exec_command"));
    // A second prompt, a minute later in Codex's time, and still no outcome for the first.
    tree.clock += 60_000_000_000;
    let later = tree.span("fs.read_file", None, &[]);
    let out = translator.spans(vec![later]);
    assert_eq!(names(&out), ["exec_command"]);
    assert_eq!(out[0].status.code, StatusCode::Unset);
    assert_eq!(out[0].parent_span_id, Some(prompt.turn));
}

#[test]
fn a_request_that_failed_to_connect_is_an_error_without_usage() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let turn = tree.span("session_task.turn", Some(run), &[]);
    let attempt = tree.span("try_run_sampling_request", Some(turn.span_id), &[]);
    let request = tree.span(
        "model_client.stream_responses_websocket",
        Some(attempt.span_id),
        &[("model", "gpt-5-mini".into())],
    );
    let connection = tree.span(
        "model_client.websocket_connection",
        Some(request.span_id),
        &[],
    );
    let mut translator = translator(trace, run);
    let out = translator.spans(vec![connection.clone(), request, attempt, turn]);
    assert_eq!(names(&out), ["session_task.turn"], "the request waits");
    let mut failed = event(
        tree.clock,
        &[
            ("event.name", "codex.websocket_connect".into()),
            ("http.response.status_code", Value::Int(404)),
            ("success", "false".into()),
            ("error.message", "http 404".into()),
        ],
    );
    failed.span = Some((trace, connection.span_id));
    let out = translator.logs(&[failed]);
    let request = by_name(&out, "model_client.stream_responses_websocket");
    assert_eq!(request.status.code, StatusCode::Error);
    assert_eq!(request.status.message, "http 404");
    assert_eq!(request.attribute("error.type"), Some(&Value::from("404")));
    assert_eq!(semantic::read(request).tokens.input, None);
}

#[test]
fn spans_whose_ancestry_never_comes_are_held_only_so_many() {
    let (trace, run) = (TraceId::random(), SpanId::random());
    let mut tree = Tree::new(trace);
    let mut translator = translator(trace, run);
    // Turns whose parents (Codex's dispatch spans) never arrive.
    let turns: Vec<Span> = (0..translate::HELD_MAX + 10)
        .map(|_| tree.span("session_task.turn", Some(SpanId::random()), &[]))
        .collect();
    let first = turns[0].span_id;
    let out = translator.spans(turns);
    assert_eq!(out.len(), 10, "the oldest past the cap go on");
    assert_eq!(out[0].span_id, first);
    assert_eq!(out[0].parent_span_id, Some(run));
    assert_eq!(translator.finish().len(), translate::HELD_MAX);
}
