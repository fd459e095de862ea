//! Attributes and values as plain JSON, written straight from the span: keys sorted with a
//! later duplicate winning, bytes in base64, a double that is no number as `null`.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::span::{Attribute, Value};

/// Attributes as one JSON object, typed (bytes in base64), its keys sorted and a later
/// duplicate winning, as a `serde_json::Map` holds them; written straight from the span.
#[derive(Debug, Clone, Copy)]
pub struct AttributesJson<'a>(pub &'a [Attribute]);

/// An attribute value as plain JSON; bytes in base64, as OTLP JSON writes them; a double
/// that is no number (NaN, infinite) as `null`.
#[derive(Debug, Clone, Copy)]
pub struct ValueJson<'a>(pub &'a Value);

impl Serialize for AttributesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attrs = self.0;
        // Most spans hold their keys sorted and unique already: nothing to reorder then.
        if attrs.windows(2).all(|w| w[0].key < w[1].key) {
            return write_entries(serializer, attrs.iter());
        }
        let mut sorted: Vec<&Attribute> = attrs.iter().collect();
        // Stable, so that of equal keys the last one stays last, and is the one kept.
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let kept: Vec<&Attribute> = sorted
            .iter()
            .enumerate()
            .filter(|(i, a)| sorted.get(i + 1).is_none_or(|next| next.key != a.key))
            .map(|(_, a)| *a)
            .collect();
        write_entries(serializer, kept.into_iter())
    }
}

fn write_entries<'a, S: Serializer>(
    serializer: S,
    entries: impl ExactSizeIterator<Item = &'a Attribute>,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for a in entries {
        map.serialize_entry(&a.key, &ValueJson(&a.value))?;
    }
    map.end()
}

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        match self.0 {
            Value::Str(s) => serializer.serialize_str(s),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            // serde_json writes a double that is no number as `null`.
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::Bytes(b) => {
                serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(ValueJson)),
            Value::Map(entries) => AttributesJson(entries).serialize(serializer),
        }
    }
}
