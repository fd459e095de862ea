//! The privacy filter against 10,000 random events with hostile attributes, checked on the
//! encoded OTLP a sender would post.

use std::sync::Arc;

use proptest::prelude::*;
use prost::Message as _;

use super::events::{AttrValue, COMMON_KEYS, Event, EventType};
use super::privacy::{self, MAX_VALUE_CHARS};
use crate::span::{Resource, Scope, Value, from_request, into_request};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// Hostile values, each with the part that must never reach the wire (checked on the
/// encoded bytes, independently of the filter's own detectors).
const HOSTILE: [(&str, &str); 14] = [
    ("jane.doe+agents@example.com", "jane.doe"),
    ("sk-proj-4f8a9b2c7d1e6f3a0b5c8d2e9f1a4b7c", "4f8a9b2c7d1e"),
    ("pk-lf-1234567890abcdef", "1234567890abcdef"),
    (
        "0123456789abcdef0123456789abcdef0123",
        "0123456789abcdef0123",
    ),
    (
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw",
        "QUJDREVGR0hJSktM",
    ),
    ("4111 1111 1111 1111", "4111 1111"),
    ("123-45-6789", "45-6789"),
    ("10.0.0.12", "10.0.0.12"),
    ("fe80::1ff:fe23:4567:890a", "fe23:4567"),
    (
        "https://internal.example.com/admin?token=x",
        "internal.example",
    ),
    ("/home/jane/secret/agent.py", "jane/secret"),
    ("/Users/jane/work", "Users/jane"),
    ("C:\\Users\\jane\\agent.py", "jane\\agent"),
    ("My SSN is 123-45-6789", "SSN is"),
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            HOSTILE
                .iter()
                .map(|(v, _)| v.to_string())
                .collect::<Vec<_>>()
        ),
        prop::sample::select(
            HOSTILE
                .iter()
                .map(|(v, _)| v.to_string())
                .collect::<Vec<_>>()
        )
        .prop_map(|v| format!("error near {v} here")),
        "\\PC{0,120}",
        "[a-z_.]{0,200}",
        "[\\x00-\\x1f]{1,10}[a-z]{0,10}",
        "[\\u{80}-\\u{10FFFF}]{0,80}",
    ]
}

fn any_value() -> impl Strategy<Value = AttrValue> {
    prop_oneof![
        hostile_text().prop_map(AttrValue::Str),
        (0..3, hostile_text()).prop_map(|(_, s)| AttrValue::Str(format!("{s} {s}"))),
        any::<i64>().prop_map(AttrValue::Int),
        any::<bool>().prop_map(AttrValue::Bool),
    ]
}

fn any_key() -> impl Strategy<Value = String> {
    let known: Vec<String> = EventType::ALL
        .iter()
        .flat_map(|t| t.allowed_keys())
        .chain(COMMON_KEYS.iter())
        .map(|k| k.to_string())
        .collect();
    prop_oneof![
        prop::sample::select(known),
        Just("user_message".to_string()),
        Just("api_key".to_string()),
        Just("agent.name".to_string()),
        Just("agent.type.extra".to_string()),
        "[a-z._]{1,30}",
    ]
}

fn any_event() -> impl Strategy<Value = (EventType, Vec<(String, AttrValue)>)> {
    (
        prop::sample::select(EventType::ALL.to_vec()),
        prop::collection::vec((any_key(), any_value()), 0..12),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn no_key_outside_the_allowlist_no_personal_value_no_long_string((event_type, raw) in any_event()) {
        let event = Event {
            id: "local".into(),
            event_type,
            time_unix_nanos: 1,
            anonymous_id: uuid::Uuid::new_v4().to_string(),
            session_id: uuid::Uuid::new_v4().to_string(),
            attributes: privacy::filter(event_type, raw),
        };
        let span = event.to_span(&Arc::new(Resource::service("t")), &Arc::new(Scope::default()));
        let bytes = into_request(vec![span]).encode_to_vec();
        let wire = String::from_utf8_lossy(&bytes);
        for (_, needle) in HOSTILE {
            prop_assert!(!wire.contains(needle), "`{needle}` reached the wire");
        }
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        let sent = from_request(&decoded).0.remove(0);
        for attribute in &sent.attributes {
            let key = attribute.key.as_ref();
            prop_assert!(
                event_type.allowed_keys().contains(&key) || COMMON_KEYS.contains(&key),
                "key {key} is not allowed for {}", event_type.name()
            );
            if let Value::Str(text) = &attribute.value {
                prop_assert!(text.chars().count() <= MAX_VALUE_CHARS, "{key}: {text:?}");
                let is_id = key == "user.anonymous_id" || key == "session.id";
                prop_assert!(is_id || !privacy::looks_sensitive(text), "{key}: {text:?}");
                prop_assert!(!text.chars().any(char::is_control), "{key}: {text:?}");
            }
        }
    }
}

/// Strings a type field may be given: identifiers in disguise, class-like names, and
/// anything at all.
fn any_type_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("db.acme.internal".to_string()),
        Just("AKIAIOSFODNN7EXAMPLE".to_string()),
        Just("PasswordIsHunter2Error".to_string()),
        "[A-Z][A-Za-z0-9]{2,30}(Error|Exception)",
        "[a-z]{2,10}\\.[A-Z][A-Za-z]{2,20}",
        "[a-z0-9.-]{3,40}",
        "\\PC{0,60}",
        (prop::sample::select(super::vocabulary::error_types().collect::<Vec<_>>()))
            .prop_map(str::to_string),
    ]
}

/// The event as the sender posts it, decoded again: its attributes.
fn sent_attributes(event: &Event) -> Vec<(String, Value)> {
    let span = event.to_span(
        &Arc::new(Resource::service("t")),
        &Arc::new(Scope::default()),
    );
    let bytes = into_request(vec![span]).encode_to_vec();
    let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    from_request(&decoded)
        .0
        .remove(0)
        .attributes
        .into_iter()
        .map(|a| (a.key.to_string(), a.value.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Whatever `error.type` or `tool.type` held, what is kept (the outbox line) and what
    /// is sent (the decoded OTLP) is a word of the closed vocabulary, and nothing else
    /// differs from an event that had that word to begin with.
    #[test]
    fn type_fields_carry_only_vocabulary_words(error in any_type_text(), tool in any_type_text()) {
        let event_for = |event_type, key: &str, value: &str| Event {
            id: "local".into(),
            event_type,
            time_unix_nanos: 1,
            anonymous_id: "a".into(),
            session_id: "s".into(),
            attributes: privacy::filter(event_type, [(key, AttrValue::from(value))]),
        };
        for (event_type, key, given) in [
            (EventType::AgentError, "error.type", &error),
            (EventType::ToolExecuted, "tool.type", &tool),
        ] {
            let event = event_for(event_type, key, given);
            let kept = match &event.attributes[key] {
                AttrValue::Str(text) => text.clone(),
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            let words: Vec<&str> = match key {
                "error.type" => super::vocabulary::error_types().collect(),
                _ => vec!["function", "extension", "datastore", "other"],
            };
            prop_assert!(words.contains(&kept.as_str()), "{key}: {kept:?} from {given:?}");
            let line = serde_json::to_string(&event).unwrap();
            let reference = event_for(event_type, key, &kept);
            prop_assert_eq!(&line, &serde_json::to_string(&reference).unwrap());
            prop_assert_eq!(sent_attributes(&event), sent_attributes(&reference));
            if !words.contains(&given.as_str()) && given.chars().count() >= 6 {
                prop_assert!(!line.contains(given.as_str()), "{given:?} in the outbox");
            }
        }
    }
}
