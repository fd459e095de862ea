//! The privacy filter against 10,000 random events with hostile attributes, checked on the
//! encoded OTLP a sender would post.

use std::sync::Arc;

use proptest::prelude::*;
use prost::Message as _;

use super::events::{AttrValue, COMMON_KEYS, Event, EventType};
use super::privacy::{self, MAX_VALUE_CHARS};
use crate::span::{Resource, Scope, Value, from_request, into_request};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("jane.doe+agents@example.com".to_string()),
        Just("sk-proj-4f8a9b2c7d1e6f3a0b5c8d2e9f1a4b7c".to_string()),
        Just("pk-lf-1234567890abcdef".to_string()),
        Just("0123456789abcdef0123456789abcdef0123".to_string()),
        Just("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw".to_string()),
        Just("4111 1111 1111 1111".to_string()),
        Just("123-45-6789".to_string()),
        Just("10.0.0.12".to_string()),
        Just("fe80::1ff:fe23:4567:890a".to_string()),
        Just("https://internal.example.com/admin?token=x".to_string()),
        Just("/home/jane/secret/agent.py".to_string()),
        Just("/Users/jane/work".to_string()),
        Just("C:\\Users\\jane\\agent.py".to_string()),
        Just("My SSN is 123-45-6789".to_string()),
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
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        let sent = from_request(&decoded).0.remove(0);
        for attribute in &sent.attributes {
            let key = attribute.key.as_str();
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
