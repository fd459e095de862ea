//! The privacy filter every telemetry attribute passes: the event type's exact allowlist of
//! keys, `error.type` and `tool.type` reduced to their closed [`vocabulary`], then string
//! values scrubbed (anything that looks like an email, IP address, card
//! number, SSN, API key, URL, path or long number becomes `[REDACTED]`; control
//! characters go), then capped at 50 characters. And the salted hash for values that must
//! be countable but not readable (an agent's name).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::events::{AttrValue, EventType};
use super::vocabulary;
use crate::mask::patterns;

/// The longest string value sent, in characters.
pub const MAX_VALUE_CHARS: usize = 50;
/// What a value that looked personal or secret becomes.
pub const REDACTED: &str = "[REDACTED]";

/// The attributes of `raw` this event type may carry, each value scrubbed and capped.
pub fn filter<K: AsRef<str>>(
    event_type: EventType,
    raw: impl IntoIterator<Item = (K, AttrValue)>,
) -> BTreeMap<String, AttrValue> {
    let allowed = event_type.allowed_keys();
    raw.into_iter()
        .filter(|(key, _)| allowed.contains(&key.as_ref()))
        .filter_map(|(key, value)| {
            let value = match value {
                // Only what `hash` makes: `h:` and 16 hex digits.
                AttrValue::Str(text) if key.as_ref() == "agent.hash" => {
                    if !is_hash(&text) {
                        return None;
                    }
                    AttrValue::Str(text)
                }
                // Types are sent only as words of a closed vocabulary, whatever the value.
                value if key.as_ref() == "error.type" => {
                    AttrValue::from(vocabulary::error_type(&value_text(&value)))
                }
                value if key.as_ref() == "tool.type" => {
                    AttrValue::from(vocabulary::tool_type(&value_text(&value)))
                }
                AttrValue::Str(text) => AttrValue::Str(scrub(&text)),
                other => other,
            };
            Some((key.as_ref().to_string(), value))
        })
        .collect()
}

/// A value as text, for the vocabularies (`503` may come as a number).
fn value_text(value: &AttrValue) -> String {
    match value {
        AttrValue::Str(text) => text.clone(),
        AttrValue::Int(n) => n.to_string(),
        AttrValue::Bool(_) => String::new(),
    }
}

/// The shape of [`hash`]'s output.
fn is_hash(text: &str) -> bool {
    text.strip_prefix("h:")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A string value fit to send: control characters removed, `[REDACTED]` when it holds
/// anything personal or secret, at most [`MAX_VALUE_CHARS`] characters.
pub fn scrub(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if looks_sensitive(&clean) {
        return REDACTED.to_string();
    }
    let capped: String = clean.chars().take(MAX_VALUE_CHARS).collect();
    // Cutting cannot create a match in practice; checking again costs nothing.
    if looks_sensitive(&capped) {
        return REDACTED.to_string();
    }
    capped
}

pub(crate) fn looks_sensitive(text: &str) -> bool {
    !patterns::find(text.as_bytes()).is_empty()
        || has_url(text)
        || has_path(text)
        || long_number(text)
}

/// Eight digits or more: an account, phone or card number in any layout. Telemetry's
/// values are kinds and names of features; they never need one.
fn long_number(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_digit).count() >= 8
}

/// `scheme://` anywhere, or a `www.` host.
fn has_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("://") || lower.contains("www.")
}

/// A home-directory or absolute path: `~/`, `/home/`, `/Users/`, `/root`, `C:\`, or any
/// string with two or more path separators (`a/b/c`), which names files, not features.
fn has_path(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with('~')
        || lower.contains("/home/")
        || lower.contains("/users/")
        || lower.contains("/root")
        || lower.contains(":\\")
    {
        return true;
    }
    text.matches(['/', '\\']).count() >= 2
}

/// `h:` and the first 16 hex digits of `sha256(salt + value)`: the same value gives the
/// same hash on this install, and nobody without the salt can tell what it was.
pub fn hash(salt: &[u8], value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(value.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("h:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plans_case_keeps_the_agent_type_and_drops_the_rest() {
        let kept = filter(
            EventType::AgentRun,
            [
                ("agent.type", AttrValue::from("simple")),
                ("user_message", "My SSN is 123-45-6789".into()),
                ("api_key", "sk-secret".into()),
            ],
        );
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept["agent.type"], AttrValue::from("simple"));
    }

    #[test]
    fn allowed_keys_still_lose_personal_values() {
        for hostile in [
            "mail me: jane.doe@example.com",
            "key sk-proj-abcdefghijklmnopqrstuvwxyz123456",
            "0123456789abcdef0123456789abcdef01",
            "card 4111 1111 1111 1111",
            "ssn 123-45-6789",
            "from 192.168.1.20",
            "see https://internal.example.com/x",
            "/home/jane/projects/secret-agent",
            "~/agents/mine.py",
            "C:\\Users\\jane\\agent.py",
        ] {
            let kept = filter(
                EventType::AgentRun,
                [("agent.type", AttrValue::from(hostile))],
            );
            assert_eq!(kept["agent.type"], AttrValue::from(REDACTED), "{hostile}");
            let kept = filter(
                EventType::AgentError,
                [("error.type", AttrValue::from(hostile))],
            );
            assert_eq!(kept["error.type"], AttrValue::from("other"), "{hostile}");
        }
    }

    #[test]
    fn agent_hash_carries_only_a_hash() {
        for (given, kept) in [
            ("h:0123456789abcdef", true),
            ("my-secret-agent", false),
            ("h:4111 1111 1111 1111", false),
        ] {
            let out = filter(
                EventType::AgentRun,
                [("agent.hash", AttrValue::from(given))],
            );
            assert_eq!(out.contains_key("agent.hash"), kept, "{given}");
        }
    }

    #[test]
    fn long_values_are_capped_and_control_characters_removed() {
        let long = "TimeoutError".repeat(10);
        assert_eq!(scrub(&long).chars().count(), MAX_VALUE_CHARS);
        assert_eq!(scrub("Value\u{0}Error\n"), "ValueError");
        assert_eq!(scrub("ünïcødé_error").chars().count(), 13);
    }

    #[test]
    fn hashes_are_stable_per_salt_and_differ_across_salts() {
        let a = hash(b"salt-1", "my-agent");
        assert_eq!(a, hash(b"salt-1", "my-agent"));
        assert_ne!(a, hash(b"salt-2", "my-agent"));
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("h:"));
    }
}
