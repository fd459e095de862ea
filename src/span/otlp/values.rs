//! Attributes and values to and from OTLP's `KeyValue` and `AnyValue`.

use opentelemetry_proto::tonic::common::v1 as pb_common;

use std::borrow::Cow;

use crate::span::{Attribute, Value};

/// Attributes as OTLP key-values.
pub fn attrs_into_pb(attrs: Vec<Attribute>) -> Vec<pb_common::KeyValue> {
    attrs.into_iter().map(attr_into_pb).collect()
}

pub(super) fn attr_into_pb(attribute: Attribute) -> pb_common::KeyValue {
    pb_common::KeyValue {
        key: attribute.key.into_owned(),
        value: Some(value_into_pb(attribute.value)),
        ..Default::default()
    }
}

/// Attributes as OTLP key-values in the first `attrs.len()` of `pb` (which has at least
/// that many), whose earlier key-values give their names' room: a name borrowed from the
/// tool's table ([`crate::span::keys`]) is copied into it rather than allocated, and an
/// owned one moved in.
pub(super) fn attrs_into_pb_front(attrs: Vec<Attribute>, pb: &mut [pb_common::KeyValue]) {
    debug_assert!(pb.len() >= attrs.len(), "a slot for each attribute");
    for (kv, attribute) in pb.iter_mut().zip(attrs) {
        match attribute.key {
            Cow::Borrowed(name) => {
                kv.key.clear();
                kv.key.push_str(name);
            }
            Cow::Owned(name) => kv.key = name,
        }
        kv.value = Some(value_into_pb(attribute.value));
    }
}

/// Attributes added after a span's own in the message it is encoded from (a backend
/// profile's), written while the span's texts can still be borrowed, before they move
/// into the message: each key and text is copied into the strings its slot kept from the
/// span before, so spans of one shape allocate nothing for them.
pub struct AddedAttrs<'a> {
    slots: &'a mut Vec<pb_common::KeyValue>,
    /// The span's own attributes: the slots before this.
    own: usize,
    /// The slot the next attribute goes in.
    pub(super) end: usize,
}

impl<'a> AddedAttrs<'a> {
    /// Added attributes written from slot `own` on.
    pub(super) fn after(slots: &'a mut Vec<pb_common::KeyValue>, own: usize) -> Self {
        if slots.len() < own {
            slots.resize_with(own, Default::default);
        }
        AddedAttrs {
            slots,
            own,
            end: own,
        }
    }

    /// Whether an attribute named `key` was added already.
    pub fn has(&self, key: &str) -> bool {
        self.slots[self.own..self.end]
            .iter()
            .any(|kv| kv.key == key)
    }

    /// Adds `key` = the string `text`.
    pub fn text(&mut self, key: &str, text: &str) {
        use pb_common::any_value::Value as V;
        match self.next(key) {
            Some(pb_common::AnyValue {
                value: Some(V::StringValue(string)),
            }) => {
                string.clear();
                string.push_str(text);
            }
            other => {
                *other = Some(pb_common::AnyValue {
                    value: Some(V::StringValue(text.to_owned())),
                });
            }
        }
    }

    /// Adds `key` = the integer `value`.
    pub fn int(&mut self, key: &str, value: i64) {
        *self.next(key) = Some(pb_common::AnyValue {
            value: Some(pb_common::any_value::Value::IntValue(value)),
        });
    }

    /// The next slot, named `key`: its value, to be written.
    fn next(&mut self, key: &str) -> &mut Option<pb_common::AnyValue> {
        if self.end == self.slots.len() {
            self.slots.push(pb_common::KeyValue::default());
        }
        let kv = &mut self.slots[self.end];
        self.end += 1;
        kv.key.clear();
        kv.key.push_str(key);
        &mut kv.value
    }
}

/// A value as OTLP's `AnyValue`.
pub fn value_into_pb(value: Value) -> pb_common::AnyValue {
    use pb_common::any_value::Value as V;
    let v = match value {
        Value::Str(s) => V::StringValue(s),
        Value::Bool(b) => V::BoolValue(b),
        Value::Int(i) => V::IntValue(i),
        Value::Double(d) => V::DoubleValue(d),
        Value::Bytes(b) => V::BytesValue(b),
        Value::Array(items) => V::ArrayValue(pb_common::ArrayValue {
            values: items.into_iter().map(value_into_pb).collect(),
        }),
        Value::Map(entries) => V::KvlistValue(pb_common::KeyValueList {
            values: attrs_into_pb(entries),
        }),
    };
    pb_common::AnyValue { value: Some(v) }
}

/// OTLP key-values as attributes (those without a value, or with a string-table index,
/// are left out).
pub fn attrs_from_pb(attrs: Vec<pb_common::KeyValue>) -> Vec<Attribute> {
    attrs.into_iter().filter_map(attr_from_pb).collect()
}

pub(crate) fn attr_from_pb(kv: pb_common::KeyValue) -> Option<Attribute> {
    Some(Attribute {
        key: kv.key.into(),
        value: value_from_pb(kv.value?)?,
    })
}

/// OTLP's `AnyValue` as a value; `None` when it holds none.
pub fn value_from_pb(value: pb_common::AnyValue) -> Option<Value> {
    use pb_common::any_value::Value as V;
    Some(match value.value? {
        V::StringValue(s) => Value::Str(s),
        V::BoolValue(b) => Value::Bool(b),
        V::IntValue(i) => Value::Int(i),
        V::DoubleValue(d) => Value::Double(d),
        V::BytesValue(b) => Value::Bytes(b),
        V::ArrayValue(a) => Value::Array(a.values.into_iter().filter_map(value_from_pb).collect()),
        V::KvlistValue(kv) => Value::Map(attrs_from_pb(kv.values)),
        V::StringValueStrindex(_) => return None,
    })
}
