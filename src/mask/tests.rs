//! The masker's behaviour on hand-made spans, mode by mode.

use std::sync::Arc;

use super::*;
use crate::span::{Event, Link, Resource, Scope, SpanId, Status, StatusCode, TraceId};

fn chat_span() -> Span {
    let resource = Arc::new(Resource {
        attributes: vec![
            Attribute::new("service.name", "agent"),
            Attribute::new("host.name", "bob@laptop.example.com"),
        ],
        schema_url: String::new(),
    });
    let mut span = Span::start("chat gpt-4o", None, resource, Arc::new(Scope::default()));
    span.set("gen_ai.operation.name", "chat")
        .set("gen_ai.request.model", "gpt-4o")
        .set("gen_ai.usage.input_tokens", 12i64)
        .set("gen_ai.request.temperature", 0.5)
        .set("stream", true)
        .set("gen_ai.input.messages", "What is the weather in Lisbon?")
        .set("final_result", "Sunny")
        .set(
            "http.url",
            "https://api.example.com/v1?key=sk-abcdefgh12345678",
        );
    span
}

fn attr<'a>(span: &'a Span, key: &str) -> &'a Value {
    span.attribute(key).unwrap_or_else(|| panic!("no {key}"))
}

fn masked_by(mode: MaskMode, mut span: Span) -> Span {
    Masker::new(mode, &[]).mask(&mut span).unwrap();
    span
}

#[test]
fn content_keeps_structural_strings_and_masks_every_other() {
    let span = masked_by(MaskMode::Content, chat_span());
    assert_eq!(attr(&span, "gen_ai.operation.name"), &Value::from("chat"));
    assert_eq!(attr(&span, "gen_ai.request.model"), &Value::from("gpt-4o"));
    assert_eq!(
        attr(&span, "gen_ai.input.messages"),
        &Value::from("[MASKED len=30]")
    );
    // A name nobody listed is masked all the same.
    assert_eq!(attr(&span, "final_result"), &Value::from("[MASKED len=5]"));
}

#[test]
fn content_keeps_numbers_booleans_names_ids_and_timing() {
    let before = chat_span();
    let span = masked_by(MaskMode::Content, before.clone());
    assert_eq!(attr(&span, "gen_ai.usage.input_tokens"), &Value::Int(12));
    assert_eq!(
        attr(&span, "gen_ai.request.temperature"),
        &Value::Double(0.5)
    );
    assert_eq!(attr(&span, "stream"), &Value::Bool(true));
    assert_eq!(span.name, before.name);
    assert_eq!(
        (
            span.trace_id,
            span.span_id,
            span.start_unix_nanos,
            span.end_unix_nanos
        ),
        (
            before.trace_id,
            before.span_id,
            before.start_unix_nanos,
            before.end_unix_nanos
        )
    );
}

#[test]
fn content_applies_patterns_to_the_strings_it_keeps() {
    let mut span = chat_span();
    span.set("gen_ai.conversation.id", "for ana@example.com");
    let span = masked_by(MaskMode::Content, span);
    assert_eq!(
        attr(&span, "gen_ai.conversation.id"),
        &Value::from("for [REDACTED:email]")
    );
}

#[test]
fn content_keeps_a_urls_structure_without_userinfo_query_or_fragment() {
    let mut span = chat_span();
    span.set(
        "url.full",
        "https://bob:hunter2@api.example.com:8443/v1/chat?q=Lisbon#top",
    );
    let span = masked_by(MaskMode::Content, span);
    assert_eq!(
        attr(&span, "http.url"),
        &Value::from("https://api.example.com/v1")
    );
    assert_eq!(
        attr(&span, "url.full"),
        &Value::from("https://api.example.com:8443/v1/chat")
    );
}

#[test]
fn content_masks_http_bodies_and_headers_and_keeps_http_structure() {
    let mut span = chat_span();
    span.set("http.request.body.text", "{\"prompt\": \"Lisbon\"}")
        .set("http.response.body.text", "Sunny")
        .set("http.request.header.authorization", "Bearer abc")
        .set("http.request.method", "POST")
        .set("http.route", "/v1/chat")
        .set("http.response.status_code", 200i64)
        .set("server.address", "api.example.com")
        .set("url.query", "q=Lisbon");
    let span = masked_by(MaskMode::Content, span);
    for key in [
        "http.request.body.text",
        "http.response.body.text",
        "http.request.header.authorization",
        "url.query",
    ] {
        assert!(
            matches!(attr(&span, key), Value::Str(s) if s.starts_with("[MASKED len=")),
            "{key}: {:?}",
            attr(&span, key)
        );
    }
    assert_eq!(attr(&span, "http.request.method"), &Value::from("POST"));
    assert_eq!(attr(&span, "http.route"), &Value::from("/v1/chat"));
    assert_eq!(attr(&span, "http.response.status_code"), &Value::Int(200));
    assert_eq!(
        attr(&span, "server.address"),
        &Value::from("api.example.com")
    );
}

#[test]
fn content_keeps_the_kind_and_model_keys_of_other_instrumentations() {
    let kept = [
        ("openinference.span.kind", "LLM"),
        ("llm.model_name", "gpt-4o"),
        ("llm.provider", "openai"),
        ("llm.system", "openai"),
        ("tool.name", "get_forecast"),
        ("traceloop.span.kind", "workflow"),
        ("langfuse.observation.type", "generation"),
        ("langfuse.observation.model.name", "gpt-4o"),
    ];
    let mut span = chat_span();
    for (key, value) in kept {
        span.set(key, value);
    }
    span.set("input.value", "What is the weather in Lisbon?");
    let span = masked_by(MaskMode::Content, span);
    for (key, value) in kept {
        assert_eq!(attr(&span, key), &Value::from(value), "{key}");
    }
    assert_eq!(attr(&span, "input.value"), &Value::from("[MASKED len=30]"));
}

#[test]
fn resource_attributes_are_left_as_they_are() {
    let before = chat_span();
    for mode in [MaskMode::Patterns, MaskMode::Content] {
        let span = masked_by(mode, before.clone());
        assert_eq!(span.resource, before.resource, "{mode}");
    }
}

#[test]
fn content_masks_each_string_in_arrays_maps_and_bytes() {
    let mut span = chat_span();
    span.set(
        "tool_arguments",
        Value::Map(vec![
            Attribute::new("city", "Lisbon"),
            Attribute::new("days", 3i64),
            Attribute::new("tags", Value::Array(vec!["a".into(), "bb".into()])),
        ]),
    )
    .set("blob", Value::Bytes(b"secret".to_vec()))
    .set(
        "gen_ai.response.finish_reasons",
        Value::Array(vec!["stop".into()]),
    );
    let span = masked_by(MaskMode::Content, span);
    assert_eq!(
        attr(&span, "tool_arguments"),
        &Value::Map(vec![
            Attribute::new("city", "[MASKED len=6]"),
            Attribute::new("days", 3i64),
            Attribute::new(
                "tags",
                Value::Array(vec!["[MASKED len=1]".into(), "[MASKED len=2]".into()])
            ),
        ])
    );
    assert_eq!(attr(&span, "blob"), &Value::from("[MASKED len=6]"));
    assert_eq!(
        attr(&span, "gen_ai.response.finish_reasons"),
        &Value::Array(vec!["stop".into()])
    );
}

#[test]
fn content_masks_status_messages_and_event_and_link_attributes() {
    let mut span = chat_span();
    span.status = Status {
        code: StatusCode::Error,
        message: "cannot parse 'my prompt'".into(),
    };
    span.events.push(Event {
        name: "exception".into(),
        time_unix_nanos: 7,
        attributes: vec![
            Attribute::new("exception.type", "ValueError"),
            Attribute::new("exception.message", "bad prompt text"),
        ],
    });
    span.links.push(Link {
        trace_id: TraceId::random(),
        span_id: SpanId::random(),
        trace_state: String::new(),
        attributes: vec![Attribute::new("note", "private")],
    });
    let span = masked_by(MaskMode::Content, span);
    assert_eq!(span.status.code, StatusCode::Error);
    assert_eq!(span.status.message, "[MASKED len=24]");
    let event = &span.events[0];
    assert_eq!(event.name, "exception");
    assert_eq!(event.attributes[0].value, Value::from("ValueError"));
    assert_eq!(event.attributes[1].value, Value::from("[MASKED len=15]"));
    assert_eq!(
        span.links[0].attributes[0].value,
        Value::from("[MASKED len=7]")
    );
}

#[test]
fn an_empty_status_message_stays_empty() {
    let span = masked_by(MaskMode::Content, chat_span());
    assert_eq!(span.status.message, "");
}

#[test]
fn keep_list_adds_exact_keys_and_prefixes() {
    let keep = vec!["final_result".to_string(), "app.*".to_string()];
    let masker = Masker::new(MaskMode::Content, &keep);
    assert!(masker.keeps("final_result"));
    assert!(masker.keeps("app.user_tier"));
    assert!(masker.keeps("http.request.method"));
    assert!(!masker.keeps("final_result.extra"));
    assert!(!masker.keeps("application"));
    let mut span = chat_span();
    span.set("app.user_tier", "gold");
    masker.mask(&mut span).unwrap();
    assert_eq!(attr(&span, "final_result"), &Value::from("Sunny"));
    assert_eq!(attr(&span, "app.user_tier"), &Value::from("gold"));
}

#[test]
fn patterns_redacts_in_every_string_and_keeps_the_rest() {
    let mut span = chat_span();
    span.name = "call for bob@example.com".into();
    span.set("user", "bob@example.com")
        .set(
            "nested",
            Value::Map(vec![Attribute::new(
                "ips",
                Value::Array(vec!["10.1.2.3".into()]),
            )]),
        )
        .set("raw", Value::Bytes(b"ssn 123-45-6789".to_vec()));
    span.status.message = "card 4111 1111 1111 1111 declined".into();
    span.events.push(Event {
        name: "log".into(),
        time_unix_nanos: 1,
        attributes: vec![Attribute::new("line", "token sk-abcdefgh12345678")],
    });
    let span = masked_by(MaskMode::Patterns, span);
    assert_eq!(span.name, "call for [REDACTED:email]");
    assert_eq!(attr(&span, "user"), &Value::from("[REDACTED:email]"));
    assert_eq!(
        attr(&span, "nested"),
        &Value::Map(vec![Attribute::new(
            "ips",
            Value::Array(vec!["[REDACTED:ip]".into()])
        )])
    );
    assert_eq!(
        attr(&span, "raw"),
        &Value::Bytes(b"ssn [REDACTED:ssn]".to_vec())
    );
    assert_eq!(span.status.message, "card [REDACTED:card] declined");
    assert_eq!(
        span.events[0].attributes[0].value,
        Value::from("token [REDACTED:key]")
    );
    assert_eq!(
        attr(&span, "gen_ai.input.messages"),
        &Value::from("What is the weather in Lisbon?")
    );
}

#[test]
fn none_changes_nothing() {
    let before = chat_span();
    assert_eq!(masked_by(MaskMode::None, before.clone()), before);
}

#[test]
fn a_span_too_deep_to_mask_is_removed_and_counted() {
    let mut deep = Value::from("prompt");
    for _ in 0..=MAX_DEPTH {
        deep = Value::Array(vec![deep]);
    }
    let mut bad = chat_span();
    bad.set("deep", deep);
    let mut spans = vec![chat_span(), bad, chat_span()];
    let removed = Masker::new(MaskMode::Content, &[]).mask_batch(&mut spans);
    assert_eq!((removed, spans.len()), (1, 2));
    assert!(spans.iter().all(|s| s.attribute("deep").is_none()));
}

#[test]
fn modes_parse_in_any_case_and_print_back() {
    for mode in [MaskMode::None, MaskMode::Patterns, MaskMode::Content] {
        assert_eq!(MaskMode::parse(&mode.as_str().to_uppercase()), Some(mode));
    }
    assert_eq!(MaskMode::parse(" content "), Some(MaskMode::Content));
    assert_eq!(MaskMode::parse("all"), None);
}

#[test]
fn a_plan_overrides_the_default_by_provider_name() {
    let plan = MaskPlan {
        default: MaskMode::Content,
        providers: vec![("langfuse".into(), MaskMode::None)],
        keep: vec!["k".into()],
    };
    assert_eq!(plan.mode_for("langfuse"), MaskMode::None);
    assert_eq!(plan.mode_for("otlp"), MaskMode::Content);
    assert!(plan.masker_for("otlp").keeps("k"));
}

#[test]
fn masking_twice_keeps_the_original_length() {
    // A spooled record masked again at flush, or a span through a nested wrapper.
    let masker = Masker::new(MaskMode::Content, &[]);
    let mut span = chat_span();
    masker.mask(&mut span).unwrap();
    let once = attr(&span, "gen_ai.input.messages").clone();
    masker.mask(&mut span).unwrap();
    assert_eq!(attr(&span, "gen_ai.input.messages"), &once);
    assert!(matches!(&once, Value::Str(s) if s.starts_with("[MASKED len=")));
}

#[test]
fn the_mask_text_is_the_length_in_decimal_at_every_magnitude() {
    let lengths = (0..2000).chain([9_999, 10_000, 65_536, 1 << 40, usize::MAX]);
    for len in lengths {
        assert_eq!(masked(len), format!("[MASKED len={len}]"));
    }
}

#[test]
fn the_structural_key_test_accepts_the_list_and_nothing_near_it() {
    for key in STRUCTURAL_KEYS {
        assert!(is_structural_key(key), "{key}");
    }
    for key in [
        "",
        "gen_ai.operation",
        "gen_ai.operation.name.x",
        "GEN_AI.SYSTEM",
        "gen_ai.input.messages",
        "http.url",
        "server.portx",
    ] {
        assert!(!is_structural_key(key), "{key}");
    }
}
