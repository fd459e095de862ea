//! The profiles, one backend at a time, and the promises they share: added, never
//! overwritten, and never a way around masking.

use std::sync::Arc;

use super::*;
use crate::mask::{MaskMode, Masker};
use crate::span::{Resource, Scope, SpanId, TraceId, Value, to_request};

fn profiler(profile: Profile) -> Profiler {
    Profiler {
        profile,
        resource: Vec::new(),
    }
}

fn child(name: &str) -> Span {
    Span::start(
        name,
        Some((TraceId::random(), SpanId::random())),
        Arc::new(Resource::service("agent")),
        Arc::new(Scope::default()),
    )
}

/// A model call as pydantic-ai's own instrumentation writes it: GenAI attributes only.
fn genai_chat() -> Span {
    let mut span = child("chat gpt-4o-mini");
    span.set("gen_ai.operation.name", "chat");
    span.set("gen_ai.system", "openai");
    span.set("gen_ai.request.model", "gpt-4o-mini");
    span.set("gen_ai.usage.input_tokens", 51i64);
    span.set("gen_ai.usage.output_tokens", 4i64);
    span.set("gen_ai.usage.cache_read.input_tokens", 7i64);
    span.set(
        "gen_ai.input.messages",
        "[{\"role\":\"user\",\"content\":\"hi\"}]",
    );
    span
}

fn profiled(profile: Profile, mut span: Span) -> Span {
    profiler(profile).apply(&mut span);
    span
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attribute(key)
}

#[test]
fn a_genai_only_model_call_reads_as_an_openinference_llm_span() {
    let span = profiled(Profile::OpenInference, genai_chat());
    assert_eq!(
        attr(&span, "openinference.span.kind"),
        Some(&Value::from("LLM"))
    );
    assert_eq!(
        attr(&span, "llm.model_name"),
        Some(&Value::from("gpt-4o-mini"))
    );
    assert_eq!(attr(&span, "llm.provider"), Some(&Value::from("openai")));
    assert_eq!(attr(&span, "llm.token_count.prompt"), Some(&Value::Int(51)));
    assert_eq!(
        attr(&span, "llm.token_count.completion"),
        Some(&Value::Int(4))
    );
    assert_eq!(attr(&span, "llm.token_count.total"), Some(&Value::Int(55)));
    assert_eq!(
        attr(&span, "llm.token_count.prompt_details.cache_read"),
        Some(&Value::Int(7))
    );
}

#[test]
fn spans_of_no_genai_kind_are_chains_not_unknown() {
    let mut run = Span::start(
        "python agent.py",
        None,
        Arc::new(Resource::service("agent")),
        Arc::new(Scope::default()),
    );
    run.set("process.exit_code", 0i64);
    let run = profiled(Profile::OpenInference, run);
    assert_eq!(
        attr(&run, "openinference.span.kind"),
        Some(&Value::from("CHAIN"))
    );
    let http = profiled(Profile::MLflow, child("GET /health"));
    assert_eq!(attr(&http, "mlflow.spanType"), Some(&Value::from("CHAIN")));
    let tool = {
        let mut span = child("running tool");
        span.set("gen_ai.tool.name", "get_forecast");
        profiled(Profile::MLflow, span)
    };
    assert_eq!(attr(&tool, "mlflow.spanType"), Some(&Value::from("TOOL")));
}

#[test]
fn an_attribute_the_span_has_is_never_overwritten() {
    let mut span = genai_chat();
    span.set("openinference.span.kind", "AGENT");
    span.set("llm.model_name", "my-own-name");
    span.set("langfuse.observation.type", "event");
    let before = span.clone();
    let mut span = profiled(Profile::OpenInference, span);
    profiler(Profile::Langfuse).apply(&mut span);
    for original in &before.attributes {
        let kept: Vec<_> = span
            .attributes
            .iter()
            .filter(|a| a.key == original.key)
            .collect();
        assert_eq!(kept, [original], "{}", original.key);
    }
    assert!(span.attributes.len() > before.attributes.len());
}

#[test]
fn content_masking_is_never_undone_nor_its_placeholders_copied() {
    let mut span = genai_chat();
    span.set("session.id", "session-of-ana@example.com");
    span.set("user.id", "ana-private-id");
    Masker::new(MaskMode::Content, &[]).mask(&mut span).unwrap();
    let masked = span.clone();
    for profile in [
        Profile::OpenInference,
        Profile::Langfuse,
        Profile::LangSmith,
        Profile::MLflow,
    ] {
        let span = profiled(profile, masked.clone());
        let added = &span.attributes[masked.attributes.len()..];
        assert!(!added.is_empty(), "{profile:?}");
        for attribute in added {
            let text = format!("{:?}", attribute.value);
            assert!(!text.contains("MASKED"), "{profile:?} copied {attribute:?}");
            assert!(!text.contains("ana"), "{profile:?} unmasked {attribute:?}");
            assert!(
                !attribute.key.contains("session") && !attribute.key.contains("user"),
                "{profile:?} added {attribute:?}"
            );
        }
    }
    // What masking kept (a structural conversation id) is an identifier it lets through.
    let mut span = genai_chat();
    span.set("gen_ai.conversation.id", "conv-42");
    Masker::new(MaskMode::Content, &[]).mask(&mut span).unwrap();
    let span = profiled(Profile::Langfuse, span);
    assert_eq!(
        attr(&span, "langfuse.session.id"),
        Some(&Value::from("conv-42"))
    );
}

#[test]
fn langfuse_gets_observation_type_model_session_and_user() {
    let mut span = genai_chat();
    span.set("session.id", "s-1");
    span.set("user.id", "u-1");
    let span = profiled(Profile::Langfuse, span);
    let expect = [
        ("langfuse.observation.type", "generation"),
        ("langfuse.observation.model.name", "gpt-4o-mini"),
        ("langfuse.session.id", "s-1"),
        ("langfuse.user.id", "u-1"),
    ];
    for (key, value) in expect {
        assert_eq!(attr(&span, key), Some(&Value::from(value)), "{key}");
    }
    let tool = {
        let mut span = child("running tool");
        span.set("gen_ai.operation.name", "execute_tool");
        profiled(Profile::Langfuse, span)
    };
    assert_eq!(
        attr(&tool, "langfuse.observation.type"),
        Some(&Value::from("tool"))
    );
}

#[test]
fn langsmith_gets_run_type_and_session_metadata_from_any_dialect() {
    let mut span = child("ChatOpenAI");
    span.set("openinference.span.kind", "LLM");
    span.set("llm.model_name", "gpt-4o");
    span.set("llm.token_count.prompt", 12i64);
    span.set("session.id", "thread-9");
    let span = profiled(Profile::LangSmith, span);
    assert_eq!(
        attr(&span, "langsmith.span.kind"),
        Some(&Value::from("llm"))
    );
    assert_eq!(
        attr(&span, "langsmith.metadata.session_id"),
        Some(&Value::from("thread-9"))
    );
    assert_eq!(
        attr(&span, "gen_ai.request.model"),
        Some(&Value::from("gpt-4o"))
    );
    assert_eq!(
        attr(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::Int(12))
    );
    let agent = {
        let mut span = child("invoke_agent weather");
        span.set("gen_ai.operation.name", "invoke_agent");
        profiled(Profile::LangSmith, span)
    };
    assert_eq!(
        attr(&agent, "langsmith.span.kind"),
        Some(&Value::from("chain"))
    );
}

#[test]
fn plain_adds_nothing() {
    let span = genai_chat();
    assert_eq!(profiled(Profile::Plain, span.clone()), span);
}

#[test]
fn the_phoenix_project_is_a_resource_attribute_that_never_replaces_one() {
    let profiler = Profiler {
        profile: Profile::OpenInference,
        resource: vec![(PHOENIX_PROJECT_ATTRIBUTE.into(), "agents".into())],
    };
    let mut own = Resource::service("other");
    own.attributes
        .push(Attribute::new(PHOENIX_PROJECT_ATTRIBUTE, "theirs"));
    let mut other = genai_chat();
    other.resource = Arc::new(own);
    let mut request = to_request(&[genai_chat(), other]);
    profiler.apply_resource(&mut request);
    let projects: Vec<String> = request
        .resource_spans
        .iter()
        .map(|rs| {
            let attributes = &rs.resource.as_ref().unwrap().attributes;
            let found: Vec<_> = attributes
                .iter()
                .filter(|a| a.key == PHOENIX_PROJECT_ATTRIBUTE)
                .collect();
            assert_eq!(found.len(), 1);
            match &found[0].value.as_ref().unwrap().value {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(projects, ["agents", "theirs"]);
}

#[test]
fn every_preset_row_names_its_profile() {
    let profile = |name| presets::preset(name).unwrap().profile;
    assert_eq!(profile("phoenix"), Profile::OpenInference);
    assert_eq!(profile("langfuse"), Profile::Langfuse);
    assert_eq!(profile("langsmith"), Profile::LangSmith);
    assert_eq!(profile("mlflow"), Profile::MLflow);
    assert_eq!(profile("otlp"), Profile::Plain);
}
